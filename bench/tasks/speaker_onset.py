"""Speaker onset localization, the paper's form: "When does the n-th speaker start speaking?"."""
from __future__ import annotations

import random

from bench.data.recording import Recording
from bench.tasks.base import OnsetTask, ordinal
from bench.types import Event, Example


def first_onsets(turns: list[Event]) -> list[Event]:
    """Each speaker's first turn start, in order of appearance."""
    first: dict[str, float] = {}
    for turn in sorted(turns, key=lambda e: e.onset):
        first.setdefault(turn.label, turn.onset)
    return [Event(label, onset) for label, onset in first.items()]


class SpeakerOnset(OnsetTask):
    name = "speaker_onset"
    source = "conversation"

    def make_example(self, recording: Recording, rng: random.Random) -> Example | None:
        onsets = first_onsets(recording.events)
        if not onsets:
            return None
        n = rng.randint(1, len(onsets))
        query = f"When does the {ordinal(n)} speaker start speaking?"
        return self.example(recording, query, [onsets[n - 1]], 1, n=n)
