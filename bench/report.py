"""`bench report`: per-task tables (report.md, report.csv) and plots from a run's results.jsonl.

Aggregates are recomputed from the per-example rows with the tasks' accumulating metric objects,
so a DER is total error over total speech, not a mean of per-file rates.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from bench.jsonl import read_jsonl
from bench.metrics.health import HealthMetric
from bench.metrics.speed import SpeedMetric, speedup
from bench.tasks import get_task
from bench.types import NATIVE, Example, Prediction, duration_label

# They do no work worth timing, so speedups over or of them mean nothing.
REFERENCE_METHODS = {"oracle", "uniform"}
HEALTH_COLUMNS = ("failed_rate", "wrong_count_rate", "out_of_range_rate")
SPEED_COLUMNS = ("seconds_per_example", "rtf")


def load_rows(run_dir: Path) -> list[dict[str, Any]]:
    return read_jsonl(run_dir / "results.jsonl", repair=False)


def task_type(row: dict[str, Any]) -> str:
    """The task a row answers; row["task"] is the suite's name for it, which may differ."""
    return row["example"]["task"]


def summarize_group(rows: list[dict[str, Any]]) -> dict[str, float]:
    task = get_task(task_type(rows[0]))
    scorers, health, speed = task.new_scorers(), HealthMetric(), SpeedMetric()
    from bench.runner import scorable  # the same filtering the runner applied per row

    for row in rows:
        example, prediction = Example.from_dict(row["example"]), Prediction.from_dict(row["prediction"])
        task.score(scorers, example, scorable(prediction, task.needs_offsets))
        health(example.id, row["health"])
        speed(example.id, prediction.timings, example.audio.duration)
    audio_s = sum(r["example"]["audio"]["duration"] for r in rows) / len(rows)
    return {"n": len(rows), "audio_s": audio_s, **task.summarize(scorers), **health.summary(), **speed.summary()}


def aggregate(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (task, method, duration) with every aggregate metric as a column."""
    groups: dict[tuple[str, str, float], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["task"], row["method"], float(row["duration"]))].append(row)
    # Tasks keep the suite's order (the runner's row order); methods and durations are sorted.
    task_order = {t: i for i, t in enumerate(dict.fromkeys(r["task"] for r in rows))}
    records = [{"task": t, "task_type": task_type(g[0]), "method": m, "duration": d, **summarize_group(g)}
               for (t, m, d), g in sorted(groups.items(), key=lambda kv: (task_order[kv[0][0]], kv[0][1:]))]
    return pd.DataFrame(records)


def speedups(rows: list[dict[str, Any]], baseline: str) -> pd.DataFrame:
    """Speedup of every method over `baseline` per task and duration, on the examples both answered."""
    seconds: dict[tuple[str, float, str], dict[str, float]] = defaultdict(dict)
    for row in rows:
        seconds[(row["task"], float(row["duration"]), row["method"])][row["example"]["id"]] = row["speed"]["seconds"]
    records = []
    for (task, duration, method), times in sorted(seconds.items()):
        base = seconds.get((task, duration, baseline))
        if base is not None and method != baseline and method not in REFERENCE_METHODS:
            records.append({"task": task, "duration": duration, "method": method, "baseline": baseline,
                            "speedup": speedup(base, times)})
    return pd.DataFrame(records)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def markdown_table(frame: pd.DataFrame, columns: list[str]) -> str:
    columns = [c for c in columns if c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_fmt(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def pick_baseline(methods: list[str]) -> str:
    """Speedups are over the token baseline when the run has one: that is the paper's comparison."""
    for preferred in ("token-hf", "token-vllm"):
        if preferred in methods:
            return preferred
    return methods[0]


def write_report(run_dir: Path, timelines: int = 3, in_distribution: float = 15.0) -> Path:
    from bench import plots
    from bench.findings import write_findings

    rows = load_rows(run_dir)
    if not rows:
        raise ValueError(f"{run_dir}: results.jsonl holds no rows")
    table = aggregate(rows)
    table.to_csv(run_dir / "report.csv", index=False)
    methods = list(dict.fromkeys(r["method"] for r in rows))
    baseline = pick_baseline([m for m in methods if m not in REFERENCE_METHODS] or methods)
    ups = speedups(rows, baseline)
    if not ups.empty:
        ups.to_csv(run_dir / "speedup.csv", index=False)

    plot_dir = run_dir / "plots"
    figures = plots.make_all(table, ups, rows, plot_dir, timelines)

    lines = [f"# Report: {run_dir.name}", "",
             f"{len(rows)} answered examples; methods: {', '.join(methods)}. "
             "`duration` is the suite's nominal length, `audio_s` the mean real length (clips are never cut). "
             "Full numbers: report.csv.", ""]
    in_range = [{**r, "duration": in_distribution} for r in rows if NATIVE < float(r["duration"]) <= in_distribution]
    if in_range and any(float(r["duration"]) > in_distribution for r in rows):
        lines += write_findings(table, aggregate(in_range), ups, in_distribution, baseline)
    for task_name, frame in table.groupby("task", sort=False):
        task = get_task(frame["task_type"].iloc[0])
        frame = frame.sort_values(["duration", "method"]).assign(duration=frame["duration"].map(duration_label))
        lines += [f"## {task_name}", "", markdown_table(
            frame,
            ["method", "duration", "audio_s", "n", *task.headline, *HEALTH_COLUMNS, *SPEED_COLUMNS]), ""]
    if not ups.empty:
        pivot = ups.pivot_table(index=["task", "method"], columns="duration", values="speedup").reset_index()
        pivot.columns = [c if isinstance(c, str) else duration_label(c) for c in pivot.columns]
        lines += [f"## Speedup over {baseline}", "", markdown_table(pivot, list(pivot.columns)), ""]
    if figures:
        lines += ["## Plots", ""] + [f"![{f.stem}](plots/{f.name})" for f in figures] + [""]
    report = run_dir / "report.md"
    report.write_text("\n".join(lines))
    return report
