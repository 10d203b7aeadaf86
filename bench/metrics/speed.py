"""Wall-clock speed: seconds per example, real-time factor per stage, and speedups between methods."""
from __future__ import annotations

import numpy as np


class SpeedMetric:
    """Accumulates per-example timings. The real-time factor is total time over total audio."""

    def __init__(self) -> None:
        self._seconds: list[float] = []
        self._audio: list[float] = []
        self._stages: dict[str, float] = {}

    def __call__(self, uri: str, timings: dict[str, float], audio_seconds: float) -> dict[str, float]:
        total = float(sum(timings.values()))
        self._seconds.append(total)
        self._audio.append(audio_seconds)
        for name, value in timings.items():
            self._stages[name] = self._stages.get(name, 0.0) + value
        return {"seconds": total, "rtf": total / audio_seconds if audio_seconds > 0 else float("nan")}

    def summary(self) -> dict[str, float]:
        if not self._seconds:
            return {}
        audio = float(np.sum(self._audio))
        out = {
            "seconds_per_example": float(np.mean(self._seconds)),
            "rtf": float(np.sum(self._seconds)) / audio if audio > 0 else float("nan"),
        }
        out.update({f"rtf/{name}": value / audio for name, value in sorted(self._stages.items()) if audio > 0})
        return out


def speedup(baseline_seconds: dict[str, float], method_seconds: dict[str, float]) -> float:
    """How many times faster `method` is than `baseline` on the examples both answered."""
    common = baseline_seconds.keys() & method_seconds.keys()
    if not common:
        return float("nan")
    fast = sum(method_seconds[k] for k in common)
    slow = sum(baseline_seconds[k] for k in common)
    return slow / fast if fast > 0 else float("inf")
