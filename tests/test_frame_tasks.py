"""Activity channels: targets in first-appearance / class order, and decoding back to segments."""
from __future__ import annotations

import pytest
import torch

from bench.types import AudioRef, Event, Example
from methods.frame_head import Channels
from methods.frame_tasks import DECODERS, UnsupportedTask, answer, frames_inside, targets

FS = 0.01
CHANNELS = Channels(speakers=3, classes=("cat", "dog", "piano"))


def example(task: str, n: int, labels: list[str] | None = None) -> Example:
    return Example(id=f"{task}/x", task=task, audio=AudioRef("x.wav", 16000, 2.0), query="?", reference=[],
                   n_expected=n, metadata={"labels": labels} if labels else {})


def test_diarization_targets_follow_first_appearance() -> None:
    turns = [Event("bob", 0.5, 1.0), Event("ann", 0.1, 0.3), Event("cid", 1.2, 1.5), Event("dan", 1.6, 1.8),
             Event("ann", 1.0, 1.1)]
    t = targets("diarization", turns, CHANNELS, n_frames=200, frame_seconds=FS)
    assert t.channels == slice(1, 4) and t.values.shape == (200, 3)
    assert t.dropped == 1  # dan: a fourth speaker with three slots
    # Slot 0 is ann (first to talk), in both of her turns; slot 1 is bob.
    assert torch.nonzero(t.values[:, 0]).flatten().tolist() == list(range(10, 30)) + list(range(100, 110))
    assert torch.nonzero(t.values[:, 1]).flatten().tolist() == list(range(50, 100))


def test_event_targets_use_class_channels() -> None:
    events = [Event("dog", 0.2, 0.4), Event("trumpet", 0.5, 0.6)]
    t = targets("event_detection", events, CHANNELS, n_frames=100, frame_seconds=FS)
    assert t.channels == slice(4, 7) and t.dropped == 1  # the head knows no trumpet
    assert t.values[:, 0].sum() == 0 and t.values[:, 2].sum() == 0
    assert torch.nonzero(t.values[:, 1]).flatten().tolist() == list(range(20, 40))
    onsets = targets("word_all", [Event("a", 0.25)], CHANNELS, n_frames=100, frame_seconds=FS)
    assert onsets.channels == slice(0, 1) and torch.nonzero(onsets.values[:, 0]).flatten().tolist() == [25]


def test_answers_decode_activity_to_segments() -> None:
    out = torch.full((200, CHANNELS.count), -5.0)
    out[20:80, 2] = 5.0  # speaker slot 1
    out[95:96, 2] = 5.0  # a 10 ms blip 150 ms later: flicker, dropped
    out[100:150, 1] = 5.0  # slot 0
    out[103:105, 1] = -5.0  # a 20 ms dip inside a turn: bridged
    out[30:60, 5] = 5.0  # dog
    out[0:10, 6] = 5.0  # piano: not in the query's palette
    turns = answer(example("diarization", 2), out, CHANNELS, FS, DECODERS["posterior_mode"])
    assert [(e.label, e.onset, e.offset) for e in turns] == [("speaker2", 0.2, 0.8), ("speaker1", 1.0, 1.5)]
    events = answer(example("event_detection", 0, ["cat", "dog"]), out, CHANNELS, FS, DECODERS["posterior_mode"])
    assert [(e.label, e.onset, e.offset) for e in events] == [("dog", 0.3, 0.6)]
    out[42, 0] = 8.0
    words = answer(example("word_single", 1, ["hello"]), out, CHANNELS, FS, DECODERS["posterior_mode"])
    assert [(e.label, e.onset) for e in words] == [("hello", 0.425)]


def test_heads_without_a_channel_refuse() -> None:
    out = torch.zeros(100, 1)
    with pytest.raises(UnsupportedTask, match="speaker slots"):
        answer(example("diarization", 2), out, Channels(), FS, DECODERS["topn"])
    with pytest.raises(UnsupportedTask, match="trumpet"):
        answer(example("event_detection", 0, ["trumpet"]), torch.zeros(100, 4), CHANNELS, FS, DECODERS["topn"])


def test_frames_inside_the_audio() -> None:
    assert frames_inside(torch.zeros(40, 1), 0.25, FS).shape[0] == 25
    assert frames_inside(torch.zeros(40, 1), 0.251, FS).shape[0] == 26
