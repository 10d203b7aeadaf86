"""Event onset localization: "When does the k-th occurrence of the event 'label' occur?"."""
from __future__ import annotations

import random

from bench.data.recording import Recording
from bench.tasks.base import OnsetTask, ordinal
from bench.types import Example


class EventOnset(OnsetTask):
    name = "event_onset"
    source = "scene"

    def make_example(self, recording: Recording, rng: random.Random) -> Example | None:
        labels = sorted({e.label for e in recording.events})
        if not labels:
            return None
        label = rng.choice(labels)
        occurrences = sorted((e for e in recording.events if e.label == label), key=lambda e: e.onset)
        k = rng.randint(1, len(occurrences))
        query = f"When does the {ordinal(k)} occurrence of the event '{label}' occur?"
        return self.example(recording, query, [occurrences[k - 1]], 1, labels=[label], k=k)
