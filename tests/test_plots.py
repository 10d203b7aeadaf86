"""Issue 11, item 10: native-length rows are plotted at their mean audio length, and one
method's marker never hides another's."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from bench import plots
from bench.types import NATIVE


def table() -> pd.DataFrame:
    rows = []
    for method, acc in (("oracle", [1.0, 1.0]), ("pocketsphinx", [1.0, 1.0]), ("uniform", [0.2, 0.1])):
        for (duration, audio_s), a in zip(((NATIVE, 23.0), (60.0, 59.5)), acc):
            rows.append({"task": "word_all", "task_type": "word_all", "method": method, "duration": duration,
                         "audio_s": audio_s, "acc@50ms": a, "seconds_per_example": 0.1 + a})
    return pd.DataFrame(rows)


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list:
    shown: list = []
    close = plt.close
    monkeypatch.setattr(plots.plt, "close", lambda fig=None: (shown.append(fig), close(fig)))
    return shown


def test_native_rows_are_plotted_at_their_mean_audio_length(tmp_path: Path, figures: list) -> None:
    assert plots.accuracy_vs_duration(table(), tmp_path / "acc.png").is_file()
    (ax,) = [a for a in figures[0].axes if a.get_visible()]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"oracle", "pocketsphinx", "uniform"}
    for line in lines.values():
        xs = list(line.get_xdata())
        assert len(xs) == 2  # the native point and the 60 s point
        assert xs[0] == pytest.approx(23.0, rel=0.06) and xs[1] == pytest.approx(60.0, rel=0.06)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert any(label.startswith("native") for label in labels) and "60" in labels


def test_equal_answers_of_two_methods_do_not_hide_each_other(tmp_path: Path, figures: list) -> None:
    plots.accuracy_vs_duration(table(), tmp_path / "acc.png")
    (ax,) = [a for a in figures[0].axes if a.get_visible()]
    lines = {line.get_label(): line for line in ax.get_lines()}
    oracle, peer = lines["oracle"], lines["pocketsphinx"]
    assert list(oracle.get_ydata()) == list(peer.get_ydata())
    assert list(oracle.get_xdata()) != list(peer.get_xdata())  # nudged apart
    assert oracle.get_marker() != peer.get_marker()
    assert oracle.get_linestyle() == "--" and peer.get_linestyle() == "-"  # reference methods dashed


def test_speedups_at_native_length_are_plotted_too(tmp_path: Path, figures: list) -> None:
    ups = pd.DataFrame([{"task": "word_all", "duration": d, "method": "frame-ihp", "baseline": "token-hf",
                         "speedup": s} for d, s in ((NATIVE, 20.0), (60.0, 50.0))])
    assert plots.speedup_plot(ups, tmp_path / "s.png", table()).is_file()
    (line,) = figures[0].axes[0].get_lines()[:1]
    assert sorted(line.get_xdata()) == pytest.approx([23.0, 60.0])


def test_a_run_with_only_native_rows_still_has_plots(tmp_path: Path, figures: list) -> None:
    native = table()[table()["duration"] == NATIVE]
    assert plots.time_vs_duration(native, tmp_path / "t.png") is not None
