"""Issue 11, item 8: runs that destroy other runs. A lock per run folder, --fresh that deletes
only a run of this harness, and temporary wav names unique per process."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from bench.errors import ConfigError
from bench.runner import LOCK, discard_run, run_lock, run_suite
from bench.suite import load_suite

REPO = Path(__file__).resolve().parent.parent


def _hold_lock_in_another_process(run_dir: Path) -> subprocess.Popen:
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from bench.runner import run_lock
        with run_lock(Path({str(run_dir)!r})):
            print("locked", flush=True)
            sys.stdin.read()
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_run_on_the_same_out_refuses_and_leaves_the_first_alone(tiny_suite: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "results.jsonl").write_text('{"key": "oracle|first"}\n')
    (run_dir / "manifest.json").write_text("{}")
    holder = _hold_lock_in_another_process(run_dir)
    try:
        for fresh in (False, True):
            with pytest.raises(ConfigError, match=r"another run is writing to it \(process \d+ holds") as err:
                run_suite(load_suite(tiny_suite), methods=["oracle"], limit=1, out_dir=run_dir, fresh=fresh)
            assert str(holder.pid) in str(err.value) and "\n" not in str(err.value)
        assert (run_dir / "results.jsonl").read_text() == '{"key": "oracle|first"}\n'
    finally:
        holder.communicate("")
    with run_lock(run_dir):  # released when its holder ends
        assert (run_dir / LOCK).read_text().strip() == str(os.getpid())


def test_fresh_refuses_a_folder_that_is_not_a_run(tiny_suite: Path, tmp_path: Path) -> None:
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("years of work")
    with pytest.raises(ConfigError, match="not a run of this harness"):
        run_suite(load_suite(tiny_suite), methods=["oracle"], limit=1, out_dir=precious, fresh=True)
    assert (precious / "chapter1.tex").read_text() == "years of work"


def test_fresh_empties_a_run_folder_but_keeps_its_lock(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    (run_dir / "plots").mkdir(parents=True)
    (run_dir / "plots" / "a.png").write_bytes(b"png")
    (run_dir / "results.jsonl").write_text('{"key": "x"}\n')
    (run_dir / "manifest.json").write_text("{}")
    with run_lock(run_dir):
        discard_run(run_dir)
    assert [p.name for p in run_dir.iterdir()] == [LOCK]


def test_a_suite_named_dot_dot_cannot_reach_the_results_root(tiny_suite: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.runner as runner

    results = tmp_path / "results"
    (results / "baselines").mkdir(parents=True)
    (results / "baselines" / "smoke.json").write_text("{}")
    (results / "runs").mkdir()
    monkeypatch.setattr(runner, "RUNS_DIR", results / "runs")
    suite = dataclasses.replace(load_suite(tiny_suite), name="..")  # past the suite loader's own check
    with pytest.raises(ConfigError, match="must lie directly in"):
        run_suite(suite, methods=["oracle"], limit=1, fresh=True)
    assert (results / "baselines" / "smoke.json").read_text() == "{}"
    (tiny_suite).write_text(tiny_suite.read_text().replace("name: tiny", "name: '..'"))
    with pytest.raises(ConfigError, match="name: expected"):
        load_suite(tiny_suite)


def test_temporary_wav_names_are_unique_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.audio as audio

    used = []
    real_write = audio.sf.write

    def spy(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        used.append(Path(path).name)
        return real_write(path, *args, **kwargs)

    monkeypatch.setattr(audio.sf, "write", spy)
    audio.write_audio(tmp_path / "scene0346.wav", np.zeros(160, dtype=np.float32))
    assert used[0].startswith(f"scene0346.{os.getpid()}-") and used[0].endswith(".tmp.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene0346.wav"]
