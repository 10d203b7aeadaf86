"""What a task is: it turns a recording into a question, and scores answers to it."""
from __future__ import annotations

import random
from abc import ABC, abstractmethod
from typing import Any

from bench.data.recording import Recording
from bench.metrics.alignment import AlignmentMetric
from bench.types import Example, Prediction


def ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


class Task(ABC):
    name: str
    # The kind of recording it asks about: "speech", "conversation" or "scene" (bench/data/sources.py).
    source: str
    # Whether answers are spans (onset and offset) rather than onsets.
    needs_offsets: bool = False
    # Aggregate metrics shown in report.md (report.csv has all); the first one is plotted.
    headline: tuple[str, ...] = ()

    @abstractmethod
    def make_example(self, recording: Recording, rng: random.Random) -> Example | None:
        """A question about `recording`, or None when the recording cannot support one."""

    @abstractmethod
    def new_scorers(self) -> dict[str, Any]:
        """Fresh metric objects that accumulate over examples (pyannote.metrics style)."""

    @abstractmethod
    def score(self, scorers: dict[str, Any], example: Example, prediction: Prediction) -> dict[str, float]:
        """Per-example metrics; also accumulates into `scorers`."""

    def summarize(self, scorers: dict[str, Any]) -> dict[str, float]:
        return {_key(prefix, k): v for prefix, s in scorers.items() for k, v in s.summary().items()}

    def answer_count(self, prediction: Prediction) -> int:
        """How many answers the prediction gave, to compare with `expected_count`."""
        return len(prediction.events)

    def expected_count(self, example: Example) -> int | None:
        """How many answers the query asks for; None when the query does not say."""
        return example.n_expected

    def example(self, recording: Recording, query: str, reference: list, n_expected: int,
                **metadata: Any) -> Example:
        return Example(
            id=f"{self.name}/{recording.id}",
            task=self.name,
            audio=recording.audio,
            query=query,
            reference=reference,
            n_expected=n_expected,
            metadata={**recording.metadata, **metadata},
        )


def _key(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


class OnsetTask(Task):
    """Tasks answered by onset times, scored by alignment error."""

    matchings: tuple[str, ...] = ("order",)
    headline = ("acc@50ms", "acc@20ms", "acc@100ms", "hit@50ms", "mae", "median_ae", "missing")

    def new_scorers(self) -> dict[str, Any]:
        # The first matching is the headline and gets unprefixed metric names.
        return {("" if i == 0 else m): AlignmentMetric(matching=m) for i, m in enumerate(self.matchings)}

    def score(self, scorers: dict[str, Any], example: Example, prediction: Prediction) -> dict[str, float]:
        reference = [e.onset for e in example.reference]
        hypothesis = [e.onset for e in prediction.events]
        out: dict[str, float] = {}
        for prefix, scorer in scorers.items():
            result = scorer(example.id, reference, hypothesis, example.audio.duration)
            out.update({_key(prefix, k): v for k, v in result.items()})
        return out
