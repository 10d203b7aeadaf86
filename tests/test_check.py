"""The regression gate passes an unchanged run and fails a damaged one."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench import check
from bench.errors import ConfigError
from bench.jsonl import JsonlWriter, read_jsonl


def damaged_copy(run_dir: Path, dest: Path, method: str, shift: float) -> Path:
    """The same run with one method's answers moved by `shift` seconds."""
    shutil.copytree(run_dir, dest)
    rows = read_jsonl(dest / "results.jsonl")
    (dest / "results.jsonl").unlink()
    with JsonlWriter(dest / "results.jsonl") as out:
        for row in rows:
            if row["method"] == method:
                for event in row["prediction"]["events"]:
                    event["onset"] += shift
                    if event["offset"] is not None:
                        event["offset"] += shift
            out.write(row)
    return dest


def test_unchanged_run_passes(finished_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    baseline = tmp_path / "baseline.json"
    assert check.main(finished_run, baseline, update=True) == 0
    assert check.main(finished_run, baseline, update=False) == 0
    assert "0 regression(s)" in capsys.readouterr().out


def test_damaged_answers_fail_the_gate(finished_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    baseline = tmp_path / "baseline.json"
    check.main(finished_run, baseline, update=True)
    damaged = damaged_copy(finished_run, tmp_path / "damaged", "oracle", shift=0.3)
    capsys.readouterr()
    assert check.main(damaged, baseline, update=False) == 1
    out = capsys.readouterr().out
    assert "REGRESSION oracle / word_all / 6s / acc@50ms" in out
    assert "REGRESSION oracle / diarization / 6s / der" in out
    assert "uniform" not in out  # only the damaged method regressed


def test_missing_group_is_a_regression(finished_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    baseline = tmp_path / "baseline.json"
    check.main(finished_run, baseline, update=True)
    stored = json.loads(baseline.read_text())
    stored["metrics"]["oracle"]["word_all"]["900"] = {"acc@50ms": 1.0}
    baseline.write_text(json.dumps(stored))
    assert check.main(finished_run, baseline, update=False) == 1
    assert "900s / acc@50ms: missing from the run" in capsys.readouterr().out


def test_tolerances_direction_and_speed() -> None:
    stored = {"tolerances": {"absolute": 0.05, "relative": 0.5, "relative_floor": 0.0, "speed_relative": None},
              "metrics": {"m": {"t": {"10": {"acc@50ms": 0.9, "der": 0.2, "mae": 0.1, "rtf": 0.01}}}}}
    ok = {"m": {"t": {"10": {"acc@50ms": 0.86, "der": 0.24, "mae": 0.149, "rtf": 5.0}}}}
    assert check.compare(stored, ok) == []
    bad = {"m": {"t": {"10": {"acc@50ms": 0.84, "der": 0.26, "mae": 0.16, "rtf": 0.01}}}}
    assert sorted(f.metric for f in check.compare(stored, bad)) == ["acc@50ms", "der", "mae"]
    better = {"m": {"t": {"10": {"acc@50ms": 1.0, "der": 0.0, "mae": 0.0, "rtf": 0.0}}}}
    assert check.compare(stored, better) == []
    stored["tolerances"]["speed_relative"] = 1.0
    assert [f.metric for f in check.compare(stored, ok)] == ["rtf"]


def test_bad_baseline_files(tmp_path: Path, finished_run: Path) -> None:
    with pytest.raises(ConfigError, match="no such baseline"):
        check.main(finished_run, tmp_path / "none.json", update=False)
    bad = tmp_path / "bad.json"
    bad.write_text('{"metrics": {}, "tolerances": {"absolut": 1}}')
    with pytest.raises(ConfigError, match="absolut"):
        check.main(finished_run, bad, update=False)
