"""Timestamp alignment: how far each predicted onset is from its reference onset.

Accumulates over files like a pyannote.metrics metric: call it once per file, then read
``report()`` (one row per file plus TOTAL) or ``summary()`` (errors pooled over all files,
not the mean of per-file means).

Every reference gets one absolute error. A reference left without a usable prediction is
"missing": wrong at every tolerance, and its error is ``duration / 2`` (the paper's
convention for failures, what a uniform guess would cost on average).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from bench.metrics import per_file_report

ACCURACY_TOLERANCES_MS = (10, 20, 40, 50, 100, 200)
# "order": sort both by time, pair i-th with i-th. "hungarian": minimum total |ref - hyp|.
# "sequence": pair by position in the lists as given (the reference in its order, the
# hypothesis in the order the model answered), e.g. word i of a transcript with answer i.
MATCHINGS = ("order", "hungarian", "sequence")
# Differences of decimal times carry binary noise (1.01 - 1.0 > 0.01); a nanosecond of
# slack keeps the "within tolerance, inclusive" test honest.
_TOLERANCE_SLACK_S = 1e-9


@dataclass
class _FileAlignment:
    errors: np.ndarray  # one per reference, seconds, missing ones = duration / 2
    matched: np.ndarray  # bool per reference
    # Per reference: seconds to the nearest predicted onset, whatever the matching (inf if none).
    nearest: np.ndarray
    n_hyp: int
    extra: int
    invalid: int


def _pairs(ref: np.ndarray, hyp: np.ndarray, matching: str) -> list[tuple[int, int]]:
    """Index pairs (reference i, hypothesis j); hypothesis entries may be non-finite."""
    if matching == "sequence":
        return [(i, i) for i in range(min(len(ref), len(hyp))) if np.isfinite(hyp[i])]
    valid = np.flatnonzero(np.isfinite(hyp))
    if matching == "order":
        ref_order = np.argsort(ref, kind="stable")
        hyp_order = valid[np.argsort(hyp[valid], kind="stable")]
        return list(zip(ref_order.tolist(), hyp_order.tolist()))
    if len(ref) == 0 or len(valid) == 0:
        return []
    rows, cols = linear_sum_assignment(np.abs(ref[:, None] - hyp[None, valid]))
    return list(zip(rows.tolist(), valid[cols].tolist()))


def _stats(errors: np.ndarray, matched: np.ndarray, nearest: np.ndarray,
           tolerances_ms: tuple[int, ...]) -> dict[str, float]:
    n_ref = len(errors)
    nan = float("nan")
    out = {
        "mae": float(errors.mean()) if n_ref else nan,
        "median_ae": float(np.median(errors)) if n_ref else nan,
        "p90_ae": float(np.percentile(errors, 90)) if n_ref else nan,
        "mae_matched": float(errors[matched].mean()) if matched.any() else nan,
    }
    for tol in tolerances_ms:
        hits = matched & (errors <= tol / 1000 + _TOLERANCE_SLACK_S)
        out[f"acc@{tol}ms"] = float(hits.mean()) if n_ref else nan
        # Detection regardless of matching: one miss plus one false alarm shifts every pair
        # between them under in-order matching, yet each reference may still have a prediction
        # close by.
        out[f"hit@{tol}ms"] = float((nearest <= tol / 1000 + _TOLERANCE_SLACK_S).mean()) if n_ref else nan
    return out


class AlignmentMetric:
    def __init__(self, matching: str = "order", tolerances_ms: tuple[int, ...] = ACCURACY_TOLERANCES_MS):
        if matching not in MATCHINGS:
            raise ValueError(f"unknown matching {matching!r}; expected one of {MATCHINGS}")
        self.matching = matching
        self.tolerances_ms = tuple(tolerances_ms)
        self._files: dict[str, _FileAlignment] = {}

    def __call__(
        self, uri: str, reference: list[float], hypothesis: list[float], duration: float
    ) -> dict[str, float]:
        if uri in self._files:
            raise ValueError(f"file {uri!r} was already scored")
        if not math.isfinite(duration) or duration < 0:
            raise ValueError(f"duration of {uri!r} must be finite and >= 0, got {duration}")
        ref = np.asarray(reference, dtype=float)
        if not np.all(np.isfinite(ref)):
            raise ValueError(f"reference onsets of {uri!r} must be finite")
        hyp = np.asarray(hypothesis, dtype=float)

        errors = np.full(len(ref), duration / 2)
        matched = np.zeros(len(ref), dtype=bool)
        pairs = _pairs(ref, hyp, self.matching)
        for i, j in pairs:
            errors[i] = abs(ref[i] - hyp[j])
            matched[i] = True
        invalid = int((~np.isfinite(hyp)).sum())
        finite = hyp[np.isfinite(hyp)]
        nearest = (np.abs(ref[:, None] - finite[None, :]).min(axis=1) if len(finite)
                   else np.full(len(ref), np.inf))
        self._files[uri] = _FileAlignment(
            errors=errors, matched=matched, nearest=nearest, n_hyp=len(hyp), extra=len(hyp) - invalid - len(pairs),
            invalid=invalid,
        )
        return self._row(self._files[uri])

    def _row(self, f: _FileAlignment) -> dict[str, float]:
        row = _stats(f.errors, f.matched, f.nearest, self.tolerances_ms)
        row.update(
            n_ref=len(f.errors),
            n_hyp=f.n_hyp,
            missing=int((~f.matched).sum()),
            extra=f.extra,
            invalid=f.invalid,
        )
        return row

    def summary(self) -> dict[str, float]:
        files = list(self._files.values())
        pooled = _FileAlignment(
            errors=np.concatenate([f.errors for f in files]) if files else np.zeros(0),
            matched=np.concatenate([f.matched for f in files]) if files else np.zeros(0, dtype=bool),
            nearest=np.concatenate([f.nearest for f in files]) if files else np.zeros(0),
            n_hyp=sum(f.n_hyp for f in files),
            extra=sum(f.extra for f in files),
            invalid=sum(f.invalid for f in files),
        )
        return self._row(pooled)

    def report(self) -> pd.DataFrame:
        return per_file_report({uri: self._row(f) for uri, f in self._files.items()}, self.summary())
