"""Sound event detection, DCASE style: every event with onset and offset, scored with sed_eval."""
from __future__ import annotations

import random
from typing import Any

from bench.data.recording import Recording
from bench.metrics.events import EventMetric
from bench.tasks.base import Task
from bench.types import Example, Prediction


class EventDetection(Task):
    name = "event_detection"
    source = "scene"
    needs_offsets = True
    headline = ("event_f1", "onset_only_f1", "segment_f1", "segment_error_rate")

    def make_example(self, recording: Recording, rng: random.Random) -> Example | None:
        palette = recording.metadata["palette"]
        query = ("List every sound event of these classes with its start and end time: "
                 + ", ".join(palette) + ".")
        return self.example(recording, query, list(recording.events), len(recording.events),
                            labels=list(palette))

    def expected_count(self, example: Example) -> int | None:
        return None  # the query lists classes, not how many events to find

    def new_scorers(self) -> dict[str, Any]:
        return {"": EventMetric()}

    def score(self, scorers: dict[str, Any], example: Example, prediction: Prediction) -> dict[str, float]:
        return scorers[""](example.id, example.reference, prediction.events, duration=example.audio.duration)
