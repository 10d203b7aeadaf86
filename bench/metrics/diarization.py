"""Diarization error rate and Jaccard error rate through pyannote.metrics.

Conventions, chosen to match the published scorers (md-eval / dscore):

- ``collar`` is in seconds on EACH side of a reference boundary, as md-eval's ``-c`` and
  dscore's ``--collar``; pyannote's ``collar`` is the total width, so it gets ``2 * collar``.
- With no UEM, a file is scored over the extent of reference ∪ hypothesis: dscore's
  ``gen_uem`` and pyannote's own fallback, passed explicitly so pyannote does not warn.
- JER: pyannote computes it in continuous time, dscore (the DIHARD scorer that publishes
  JER) on 10 ms frames. Boundaries (turns and UEM) are therefore snapped to dscore's frame
  grid before pyannote scores them (``jer_frame_step=None`` keeps continuous time). Both
  pool per-speaker JERs over all files for the aggregate. Remaining differences from dscore:
  pyannote applies collar/skip_overlap to JER too (dscore never does), maps speakers by
  maximal overlap rather than minimal JER, and scores a file with no reference speaker as
  JER 1.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from pyannote.core import Annotation, Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate, JaccardErrorRate

from bench.data.formats import to_annotation, to_timeline
from bench.metrics import per_file_report
from bench.types import Event

DSCORE_FRAME_STEP = 0.01
# pyannote.metrics component name -> our key
_DER_COMPONENTS = {
    "missed detection": "missed",
    "false alarm": "false_alarm",
    "confusion": "confusion",
    "total": "total",
}


def _snap(times: Iterable[float], step: float) -> list[float]:
    """dscore's turns_to_frames: a frame i (starting at i*step) is on iff onset <= i*step < offset.

    Each time goes to the first grid point ``step * i`` at or after it (0 for a negative time),
    computed per time: no grid as long as the latest time is built, so a far-off time (1e8 s)
    costs no memory and an infinite one is refused instead of overflowing.
    """
    t = np.asarray(list(times), dtype=float)
    if not t.size:
        return []
    if not np.isfinite(t).all():
        raise ValueError(f"times must be finite to be scored, got {t[~np.isfinite(t)][0]}")
    # Past 2**53 grid steps floats are coarser than the grid: such a time is its own grid point.
    coarse = np.abs(t) >= step * 2.0**53
    with np.errstate(over="ignore", invalid="ignore"):
        i = np.maximum(np.ceil(np.where(coarse, 0.0, t) / step), 0.0)
    # ceil(t / step) can be one off the float grid point step * i; move to the first at or after t.
    i = np.where(step * i < t, i + 1, i)
    i = np.where((i > 0) & (step * (i - 1) >= t), i - 1, i)
    return np.where(coarse, np.maximum(t, 0.0), step * i).tolist()


def _snap_annotation(annotation: Annotation, step: float) -> Annotation:
    tracks = list(annotation.itertracks(yield_label=True))
    bounds = _snap([t for seg, _, _ in tracks for t in (seg.start, seg.end)], step)
    snapped = Annotation(uri=annotation.uri)
    for k, (_, track, label) in enumerate(tracks):
        start, end = bounds[2 * k], bounds[2 * k + 1]
        if end > start:
            snapped[Segment(start, end), track] = label
    return snapped


def _snap_timeline(timeline: Timeline, step: float) -> Timeline:
    bounds = _snap([t for seg in timeline for t in (seg.start, seg.end)], step)
    pairs = zip(bounds[0::2], bounds[1::2])
    return Timeline([Segment(a, b) for a, b in pairs if b > a], uri=timeline.uri)


class DiarizationMetric:
    def __init__(
        self, collar: float = 0.0, skip_overlap: bool = False, jer_frame_step: float | None = DSCORE_FRAME_STEP
    ):
        if collar < 0:
            raise ValueError(f"collar must be >= 0, got {collar}")
        self.collar = collar
        self.skip_overlap = skip_overlap
        self.jer_frame_step = jer_frame_step
        self._der = DiarizationErrorRate(collar=2 * collar, skip_overlap=skip_overlap)
        self._jer = JaccardErrorRate(collar=2 * collar, skip_overlap=skip_overlap)
        self._rows: dict[str, dict[str, float]] = {}

    def __call__(
        self,
        uri: str,
        reference: list[Event],
        hypothesis: list[Event],
        uem: list[tuple[float, float]] | None = None,
    ) -> dict[str, float]:
        if uri in self._rows:
            raise ValueError(f"file {uri!r} was already scored")
        ref = to_annotation(reference, uri)
        hyp = to_annotation(hypothesis, uri)
        if uem is None:
            extent = (ref.get_timeline() | hyp.get_timeline()).extent()
            timeline = Timeline([extent] if extent else [], uri=uri)
        else:
            timeline = to_timeline(uem, uri)

        details = self._der(ref, hyp, uem=timeline, detailed=True)
        if self.jer_frame_step:
            step = self.jer_frame_step
            jer = self._jer(
                _snap_annotation(ref, step), _snap_annotation(hyp, step), uem=_snap_timeline(timeline, step)
            )
        else:
            jer = self._jer(ref, hyp, uem=timeline)

        row = {"der": float(details["diarization error rate"]), "jer": float(jer)}
        row.update({ours: float(details[theirs]) for theirs, ours in _DER_COMPONENTS.items()})
        self._rows[uri] = row
        return row

    def summary(self) -> dict[str, float]:
        row = {"der": float(abs(self._der)), "jer": float(abs(self._jer))}
        row.update({ours: float(self._der[theirs]) for theirs, ours in _DER_COMPONENTS.items()})
        return row

    def report(self) -> pd.DataFrame:
        return per_file_report(self._rows, self.summary())
