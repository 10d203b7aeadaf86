"""Health of an answer: the ways a generated answer goes wrong before its accuracy even matters."""
from __future__ import annotations

from typing import Any

import jiwer
import numpy as np
import pandas as pd

from bench.types import Example, Prediction

FLAGS = ("failed", "unparsable", "out_of_range", "unordered", "wrong_count", "duplicates")
# Flags added later: rows written before them lack the key and count as not flagged.
# degenerate_span: a span that ends at or before its start (offset <= onset). It is still
# scored as pyannote.metrics and sed_eval score it (an empty turn adds nothing to DER; an event
# scorer sees a wrong offset), and flagged here so it never passes unnoticed.
LATER_FLAGS = ("degenerate_span",)
# Answers a little past the end are rounding, not hallucination.
RANGE_TOLERANCE = 0.01


def answer_health(example: Example, prediction: Prediction, answered: int, expected: int | None) -> dict[str, Any]:
    """Flags for one answer. `expected` is None when the query does not say how many answers to give."""
    onsets = [e.onset for e in prediction.events]
    times = onsets + [e.offset for e in prediction.events if e.offset is not None]
    failed = prediction.failure is not None
    keys = [(e.label, round(e.onset, 2)) for e in prediction.events]
    degenerate = sum(1 for e in prediction.events if e.offset is not None and not e.offset > e.onset)
    health: dict[str, Any] = {
        "failed": failed,
        "failure_kind": prediction.failure.kind if failed else None,
        "unparsable": failed and prediction.failure.kind == "unparsable",
        "out_of_range": (failed and prediction.failure.kind == "out_of_range")
        or any(not (-RANGE_TOLERANCE <= t <= example.audio.duration + RANGE_TOLERANCE)
               or not np.isfinite(t) for t in times),
        "unordered": any(b < a for a, b in zip(onsets, onsets[1:])),
        "wrong_count": expected is not None and not failed and answered != expected,
        "duplicates": len(set(keys)) < len(keys),
        "degenerate_span": degenerate > 0,
        "degenerate_spans": degenerate,
    }
    transcript = example.metadata.get("transcript")
    if prediction.words is not None and transcript:
        health["wer"] = float(jiwer.wer(transcript, " ".join(prediction.words) or "<empty>"))
    return health


class HealthMetric:
    """Accumulates answer health over examples; reports the rate of each flag."""

    def __init__(self) -> None:
        self._rows: list[dict[str, Any]] = []

    def __call__(self, uri: str, health: dict[str, Any]) -> None:
        self._rows.append({"uri": uri, **health})

    def summary(self) -> dict[str, float]:
        if not self._rows:
            return {}
        frame = pd.DataFrame(self._rows)
        out = {f"{flag}_rate": float(frame[flag].mean()) for flag in FLAGS}
        for flag in LATER_FLAGS:
            seen = frame[flag] if flag in frame else pd.Series([False] * len(frame))
            out[f"{flag}_rate"] = float(seen.fillna(False).astype(bool).mean())
        if "wer" in frame:
            out["wer"] = float(frame["wer"].dropna().mean())
        return out
