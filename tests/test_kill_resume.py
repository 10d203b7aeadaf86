"""Kill and resume: `python -m bench run` on a small suite, killed with SIGKILL at random moments
and started again with the same command each time, ends with exactly one row per key, equal to
an uninterrupted run's rows (timings aside).

The test kills 3 times. For the figures of the issue (ten kills):

    FRAMEBENCH_CACHE=/tmp/kr-cache python tests/test_kill_resume.py --kills 10 --work /tmp/kill-resume
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SUITE = """
name: killed
seed: 5
durations: [6, 20, 40]
examples: 6
methods: [oracle, uniform]
tasks:
  - task: word_all
    data: {pool_size: 4}
  - task: speaker_onset
    data: {pool_size: 3}
  - task: diarization
    data: {pool_size: 3, overlap: 0.5}
  - task: event_detection
    data: {pool_size: 3}
"""
# Not compared: how long things took, and where the cache of each run lives.
TIMING_KEYS = {"timings", "speed", "seconds", "setup_seconds"}


def rows_of(run: Path) -> list[dict[str, Any]]:
    path = run / "results.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line torn by the kill: the next run repairs it
    return out


def comparable(value: Any, cache: str) -> Any:
    if isinstance(value, dict):
        return {k: comparable(v, cache) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [comparable(v, cache) for v in value]
    if isinstance(value, str):
        return value.replace(cache, "<cache>")
    return value


def command(suite: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "bench", "run", str(suite), "--out", str(out)]


def count_rows(run: Path) -> int:
    try:
        return (run / "results.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def torn(run: Path) -> bool:
    """Whether the kill left a partly written last line."""
    path = run / "results.jsonl"
    return path.exists() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")


def run_once(suite: Path, out: Path, cache: Path, kill_after: float | None = None,
             kill_past_rows: int | None = None) -> tuple[int, float]:
    """Run to the end, or SIGKILL it `kill_after` seconds in or as soon as the results file
    holds more than `kill_past_rows` lines, whichever comes first."""
    env = {**os.environ, "FRAMEBENCH_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
    start = time.monotonic()
    proc = subprocess.Popen(command(suite, out), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    while proc.poll() is None:
        late = kill_after is not None and time.monotonic() - start >= kill_after
        if late or (kill_past_rows is not None and count_rows(out) > kill_past_rows):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return -9, time.monotonic() - start
        time.sleep(0.002)
    return proc.returncode, time.monotonic() - start


def kill_and_resume(work: Path, kills: int, seed: int = 0) -> dict[str, Any]:
    """The figures: an uninterrupted run, then a run killed `kills` times and finished."""
    work.mkdir(parents=True, exist_ok=True)
    suite = work / "killed.yaml"
    suite.write_text(SUITE)
    ref_out, ref_cache = work / "reference", work / "reference-cache"
    rc, ref_seconds = run_once(suite, ref_out, ref_cache)
    assert rc == 0, f"the uninterrupted run failed ({rc})"
    reference = rows_of(ref_out)

    rng = random.Random(seed)
    out, cache = work / "killed", work / "killed-cache"
    log = []
    started = time.monotonic()
    for i in range(kills):
        before = len(rows_of(out))
        # A random moment: the first kill a random time into the cold start (imports, data
        # generation); then, while rows are missing, just after a random number of further rows
        # (at most half of those missing, so most kills land while rows are being written);
        # then random times into runs with nothing left to do (start-up, reading, the manifest).
        total = len(reference)
        if i == 0 or before >= total:
            moment, past = rng.uniform(0.05, 1.0) * ref_seconds * (0.6 if i == 0 else 0.5), None
        else:
            moment, past = None, rng.randrange(before, before + max(1, (total - before) // 2))
        code, seconds = run_once(suite, out, cache, moment, past)
        rows = rows_of(out)
        log.append({"kill": i + 1, "at_s": round(seconds, 2), "aimed": f"{moment:.2f} s" if past is None else f"row {past + 1}",
                    "killed": code == -9, "rows_before": before,
                    "rows_after": len(rows), "torn_line": torn(out), "duplicates": sum(n - 1 for n in Counter(r["key"] for r in rows).values())})
    code, seconds = run_once(suite, out, cache)
    assert code == 0, f"the final resume failed ({code})"
    final = rows_of(out)
    keys = Counter(r["key"] for r in final)
    ref_rows = {r["key"]: comparable(r, str(ref_cache)) for r in reference}
    got_rows = {r["key"]: comparable(r, str(cache)) for r in final}
    different = sorted(k for k in ref_rows if got_rows.get(k) != ref_rows[k])
    return {
        "kills": kills, "killed_mid_run": sum(e["killed"] for e in log), "uninterrupted_s": round(ref_seconds, 2),
        "killed_total_s": round(time.monotonic() - started, 2), "reference_rows": len(reference),
        "final_rows": len(final), "final_keys": len(keys), "duplicates": sum(n - 1 for n in keys.values()),
        "missing": sorted(set(ref_rows) - set(got_rows)), "extra": sorted(set(got_rows) - set(ref_rows)),
        "different": different, "log": log,
    }


def check(figures: dict[str, Any]) -> None:
    assert figures["duplicates"] == 0, figures
    assert figures["final_rows"] == figures["reference_rows"] == figures["final_keys"], figures
    assert not figures["missing"] and not figures["extra"], figures
    assert not figures["different"], figures["different"][:5]


def test_a_run_killed_three_times_ends_with_the_uninterrupted_rows(tmp_path: Path) -> None:
    figures = kill_and_resume(tmp_path, kills=3)
    print(json.dumps({k: v for k, v in figures.items() if k != "log"}), *figures["log"], sep="\n")
    check(figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kill-resume"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    figures = kill_and_resume(args.work, args.kills, args.seed)
    print(json.dumps(figures, indent=1))
    check(figures)
    print("ok: one row per key, equal to the uninterrupted run's")
