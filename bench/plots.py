"""Report figures: accuracy and wall time against audio duration, speedups, and example timelines."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # reports are made on headless machines
import matplotlib.pyplot as plt
import pandas as pd

from bench.audio import AudioError, load_audio
from bench.tasks import get_task
from bench.types import NATIVE, Event

TIMELINE_MAX_SECONDS = 60.0  # a spectrogram of ten minutes shows nothing; show the start


def _grid(n: int) -> tuple[plt.Figure, list[plt.Axes]]:
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _duration_axis(ax: plt.Axes, positions: pd.DataFrame) -> None:
    """Log-spaced durations, labelled with the suite's own values rather than powers of ten;
    native rows sit at their mean audio length, labelled as such."""
    ticks: dict[float, str] = {}
    for x, nominal in sorted(zip(positions["x"], positions["duration"])):
        ticks.setdefault(float(x), "native\n~%.3g" % x if nominal == NATIVE else f"{nominal:g}")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(list(ticks)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FixedFormatter(list(ticks.values())))
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())


# Methods that only calibrate the scale (perfect and chance answers): dashed, hollow markers.
REFERENCE_METHODS = {"oracle", "uniform"}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
# Each method's points are nudged sideways by this factor of x (log axis), so identical values
# (oracle and a perfect peer, say) stay visible side by side instead of one hiding the other.
NUDGE = 0.025


def plot_positions(table: pd.DataFrame, native_x: dict[str, float] | None = None) -> pd.DataFrame:
    """`table` with an `x` column: the nominal duration, or for native-length rows (corpus files
    as they are) the mean audio length of the task's native rows. Rows with no place are dropped."""
    table = table.copy()
    if table.empty:
        table["x"] = []
        return table
    native = table["duration"] == NATIVE
    if native_x is None:
        native_x = (table[native].groupby("task")["audio_s"].mean().to_dict()
                    if "audio_s" in table.columns else {})
    table["x"] = [native_x.get(t, math.nan) if n else d for t, d, n in zip(table["task"], table["duration"], native)]
    return table[table["x"].map(lambda x: isinstance(x, (int, float)) and math.isfinite(x) and x > 0)]


def method_style(method: str, index: int, count: int) -> dict[str, Any]:
    reference = method in REFERENCE_METHODS
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {"marker": MARKERS[index % len(MARKERS)], "linestyle": "--" if reference else "-",
            "color": colors[index % len(colors)], "markerfacecolor": "none" if reference else None,
            "label": method, "nudge": (1 + NUDGE) ** (index - (count - 1) / 2)}


def _draw(ax: plt.Axes, frame: pd.DataFrame, column: str, methods: list[str]) -> None:
    """One line per method; `methods` is the whole figure's, so a method looks the same in every panel."""
    for method in sorted(frame["method"].unique()):
        group = frame[frame["method"] == method].sort_values("x")
        style = method_style(method, methods.index(method), len(methods))
        nudge = style.pop("nudge")
        ax.plot(group["x"] * nudge, group[column], **style)


