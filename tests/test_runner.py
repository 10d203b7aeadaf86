"""End to end: suite -> examples -> methods -> rows -> report, with resume and recorded failures."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.jsonl import read_jsonl
from bench.reference_methods import Uniform
from bench.report import aggregate, write_report
from bench.runner import WorkItem, run_suite
from bench.suite import load_suite


def keys(run_dir: Path) -> Counter:
    return Counter(row["key"] for row in read_jsonl(run_dir / "results.jsonl"))


def test_every_task_duration_method_has_rows(finished_run: Path) -> None:
    rows = read_jsonl(finished_run / "results.jsonl")
    combos = Counter((r["task"], r["duration"], r["method"]) for r in rows)
    assert len(combos) == 6 * 2 * 2
    assert all(count == 2 for count in combos.values())
    assert max(keys(finished_run).values()) == 1


def test_oracle_is_perfect_everywhere(finished_run: Path) -> None:
    table = aggregate(read_jsonl(finished_run / "results.jsonl"))
    oracle = table[table["method"] == "oracle"]
    onset = oracle[oracle["task"].isin(["word_single", "word_all", "speaker_onset", "event_onset"])]
    assert (onset["acc@10ms"] == 1.0).all() and (onset["mae"] == 0.0).all()
    assert (onset["hungarian/acc@10ms"].dropna() == 1.0).all()
    dia = oracle[oracle["task"] == "diarization"]
    assert (dia[["der", "jer", "nist/der", "nist/jer"]] == 0.0).all().all()
    sed = oracle[oracle["task"] == "event_detection"]
    assert (sed["event_f1"] == 1.0).all() and (sed["segment_error_rate"] == 0.0).all()
    assert (oracle["failed_rate"] == 0).all() and (oracle["wrong_count_rate"] == 0).all()


def test_uniform_is_clearly_worse(finished_run: Path) -> None:
    table = aggregate(read_jsonl(finished_run / "results.jsonl")).set_index(["task", "method", "duration"])
    for task in ["word_single", "word_all", "speaker_onset", "event_onset"]:
        for duration in (6.0, 20.0):
            assert table.loc[(task, "uniform", duration), "acc@50ms"] < 0.5
            assert table.loc[(task, "uniform", duration), "mae"] > 0.1
    assert (table.xs("diarization", level="task").xs("uniform", level="method")["der"] > 0.2).all()
    assert (table.xs("event_detection", level="task").xs("uniform", level="method")["event_f1"] < 0.5).all()


def test_report_has_tables_and_plots(finished_run: Path) -> None:
    report = write_report(finished_run, timelines=2)
    text = report.read_text()
    for task in ["word_single", "word_all", "speaker_onset", "diarization", "event_onset", "event_detection"]:
        assert f"## {task}" in text
    assert "| method | duration | audio_s | n |" in text
    pngs = list((finished_run / "plots").glob("*.png"))
    assert len(pngs) >= 4
    assert (finished_run / "report.csv").read_text().startswith("task,task_type,method,duration")
    manifest = json.loads((finished_run / "manifest.json").read_text())
    session = manifest["sessions"][-1]
    assert manifest["seed"] == 3 and session["git"] and session["packages"]["numpy"] and session["hardware"]["cpu_count"]


def test_killed_run_resumes_with_every_row_once(tiny_suite: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    suite = load_suite(tiny_suite)
    out = tmp_path / "run"
    calls = {"n": 0}
    original = Uniform.predict

    def dies_halfway(self, example, audio):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 7:
            raise KeyboardInterrupt  # what Ctrl-C or a kill does mid-run
        return original(self, example, audio)

    monkeypatch.setattr(Uniform, "predict", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        run_suite(suite, out_dir=out)
    partial = keys(out)
    assert sum(partial.values()) == 24 + 6  # all oracle rows, six uniform rows
    with (out / "results.jsonl").open("a") as f:
        f.write('{"key": "uniform|torn')  # and the process died mid-line
    monkeypatch.setattr(Uniform, "predict", original)
    run_suite(suite, out_dir=out)
    final = keys(out)
    assert sum(final.values()) == 48 and set(final.values()) == {1}
    assert partial.keys() <= final.keys()


def test_changed_suite_refuses_to_mix_into_old_run(tiny_suite: Path, tmp_path: Path) -> None:
    from bench.errors import ConfigError

    out = tmp_path / "run"
    run_suite(load_suite(tiny_suite), methods=["oracle"], limit=1, out_dir=out)
    tiny_suite.write_text(tiny_suite.read_text().replace("seed: 3", "seed: 4"))
    with pytest.raises(ConfigError, match="different configuration"):
        run_suite(load_suite(tiny_suite), methods=["oracle"], limit=1, out_dir=out)


def test_unreadable_audio_and_method_errors_are_recorded(tiny_suite: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.runner as runner

    real_build = runner.build_examples

    def corrupt_first(spec, duration, seed, limit=None):  # type: ignore[no-untyped-def]
        examples = real_build(spec, duration, seed, limit)
        bad = tmp_path / f"corrupt-{spec.task}-{duration:g}.wav"
        bad.write_bytes(b"RIFF....WAVEjunk")
        examples[0].audio = type(examples[0].audio)(str(bad), 16000, examples[0].audio.duration)
        return examples

    def explode(self, example, audio):  # type: ignore[no-untyped-def]
        raise RuntimeError("model fell over")

    monkeypatch.setattr(runner, "build_examples", corrupt_first)
    monkeypatch.setattr(Uniform, "predict", explode)
    out = run_suite(load_suite(tiny_suite), out_dir=tmp_path / "run")
    rows = read_jsonl(out / "results.jsonl")
    assert len(rows) == 48
    kinds = Counter((r["method"], (r["prediction"]["failure"] or {}).get("kind")) for r in rows)
    assert kinds[("oracle", "audio_error")] == 12 and kinds[("oracle", None)] == 12
    assert kinds[("uniform", "audio_error")] == 12 and kinds[("uniform", "method_error")] == 12
    failed = next(r for r in rows if r["prediction"]["failure"] and r["prediction"]["failure"]["kind"] == "method_error")
    assert "model fell over" in failed["prediction"]["failure"]["message"]
    assert failed["health"]["failed"]


# --- one row's failure is that row's (issue 11, item 7) -------------------------------------


def _word_item() -> WorkItem:
    from bench.types import AudioRef, Event, Example

    example = Example("word_all/x", "word_all", AudioRef("x.wav", 16000, 5.0), "every word?",
                      [Event("cat", 1.0), Event("sat", 2.0)], 2, {"labels": ["cat", "sat"]})
    return WorkItem(example, 5.0, "word_all")


def test_a_scoring_failure_is_the_rows_recorded_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.runner as runner
    from bench.jsonl import JsonlWriter
    from bench.types import Event, Prediction

    real_score = runner.score_row

    def score_fails_on_answers(method, item, prediction, settings):  # type: ignore[no-untyped-def]
        if prediction.events:
            raise OverflowError("cannot convert float infinity to integer")
        return real_score(method, item, prediction, settings)

    monkeypatch.setattr(runner, "score_row", score_fails_on_answers)
    path = tmp_path / "results.jsonl"
    with JsonlWriter(path) as out:
        assert runner.record_row(out, "m", _word_item(), Prediction([Event("cat", 1.0)], raw_text="cat 1.0"), {})
    [row] = read_jsonl(path)
    assert row["prediction"]["failure"]["kind"] == "score_error"
    assert "OverflowError" in row["prediction"]["failure"]["message"]
    assert row["prediction"]["raw_text"] == "cat 1.0" and row["health"]["failed"]


def test_a_row_that_cannot_be_written_is_recorded_as_a_failure(tmp_path: Path) -> None:
    import bench.runner as runner
    from bench.jsonl import JsonlWriter
    from bench.types import Event, Prediction

    path = tmp_path / "results.jsonl"
    unwritable = Prediction([Event("cat", 1.0)], raw_text="x", info={"handle": object()})
    surrogate = Prediction([Event("cat", 1.0)], raw_text='[{"word": "cat\ud800", "start": 1.0}]')
    with JsonlWriter(path) as out:
        assert runner.record_row(out, "a", _word_item(), unwritable, {})
        assert runner.record_row(out, "b", _word_item(), surrogate, {})
    rows = read_jsonl(path)
    assert rows[0]["prediction"]["failure"]["kind"] == "score_error"
    assert "could not be recorded" in rows[0]["prediction"]["failure"]["message"]
    assert rows[1]["prediction"]["failure"] is None and rows[1]["prediction"]["raw_text"].endswith('\ud800", "start": 1.0}]')
