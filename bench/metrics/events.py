"""DCASE-style sound event metrics through sed_eval, and PSDS through psds_eval.

sed_eval needs the class list when its metric objects are built, so files are buffered and
the objects are built per file in ``__call__`` and for all files in ``summary()``.

Class list: the ``labels`` given plus every label seen (a predicted class outside the given
list still counts as an insertion instead of crashing sed_eval). Only ``segment_accuracy``
depends on it (it counts true negatives over classes): without ``labels``, a file's row uses
that file's classes while the summary uses every class seen, so pass ``labels`` when
accuracies must be comparable.

Events without an offset (onset-only answers) become ``POINT_EVENT_DURATION`` spans: they
mark the segment they fall in and are scored fairly by ``onset_only_f1``; offset-aware
scores mostly count them wrong, the honest reading of an answer with no end time.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    # dcase_util (under sed_eval) imports pkg_resources, which warns on every start-up.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    import sed_eval
from psds_eval import PSDSEval

from bench.metrics import per_file_report
from bench.types import Event

POINT_EVENT_DURATION = 1e-3
# sed_eval builds a segments x classes matrix as long as the latest time of a file (float64);
# a file needing more cells than this (80 MB; 11 days at 1 s and 10 classes) is refused, so a
# far-off time (an answer's end: 1e8) cannot make it allocate tens of GB.
MAX_ROLL_CELLS = 10_000_000


@dataclass
class _File:
    uri: str
    reference: list[dict]
    hypothesis: list[dict]
    duration: float | None


def _sed_events(uri: str, events: Iterable[Event]) -> list[dict]:
    return [
        {
            "filename": uri,
            "event_label": e.label,
            "onset": e.onset,
            "offset": e.onset + POINT_EVENT_DURATION if e.offset is None else e.offset,
        }
        for e in events
    ]


def _labels_of(files: Iterable[_File]) -> set[str]:
    return {e["event_label"] for f in files for e in (*f.reference, *f.hypothesis)}


class EventMetric:
    def __init__(
        self,
        t_collar: float = 0.2,
        percentage_of_length: float = 0.2,
        time_resolution: float = 1.0,
        labels: list[str] | None = None,
    ):
        self.t_collar = t_collar
        self.percentage_of_length = percentage_of_length
        self.time_resolution = time_resolution
        self.labels = list(labels or [])
        self._files: dict[str, _File] = {}
        self._rows: dict[str, dict[str, float]] = {}

    def _class_list(self, files: list[_File]) -> list[str]:
        return self.labels + sorted(_labels_of(files) - set(self.labels))

    def _evaluate(self, files: list[_File]) -> dict[str, float]:
        labels = self._class_list(files)
        event_based = sed_eval.sound_event.EventBasedMetrics(
            event_label_list=labels, t_collar=self.t_collar, percentage_of_length=self.percentage_of_length
        )
        onset_only = sed_eval.sound_event.EventBasedMetrics(
            event_label_list=labels,
            t_collar=self.t_collar,
            percentage_of_length=self.percentage_of_length,
            evaluate_offset=False,
        )
        segment_based = sed_eval.sound_event.SegmentBasedMetrics(
            event_label_list=labels, time_resolution=self.time_resolution
        )
        for f in files:
            event_based.evaluate(f.reference, f.hypothesis)
            onset_only.evaluate(f.reference, f.hypothesis)
            segment_based.evaluate(f.reference, f.hypothesis, evaluated_length_seconds=f.duration)
        ev = event_based.results_overall_metrics()
        seg = segment_based.results_overall_metrics()
        # With no reference event sed_eval divides insertions by machine epsilon (~4.5e15
        # per insertion); the rate is undefined there.
        no_reference = not any(f.reference for f in files) and any(f.hypothesis for f in files)
        undefined = float("nan")
        return {
            "event_f1": float(ev["f_measure"]["f_measure"]),
            "event_precision": float(ev["f_measure"]["precision"]),
            "event_recall": float(ev["f_measure"]["recall"]),
            "event_error_rate": undefined if no_reference else float(ev["error_rate"]["error_rate"]),
            "onset_only_f1": float(onset_only.results_overall_metrics()["f_measure"]["f_measure"]),
            "segment_f1": float(seg["f_measure"]["f_measure"]),
            "segment_error_rate": undefined if no_reference else float(seg["error_rate"]["error_rate"]),
            # sed_eval reports accuracy 0.0 when there was nothing to count (no classes).
            "segment_accuracy": float(seg["accuracy"]["accuracy"]) if labels else float("nan"),
        }

    def __call__(
        self, uri: str, reference: list[Event], hypothesis: list[Event], duration: float | None = None
    ) -> dict[str, float]:
        if uri in self._files:
            raise ValueError(f"file {uri!r} was already scored")
        self._check_extent(uri, [*reference, *hypothesis], duration)
        f = _File(uri, _sed_events(uri, reference), _sed_events(uri, hypothesis), duration)
        self._files[uri] = f
        self._rows[uri] = self._evaluate([f])
        return self._rows[uri]

    def _check_extent(self, uri: str, events: list[Event], duration: float | None) -> None:
        times = [t for e in events for t in (e.onset, e.offset) if t is not None]
        if duration is not None:
            times.append(duration)
        bad = [t for t in times if not math.isfinite(t)]
        if bad:
            raise ValueError(f"file {uri!r}: time {bad[0]} is not finite")
        latest = max(times, default=0.0)
        classes = max(1, len(self.labels) + len({e.label for e in events} - set(self.labels)))
        if latest / self.time_resolution * classes > MAX_ROLL_CELLS:
            raise ValueError(f"file {uri!r}: a time of {latest:g} s is too far off to score "
                             f"({classes} class(es) at {self.time_resolution:g} s segments; "
                             f"at most {MAX_ROLL_CELLS:g} cells)")

    def summary(self) -> dict[str, float]:
        return self._evaluate(list(self._files.values()))

    def report(self) -> pd.DataFrame:
        return per_file_report(self._rows, self.summary())


class _PSDSEval(PSDSEval):
    """psds_eval 0.5.3 on pandas >= 3 and numpy >= 2.

    Two helpers of the released package call APIs those versions removed
    (``fillna(method="ffill")`` and ``int()`` of a 1-element array). These overrides do the
    same computation with current APIs and change nothing else.
    """

    @staticmethod
    def step_curve(x, xp, yp):
        roc = pd.DataFrame({"x": xp, "y": yp}).groupby("x").agg("max").reset_index().sort_values(by="x")
        roc["y"] = roc["y"].cummax()
        merged = pd.merge(pd.Series(x, name="x"), roc, how="outer", on="x")
        return merged.ffill().fillna(value=0).y.values

    @staticmethod
    def _auc(x, y, max_x=None, decreasing_y=False):
        if max_x is not None and max_x not in x:
            # psds_eval inserts max_x itself, repeating the y value just before it.
            i = int(np.searchsorted(x, max_x))
            x, y = np.insert(x, i, max_x), np.insert(y, i, y[i - 1])
        return PSDSEval._auc(x, y, max_x, decreasing_y)


def _psds_table(file_to_events: Mapping[str, Iterable[Event]]) -> pd.DataFrame:
    rows = []
    for uri, events in file_to_events.items():
        for e in events:
            if e.offset is None:
                raise ValueError(f"PSDS needs event offsets; {e} in {uri!r} has none")
            rows.append({"filename": uri, "onset": e.onset, "offset": e.offset, "event_label": e.label})
    return pd.DataFrame(rows, columns=["filename", "onset", "offset", "event_label"])


def psds(
    ground_truth: Mapping[str, Iterable[Event]],
    detections: Mapping[str, Iterable[Event]],
    metadata: Mapping[str, float],
    dtc: float = 0.5,
    gtc: float = 0.5,
    cttc: float = 0.3,
    alpha_ct: float = 0.0,
    alpha_st: float = 0.0,
    max_efpr: float = 100.0,
) -> float:
    """PSDS of one operating point. ``metadata`` maps every evaluated file to its duration
    in seconds, files without events included (they count towards the false-positive rate)."""
    meta = pd.DataFrame({"filename": list(metadata), "duration": [float(d) for d in metadata.values()]})
    with warnings.catch_warnings():
        # psds_eval's own pandas calls are deprecated in pandas 3; nothing a caller can act on.
        warnings.simplefilter("ignore", DeprecationWarning)
        evaluator = _PSDSEval(
            dtc_threshold=dtc,
            gtc_threshold=gtc,
            cttc_threshold=cttc,
            ground_truth=_psds_table(ground_truth),
            metadata=meta,
        )
        evaluator.add_operating_point(_psds_table(detections))
        return float(evaluator.psds(alpha_ct=alpha_ct, alpha_st=alpha_st, max_efpr=max_efpr).value)
