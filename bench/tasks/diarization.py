"""Speaker diarization: who spoke when, for every speaker, scored as DER and JER."""
from __future__ import annotations

import random
from typing import Any

from bench.data.recording import Recording
from bench.metrics.diarization import DiarizationMetric
from bench.tasks.base import Task, _key
from bench.types import Event, Example, Prediction

# Unprefixed: no collar, overlap scored (dscore's default). "nist/": md-eval's +-0.25 s collar, overlap skipped.
SETTINGS = {"": dict(collar=0.0, skip_overlap=False), "nist": dict(collar=0.25, skip_overlap=True)}


class Diarization(Task):
    name = "diarization"
    source = "conversation"
    needs_offsets = True
    headline = ("der", "jer", "nist/der", "nist/jer")

    def make_example(self, recording: Recording, rng: random.Random) -> Example | None:
        if not recording.events:
            return None
        n = len({e.label for e in recording.events})
        query = (f"There are {n} speakers. Who spoke when? "
                 "Give every speaker turn with its start and end time.")
        return self.example(recording, query, list(recording.events), n)

    def new_scorers(self) -> dict[str, Any]:
        return {prefix: DiarizationMetric(**kw) for prefix, kw in SETTINGS.items()}

    def score(self, scorers: dict[str, Any], example: Example, prediction: Prediction) -> dict[str, float]:
        # A corpus may score only part of a file (its UEM); generated audio is scored whole.
        uem = [tuple(region) for region in example.metadata.get("uem", [])] or [(0.0, example.audio.duration)]
        # A corpus turn running past the audio is scored as written, restricted by the UEM
        # (bench.data.corpus): the clipped reference would put a collar at the audio's end.
        unclipped = example.metadata.get("unclipped_reference")
        reference = [Event.from_dict(e) for e in unclipped] if unclipped is not None else example.reference
        out: dict[str, float] = {}
        for prefix, scorer in scorers.items():
            result = scorer(example.id, reference, prediction.events, uem=uem)
            out.update({_key(prefix, k): v for k, v in result.items()})
        return out

    def answer_count(self, prediction: Prediction) -> int:
        return len({e.label for e in prediction.events})
