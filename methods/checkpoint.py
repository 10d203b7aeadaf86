"""Where shipped checkpoints live and what a framebench checkpoint folder holds.

    <checkpoint>/backbone/          the audio LM (transformers save_pretrained)
    <checkpoint>/head.pt            the frame head (frame methods only)
    <checkpoint>/framebench.json    method, attention, training config and dev metrics
    <checkpoint>/README.md          the model card
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.errors import ConfigError

SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints"


def resolve(options: dict[str, Any], default_name: str) -> Path:
    """The checkpoint a method uses: `model` from its options (suite or --model), else the shipped one."""
    path = Path(options.get("model") or SHIPPED / default_name)
    if not (path / "framebench.json").exists():
        raise ConfigError(f"model: {path} is not a framebench checkpoint (no framebench.json); "
                          f"train one with `python -m bench train` or pass --model PATH")
    return path


def read_meta(path: Path) -> dict[str, Any]:
    return json.loads((path / "framebench.json").read_text())
