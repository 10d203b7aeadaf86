"""The interface every method implements (the "solver" in inspect_ai's terms)."""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, Iterator

from bench.audio import Audio
from bench.types import Example, Prediction


class Method(ABC):
    """Answers examples. Subclasses implement `predict`; batching methods override `predict_batch`."""

    name: str = ""
    # How many examples the runner hands over at once.
    batch_size: int = 1

    def setup(self) -> None:
        """Load models, start servers. Timed apart from per-example work."""

    def settings(self) -> dict[str, Any]:
        """What a result depends on beyond the method's name (checkpoint, attention, decoder); stored per row."""
        return {}

    def close(self) -> None:
        """Release what setup acquired."""

    @abstractmethod
    def predict(self, example: Example, audio: Audio) -> Prediction: ...

    def predict_batch(self, batch: list[tuple[Example, Audio]]) -> list[Prediction]:
        return [self.predict(example, audio) for example, audio in batch]


@contextmanager
def stage(timings: dict[str, float], name: str) -> Iterator[None]:
    """Adds the wall time of a block to `timings[name]`."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
