"""Registered model methods on untrained tiny checkpoints: they load, answer and fail gracefully."""
from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from bench.jsonl import read_jsonl
from bench.runner import run_suite
from bench.suite import load_suite
from methods.frame_head import Channels, FrameHead
from methods.tiny_checkpoint import build_checkpoint, build_tokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SUITE = """
name: models
seed: 1
durations: [4, 35]
examples: 1
methods: [frame-ihp, token-hf]
method_options:
  token-hf: {max_new_tokens: 24}   # an untrained model never stops by itself
tasks:
  - task: word_all
    data: {pool_size: 3}
  - task: speaker_onset
    data: {pool_size: 2}
  - task: diarization
    data: {pool_size: 2}
"""


@pytest.fixture(scope="module")
def random_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkpoint layout `bench train` writes, with untrained weights."""
    root = tmp_path_factory.mktemp("ckpt") / "random"
    tokenizer = build_tokenizer(["when does the word cat occur", '[{"word": "cat", "start": 1.23}]'], vocab_size=400)
    build_checkpoint("qwen2-audio", root / "backbone", tokenizer, seed=0)
    FrameHead(hidden_size=128, channels=Channels(speakers=8)).save(root / "head.pt", backbone="backbone", loss="ihp")
    (root / "framebench.json").write_text(json.dumps({"method": "frame-ihp", "attention": "bidirectional"}))
    return root


def test_model_methods_answer_every_supported_example(random_checkpoint: Path, tmp_path: Path) -> None:
    suite_path = tmp_path / "models.yaml"
    suite_path.write_text(SUITE)
    out = run_suite(load_suite(suite_path), out_dir=tmp_path / "run", model=str(random_checkpoint))
    rows = read_jsonl(out / "results.jsonl")
    assert Counter(r["method"] for r in rows) == {"frame-ihp": 6, "token-hf": 6}
    for row in rows:
        assert row["settings"]["checkpoint"] == str(random_checkpoint)
        consumed = row["prediction"]["audio_seconds_consumed"]
        assert consumed == pytest.approx(row["example"]["audio"]["duration"], abs=0.08)
        assert {"features", "prefill"} <= row["prediction"]["timings"].keys()
    for row in (r for r in rows if r["method"] == "frame-ihp"):
        events, duration = row["prediction"]["events"], row["example"]["audio"]["duration"]
        assert row["prediction"]["failure"] is None
        if row["task"] == "diarization":  # segments from the speaker slots the query asks for
            n = row["example"]["n_expected"]
            assert {e["label"] for e in events} <= {f"speaker{k + 1}" for k in range(n)}
            assert all(0 <= e["onset"] < e["offset"] <= duration + 0.04 for e in events)
        else:
            assert len(events) == row["example"]["n_expected"]
            assert all(0 <= e["onset"] <= duration for e in events)
    token = [r for r in rows if r["method"] == "token-hf"]
    # An untrained model babbles: every answer is parsed or recorded as unparsable, never a crash.
    assert all(r["prediction"]["raw_text"] is not None for r in token)
    assert all((r["prediction"]["failure"] or {}).get("kind") in (None, "unparsable") for r in token)


def test_missing_checkpoint_is_a_clear_setup_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    suite_path = tmp_path / "models.yaml"
    suite_path.write_text(SUITE)
    out = run_suite(load_suite(suite_path), methods=["frame-ihp"], out_dir=tmp_path / "run",
                    model=str(tmp_path / "nowhere"))
    assert read_jsonl(out / "results.jsonl") == []
    assert "not a framebench checkpoint" in capsys.readouterr().err


def test_onset_only_head_records_unsupported_tasks(random_checkpoint: Path, tmp_path: Path) -> None:
    onset_only = tmp_path / "onset-only"
    shutil.copytree(random_checkpoint, onset_only)
    FrameHead(hidden_size=128).save(onset_only / "head.pt", backbone="backbone", loss="ihp")
    suite_path = tmp_path / "models.yaml"
    suite_path.write_text(SUITE)
    out = run_suite(load_suite(suite_path), methods=["frame-ihp"], out_dir=tmp_path / "run", model=str(onset_only))
    failures = {r["task"]: (r["prediction"]["failure"] or {}).get("kind") for r in read_jsonl(out / "results.jsonl")}
    assert failures == {"word_all": None, "speaker_onset": None, "diarization": "unsupported"}
