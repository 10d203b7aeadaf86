"""The paper's claims, stated with a run's measured numbers (the Findings section of `bench report`).

1. In distribution, the frame head trained as an inhomogeneous Poisson process (frame-ihp) is the
   most accurate way an audio LM answers "when?".
2. On audio far longer than training, frame heads keep their accuracy while token timestamps
   collapse: *retention* is a method's accuracy at a length divided by its own in-distribution
   accuracy.
3. Frame heads answer more than 50x faster than token generation.

Each claim is checked, not assumed: the text says where it holds and where it does not.
"""
from __future__ import annotations

import math
import pandas as pd

# The accuracy each task is judged by (the targets: words at 50 ms, onsets at 100 ms),
# and whether higher is better.
HEADLINE = {"word_all": ("acc@50ms", True), "word_single": ("acc@50ms", True),
            "speaker_onset": ("acc@100ms", True), "event_onset": ("acc@100ms", True),
            "diarization": ("der", False), "event_detection": ("event_f1", True)}
ONSET_TASKS = ("word_all", "word_single", "speaker_onset", "event_onset")
# Detection regardless of matching, beside accuracy, where an example has many answers: under
# in-order matching one miss plus one false alarm shifts every pair between them, and on long
# audio with hundreds of words that alone can take accuracy to zero.
HIT_METRIC = {"word_all": "hit@50ms"}
LONG = (60.0, 300.0)
SKIP = {"oracle"}


def is_model(method: str) -> bool:
    """The audio-LM methods the claims are about (peers and references are context)."""
    return method.startswith(("token-", "frame-"))


def _value(frame: pd.DataFrame, task: str, method: str, metric: str, duration: float | None = None) -> float:
    rows = frame[(frame["task"] == task) & (frame["method"] == method)]
    if duration is not None:
        rows = rows[rows["duration"] == duration]
    if rows.empty or metric not in rows.columns:
        return math.nan
    return float(rows[metric].iloc[0])


def _fmt(x: float, pct: bool = False) -> str:
    if x is None or math.isnan(x):
        return "-"
    return f"{x:.0%}" if pct else f"{x:.2f}"


def ranking(pooled: pd.DataFrame) -> tuple[list[str], dict[str, list[tuple[str, float]]]]:
    lines = ["| task | metric | ranking, best first |", "|---|---|---|"]
    ranks: dict[str, list[tuple[str, float]]] = {}
    for task in pooled["task"].unique():
        kind = pooled[pooled["task"] == task]["task_type"].iloc[0]
        if kind not in HEADLINE:
            continue
        metric, higher = HEADLINE[kind]
        values = [(m, _value(pooled, task, m, metric)) for m in pooled[pooled["task"] == task]["method"].unique()
                  if m not in SKIP]
        values = sorted([v for v in values if not math.isnan(v[1])], key=lambda v: -v[1] if higher else v[1])
        ranks[task] = values
        lines.append(f"| {task} | {metric} | " + ", ".join(f"{m} {v:.2f}" for m, v in values) + " |")
    return lines, ranks


def write_findings(table: pd.DataFrame, pooled: pd.DataFrame, speedups: pd.DataFrame, in_distribution: float,
                   baseline: str) -> list[str]:
    """Markdown lines: ranking in distribution, retention with length, speedup over `baseline`."""
    table = table[table["duration"] > 0]
    out = ["## Findings", "",
           f"In distribution means audio of at most {in_distribution:g} s (the shipped models trained on 2-15 s), "
           "pooled over those durations. Accuracy is acc@50ms for words and acc@100ms for speaker and event "
           "onsets; DER is lower-better.", "", "### 1. Which method is most accurate in distribution?", ""]
    lines, ranks = ranking(pooled)
    out += lines + [""]
    frame_ihp_first = [t for t, r in ranks.items() if [m for m, _ in r if is_model(m)][:1] == ["frame-ihp"]]
    models = sorted({m for r in ranks.values() for m, _ in r if is_model(m)})
    if "frame-ihp" in models:
        out.append(f"Claim: frame-ihp is the most accurate audio-LM method in distribution. Measured: first among "
                   f"{', '.join(models)} on {len(frame_ihp_first)} of {len(ranks)} tasks"
                   + (f" ({', '.join(frame_ihp_first)})." if frame_ihp_first else "."))
        out.append("")

    long = sorted(d for d in table["duration"].unique() if d > in_distribution)
    out += ["### 2. Do the answers survive long audio?", "",
            "Retention = a metric at a length / the same method's in-distribution value, in brackets.", "",
            "| task | metric | method | in distribution | " + " | ".join(f"{d:g} s" for d in long) + " |",
            "|" + "---|" * (4 + len(long))]
    retention: dict[tuple[str, str, str], dict[float, float]] = {}
    for task in pooled["task"].unique():
        kind = pooled[pooled["task"] == task]["task_type"].iloc[0]
        if kind not in ONSET_TASKS:
            continue
        for metric in (HEADLINE[kind][0], HIT_METRIC.get(kind)):
            if metric is None or metric not in pooled.columns:
                continue
            for method in sorted(m for m in pooled[pooled["task"] == task]["method"].unique() if is_model(m)):
                base = _value(pooled, task, method, metric)
                cells = []
                for d in long:
                    v = _value(table, task, method, metric, d)
                    r = v / base if base and not math.isnan(base) and base > 0 else math.nan
                    retention.setdefault((task, metric, method), {})[d] = r
                    cells.append(f"{_fmt(v)} ({_fmt(r, pct=True)})")
                out.append(f"| {task} | {metric} | {method} | {_fmt(base)} | " + " | ".join(cells) + " |")
    out.append("")
    for metric, what in (("acc@50ms", "all-words accuracy"), ("hit@50ms", "all-words hit rate")):
        for method in ("frame-ihp", baseline):
            r = retention.get(("word_all", metric, method))
            if r:
                kept = ", ".join(f"{_fmt(r.get(d, math.nan), pct=True)} at {d:g} s" for d in LONG if d in r)
                out.append(f"- {method} keeps {kept} of its in-distribution {what} ({metric}).")
    out.append("")

    out += [f"### 3. How much faster than {baseline}?", ""]
    if speedups.empty:
        out += ["No speedups: the run has no token baseline.", ""]
        return out
    frame = speedups[speedups["method"].map(is_model)]
    pivot = frame.groupby(["method", "duration"])["speedup"].median().unstack("duration")
    out += ["Median over tasks of (token seconds / method seconds) on the same examples.", "",
            "| method | " + " | ".join(f"{d:g} s" for d in pivot.columns) + " |",
            "|" + "---|" * (1 + len(pivot.columns))]
    for method, row in pivot.iterrows():
        out.append(f"| {method} | " + " | ".join(f"{v:.1f}x" for v in row.values) + " |")
    if "frame-ihp" in pivot.index:
        row = pivot.loc["frame-ihp"]
        over = [f"{d:g} s" for d, v in row.items() if v > 50]
        out += ["", f"Claim: more than 50x faster. Measured: frame-ihp is {row.min():.0f}x-{row.max():.0f}x faster than "
                f"{baseline}; above 50x at " + (", ".join(over) if over else "no duration") + "."]
    out.append("")
    return out

