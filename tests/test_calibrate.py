"""Threshold calibration picks a threshold under which an underconfident head's activity is read right."""
from __future__ import annotations

import math

import numpy as np
import torch

from bench.types import AudioRef, Event, Example
from methods.calibrate import GRID, tune
from methods.frame_head import Channels
from methods.frame_tasks import targets
from methods.training_data import TrainingExample

FS = 0.01
CHANNELS = Channels(speakers=2, classes=("dog",))


class StubHead:
    """Activity at probability `high` where the reference is active, 0.01 elsewhere."""

    channels, frame_seconds = CHANNELS, FS

    def __init__(self, high: float) -> None:
        self.high = high
        self.outputs: dict[int, torch.Tensor] = {}

    def __call__(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.outputs[int(hidden[0, 0, 0])][None]


class StubLM:
    def encode(self, question: str, samples: np.ndarray, cached: object = None):  # type: ignore[no-untyped-def]
        return type("States", (), {"hidden": torch.full((1, 1), float(samples[0]))})()


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def make(task: str, i: int, reference: list[Event], head: StubHead, n: int, labels: list[str] | None) -> TrainingExample:
    example = Example(id=f"{task}/{i}", task=task, audio=AudioRef("x.wav", 16000, 3.0), query="?",
                      reference=reference, n_expected=n, metadata={"labels": labels} if labels else {})
    out = torch.full((300, CHANNELS.count), logit(0.01))
    t = targets(task, reference, CHANNELS, 300, FS)
    out[:, t.channels] = torch.where(t.values > 0, logit(head.high), logit(0.01))
    head.outputs[i] = out
    samples = np.full(48000, float(i), dtype=np.float32)
    return TrainingExample(task, "?", samples, reference, n, labels, example)


def test_tune_finds_the_threshold_an_underconfident_head_needs() -> None:
    head = StubHead(high=0.2)
    examples = [
        make("diarization", 0, [Event("a", 0.2, 1.0), Event("b", 1.3, 2.5)], head, 2, None),
        make("diarization", 1, [Event("b", 0.5, 2.0), Event("a", 2.2, 2.9)], head, 2, None),
        make("event_detection", 2, [Event("dog", 1.0, 1.8)], head, 1, ["dog"]),
    ]
    thresholds = tune(StubLM(), head, examples)
    assert set(thresholds) == {"diarization", "event_detection"}
    # At 0.5 nothing would be active; anything in (0.01, 0.2] reads the reference exactly.
    assert all(0.01 < t <= 0.2 and t in GRID for t in thresholds.values())
