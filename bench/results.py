"""Reading a run's results.jsonl for merge, report and check: a damaged or foreign file is a
one-line DataError naming the file and row, never a traceback from deep inside a report."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.errors import DataError
from bench.jsonl import read_jsonl
from bench.metrics.health import FLAGS
from bench.types import Example, Prediction

RESULTS = "results.jsonl"


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} is {type(value).__name__}, not a number")
    return float(value)


def check_row(row: dict[str, Any]) -> None:
    """Raise ValueError naming the first field a report could not use."""
    for field in ("key", "method", "task"):
        if not isinstance(row.get(field), str) or not row[field]:
            raise ValueError(f"{field!r} is missing or not a string")
    duration = _number(row.get("duration"), "'duration'")
    if not (math.isfinite(duration) and duration >= 0):
        raise ValueError(f"'duration' {duration} is not a finite length")
    for field in ("example", "prediction", "health", "speed", "metrics"):
        if not isinstance(row.get(field), dict):
            raise ValueError(f"{field!r} is missing or not an object")
    try:
        example = Example.from_dict(row["example"])
        Prediction.from_dict(row["prediction"])
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise ValueError(f"'example'/'prediction' malformed ({type(e).__name__}: {' '.join(str(e).split())[:120]})") from None
    audio = _number(example.audio.duration, "'example.audio.duration'")
    if not (math.isfinite(audio) and audio >= 0):
        raise ValueError(f"'example.audio.duration' {audio} is not a finite length")
    from bench.tasks import TASK_NAMES

    if example.task not in TASK_NAMES:
        raise ValueError(f"'example.task' {example.task!r} is not a task")
    for flag in FLAGS:
        if not isinstance(row["health"].get(flag), bool):
            raise ValueError(f"'health.{flag}' is missing or not true/false")
    _number(row["speed"].get("seconds"), "'speed.seconds'")


def check_rows(rows: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    for i, row in enumerate(rows, start=1):
        try:
            check_row(row)
        except ValueError as e:
            raise DataError(f"{path}: row {i}: not a result row of this harness: {e}") from None
    return rows


def read_results(run_dir: Path) -> list[dict[str, Any]]:
    """A run's rows, checked; a torn last line (a run killed mid-write) is left out."""
    path = run_dir / RESULTS
    return check_rows(read_jsonl(path, repair=False), path)
