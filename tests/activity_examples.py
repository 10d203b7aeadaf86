"""A minimal diarization and event-detection example, shared by the answer-screening tests."""
from __future__ import annotations

from bench.types import AudioRef, Event, Example

DURATION = 10.0


def example(task: str) -> Example:
    if task == "diarization":
        reference = [Event("spk1", 0.5, 4.0), Event("spk2", 4.5, 9.0)]
        return Example("diarization/x", task, AudioRef("x.wav", 16000, DURATION), "who spoke when?",
                       reference, 2, {"speakers": ["spk1", "spk2"]})
    reference = [Event("dog", 1.0, 2.0), Event("cat", 5.0, 7.5)]
    return Example("event_detection/x", task, AudioRef("x.wav", 16000, DURATION), "which events?",
                   reference, 2, {"labels": ["dog", "cat"]})
