"""Single-word localization: "When does the k-th occurrence of the word 'w' occur?"."""
from __future__ import annotations

import random

from bench.data.recording import Recording
from bench.data.wordlist import STOPWORDS
from bench.tasks.base import OnsetTask, ordinal
from bench.types import Example


class WordSingle(OnsetTask):
    name = "word_single"
    source = "speech"

    def make_example(self, recording: Recording, rng: random.Random) -> Example | None:
        candidates = sorted({e.label for e in recording.events if e.label not in STOPWORDS})
        if not candidates:
            return None
        word = rng.choice(candidates)
        occurrences = [e for e in recording.events if e.label == word]
        k = rng.randint(1, len(occurrences))
        query = f"When does the {ordinal(k)} occurrence of the word '{word}' occur?"
        # The transcript is not in the query; methods that need one (a forced aligner) read it here.
        transcript = " ".join(e.label for e in recording.events)
        return self.example(recording, query, [occurrences[k - 1]], 1, labels=[word], k=k, transcript=transcript)
