"""Reference methods that bound every table: a perfect answer and a blind one."""
from __future__ import annotations

from typing import Any

from bench.audio import Audio
from bench.method import Method, stage
from bench.tasks import get_task
from bench.types import Event, Example, Prediction


class Oracle(Method):
    """Returns the reference. Anything short of a perfect score means a metric is broken."""

    def predict(self, example: Example, audio: Audio) -> Prediction:
        timings: dict[str, float] = {}
        with stage(timings, "answer"):
            events = list(example.reference)
        return Prediction(events=events, timings=timings, audio_seconds_consumed=audio.duration)


class Uniform(Method):
    """Spreads the expected number of answers evenly over the audio, without listening."""

    def predict(self, example: Example, audio: Audio) -> Prediction:
        timings: dict[str, float] = {}
        with stage(timings, "answer"):
            n = max(example.n_expected, 1)
            step = audio.duration / n
            labels = example.metadata.get("labels") or [f"spk{i}" for i in range(n)]
            spans = get_task(example.task).needs_offsets
            events = [
                Event(
                    labels[i % len(labels)],
                    round((i + 0.5) * step if not spans else i * step, 3),
                    round((i + 1) * step, 3) if spans else None,
                )
                for i in range(n)
            ]
        return Prediction(events=events, timings=timings, audio_seconds_consumed=0.0)


def make_oracle(options: dict[str, Any]) -> Method:
    return Oracle()


def make_uniform(options: dict[str, Any]) -> Method:
    return Uniform()
