"""The CI gate on a real shipped checkpoint: frame-ihp as shipped passes the stored smoke
baseline; the same checkpoint with its head zeroed fails it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from bench import check
from bench.runner import run_suite
from bench.suite import load_suite
from methods.checkpoint import SHIPPED
from methods.frame_head import FrameHead

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "results" / "baselines" / "smoke.json"


def zero_head(checkpoint: Path, dest: Path) -> Path:
    shutil.copytree(checkpoint, dest)
    head, meta = FrameHead.load(dest / "head.pt")
    with torch.no_grad():
        for p in head.parameters():
            p.zero_()
    head.save(dest / "head.pt", backbone=meta["backbone"], loss=meta["loss"], extra=meta["extra"])
    return dest


def test_zeroed_head_fails_the_smoke_gate(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    suite = load_suite(ROOT / "suites" / "smoke.yaml")
    damaged = zero_head(SHIPPED / "frame-ihp", tmp_path / "frame-ihp-zeroed")
    runs = {name: run_suite(suite, methods=["frame-ihp"], out_dir=tmp_path / name, model=str(model))
            for name, model in [("shipped", SHIPPED / "frame-ihp"), ("zeroed", damaged)]}
    capsys.readouterr()
    assert check.main(runs["shipped"], BASELINE, update=False, methods=["frame-ihp"]) == 0
    assert check.main(runs["zeroed"], BASELINE, update=False, methods=["frame-ihp"]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION frame-ihp / word_all / 10s / acc@50ms" in out
    assert "REGRESSION frame-ihp / diarization / 10s / der" in out
    assert "token-hf" not in out  # --methods gates the one checkpoint's method


def test_unknown_method_to_gate_is_a_config_error(tmp_path: Path) -> None:
    from bench.errors import ConfigError
    (tmp_path / "results.jsonl").write_text("")
    with pytest.raises(ConfigError, match="--methods: frame-magic not in"):
        check.main(tmp_path, BASELINE, update=False, methods=["frame-magic"])
