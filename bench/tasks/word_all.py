"""All-words localization: the transcript is given, every word's start time is asked."""
from __future__ import annotations

import random

from bench.data.recording import Recording
from bench.tasks.base import OnsetTask
from bench.types import Example


class WordAll(OnsetTask):
    name = "word_all"
    source = "speech"
    matchings = ("order", "hungarian")
    headline = OnsetTask.headline + ("hungarian/acc@50ms",)

    def make_example(self, recording: Recording, rng: random.Random) -> Example | None:
        if not recording.events:
            return None
        words = [e.label for e in recording.events]
        transcript = " ".join(words)
        query = f'The transcript is: "{transcript}". When does each word start?'
        return self.example(recording, query, list(recording.events), len(words),
                            labels=words, transcript=transcript)