def _per_task_lines(table: pd.DataFrame, metric_of: Any, ylabel_of: Any, path: Path, logy: bool = False) -> Path | None:
    table = plot_positions(table)
    types = dict(zip(table["task"], table["task_type"]))
    tasks = [t for t in table["task"].unique() if metric_of(types[t]) in table.columns]
    if table.empty or not tasks:
        return None
    fig, axes = _grid(len(tasks))
    methods = sorted(table["method"].unique())
    for ax, task in zip(axes, tasks):
        frame = table[table["task"] == task]
        _draw(ax, frame, metric_of(types[task]), methods)
        _duration_axis(ax, frame)
        if logy:
            ax.set_yscale("log")
        ax.set_title(task)
        ax.set_xlabel("audio duration (s)")
        ax.set_ylabel(ylabel_of(types[task]))
        ax.grid(alpha=0.3)
    # Every method once, whichever panels it answers.
    handles = {h.get_label(): h for ax in axes for h in ax.get_lines()}
    axes[0].legend([handles[m] for m in methods if m in handles], [m for m in methods if m in handles], fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def accuracy_vs_duration(table: pd.DataFrame, path: Path) -> Path | None:
    metric = lambda task: get_task(task).headline[0]  # noqa: E731
    return _per_task_lines(table, metric, metric, path)


def time_vs_duration(table: pd.DataFrame, path: Path) -> Path | None:
    return _per_task_lines(table, lambda _: "seconds_per_example", lambda _: "wall s / example (log)", path, logy=True)


def speedup_plot(ups: pd.DataFrame, path: Path, table: pd.DataFrame | None = None) -> Path | None:
    if ups.empty:
        return None
    # Native rows sit at the mean audio length of their task (from the report's table).
    native_x: dict[str, float] = {}
    if table is not None and not table.empty and "audio_s" in table.columns:
        native = table[table["duration"] == NATIVE]
        native_x = native.groupby("task")["audio_s"].mean().to_dict()
    ups = plot_positions(ups, native_x)
    if ups.empty:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    pairs = sorted(ups.groupby(["task", "method"]).groups)
    for i, (task, method) in enumerate(pairs):
        group = ups[(ups["task"] == task) & (ups["method"] == method)].sort_values("x")
        style = method_style(method, i, len(pairs))
        nudge = style.pop("nudge")
        style["label"] = f"{method} / {task}"
        ax.plot(group["x"] * nudge, group["speedup"], **style)
    ax.axhline(1.0, color="grey", lw=0.8)
    _duration_axis(ax, ups)
    ax.set_yscale("log")
    ax.set_xlabel("audio duration (s)")
    ax.set_ylabel(f"speedup over {ups['baseline'].iloc[0]} (x)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _lane(ax: plt.Axes, y: float, events: list[Event], color: str, limit: float) -> None:
    for e in events:
        if e.onset > limit:
            continue
        if e.offset is not None:
            ax.add_patch(plt.Rectangle((e.onset, y - 0.35), min(e.offset, limit) - e.onset, 0.7, color=color, alpha=0.5))
        ax.plot([e.onset, e.onset], [y - 0.45, y + 0.45], color=color, lw=1.2)


def timeline(example_rows: list[dict[str, Any]], path: Path) -> Path | None:
    """Spectrogram of one example, then a lane for the reference and one per method's answer."""
    example = example_rows[0]["example"]
    try:
        audio = load_audio(example["audio"]["path"])
    except AudioError:
        return None
    shown = min(audio.duration, TIMELINE_MAX_SECONDS)
    samples = audio.samples[: int(shown * audio.sample_rate)]
    lanes = [("reference", [Event.from_dict(e) for e in example["reference"]])]
    lanes += [(r["method"], [Event.from_dict(e) for e in r["prediction"]["events"]]) for r in example_rows]
    fig, (spec_ax, lane_ax) = plt.subplots(2, 1, figsize=(11, 2.2 + 0.35 * len(lanes)), sharex=True,
                                           gridspec_kw={"height_ratios": [2, 0.3 * len(lanes) + 0.4]})
    spec_ax.specgram(samples + 1e-7, NFFT=400, noverlap=240, Fs=audio.sample_rate, cmap="magma")
    spec_ax.set_ylabel("Hz")
    cut = f" (first {shown:.0f} of {audio.duration:.0f} s)" if shown < audio.duration else ""
    spec_ax.set_title(f"{example['id']}: {example['query'][:110]}{cut}", fontsize=8)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, events) in enumerate(lanes):
        _lane(lane_ax, len(lanes) - 1 - i, events, "black" if i == 0 else colors[i % len(colors)], shown)
    lane_ax.set_yticks(range(len(lanes)))
    lane_ax.set_yticklabels([name for name, _ in reversed(lanes)], fontsize=8)
    lane_ax.set_ylim(-0.6, len(lanes) - 0.4)
    lane_ax.set_xlim(0, shown)
    lane_ax.set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def pick_timeline_examples(rows: list[dict[str, Any]], count: int) -> list[list[dict[str, Any]]]:
    """The first example of each task at its shortest duration, up to `count`, with every method's row."""
    by_example: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_example.setdefault(row["example"]["id"], []).append(row)
    chosen: dict[str, list[dict[str, Any]]] = {}
    for example_id, group in sorted(by_example.items(), key=lambda kv: (kv[1][0]["duration"], kv[0])):
        chosen.setdefault(group[0]["task"], group)
    return list(chosen.values())[:count]


def make_all(table: pd.DataFrame, ups: pd.DataFrame, rows: list[dict[str, Any]], out: Path,
             timelines: int) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    figures = [
        accuracy_vs_duration(table, out / "accuracy_vs_duration.png"),
        time_vs_duration(table, out / "time_vs_duration.png"),
        speedup_plot(ups, out / "speedup.png", table),
    ]
    for group in pick_timeline_examples(rows, timelines):
        name = group[0]["example"]["id"].replace("/", "_")
        figures.append(timeline(group, out / f"timeline_{name}.png"))
    return [f for f in figures if f is not None]
