"""token-vllm and token-vllm-server give token-hf's greedy answers. The parity test needs vLLM
(scripts/setup_vllm.sh builds its environment) and skips without it."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from bench.errors import ConfigError
from bench.jsonl import read_jsonl
from bench.registry import get_method
from methods.checkpoint import SHIPPED

HAVE_VLLM = importlib.util.find_spec("vllm") is not None
SUITE = """
name: vllm-parity
seed: 0
durations: [10, 40]
examples: 2
methods: [token-hf, token-vllm, token-vllm-server]
tasks:
  - task: word_all
    data: {pool_size: 12}
  - task: diarization
    data: {pool_size: 6, overlap: 0.2}
  - task: event_detection
    data: {pool_size: 6}
"""


def test_bidirectional_checkpoints_are_refused() -> None:
    with pytest.raises(ConfigError, match="vLLM attends causally"):
        get_method("token-vllm").build({"model": str(SHIPPED / "frame-ihp")})


@pytest.mark.skipif(HAVE_VLLM, reason="vLLM is installed here")
def test_missing_vllm_is_a_clear_setup_error() -> None:
    method = get_method("token-vllm").build({})
    with pytest.raises(ConfigError, match="scripts/setup_vllm.sh"):
        method.setup()


@pytest.mark.skipif(not HAVE_VLLM, reason="vLLM is not installed here; build its environment with "
                                          "scripts/setup_vllm.sh and run pytest from it")
def test_vllm_engines_match_transformers_greedy(tmp_path: Path) -> None:
    from bench.runner import run_suite
    from bench.suite import load_suite

    suite_path = tmp_path / "parity.yaml"
    suite_path.write_text(SUITE)
    out = run_suite(load_suite(suite_path), out_dir=tmp_path / "run")
    rows = read_jsonl(out / "results.jsonl")
    texts: dict[str, dict[str, str]] = {}
    for row in rows:
        texts.setdefault(row["example"]["id"], {})[row["method"]] = row["prediction"]["raw_text"]
    assert len(texts) == 12 and all(len(t) == 3 for t in texts.values())
    different = {k: t for k, t in texts.items() if len(set(t.values())) > 1}
    assert not different, json.dumps(different, indent=1)[:2000]
    engines = {r["method"]: r["settings"].get("engine") for r in rows}
    assert engines == {"token-hf": None, "token-vllm": "vllm-offline", "token-vllm-server": "vllm-server"}
    assert all(r["prediction"]["audio_seconds_consumed"] > 0 for r in rows)
    assert (out / "vllm-server.log").exists()
