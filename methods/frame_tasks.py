"""How each task is read off a FrameHead's channels, and the targets that teach it.

Onset tasks (words, speaker onsets, event onsets) use the onset channel and a decoder that
returns the n times the query asks for. Diarization reads one activity channel per speaker
slot (the k-th speaker to talk), event detection one per sound class in the query's palette;
both decode to segments by thresholding. Training (methods.train) and the registered method
(methods.frame_method) share this module, so dev metrics and benchmark answers agree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from bench.tasks.speaker_onset import first_onsets
from bench.types import Event, Example
from methods.frame_decoders import activity_segments, binary_topn, ihp_boxcar, ihp_peak_picking, ihp_posterior_mode
from methods.frame_head import Channels, activity_targets, onset_targets

ACTIVITY_TASKS = ("diarization", "event_detection")

# decoder name -> f(onset channel for one example [frames], n, frame_seconds) -> times
DECODERS: dict[str, Callable[[torch.Tensor, int, float], list[float]]] = {
    "posterior_mode": ihp_posterior_mode,
    "boxcar": lambda l, n, fs: ihp_boxcar(l, n, fs, window_frames=5),
    "peaks": lambda l, n, fs: ihp_peak_picking(l, n, fs, suppress_frames=5),
    "topn": lambda l, n, fs: binary_topn(torch.sigmoid(l), n, fs, min_distance_frames=5),
}
# Chosen on the shipped checkpoints' dev set (python -m methods.compare_decoders): on all-words
# queries the IHP head puts an onset within 50 ms of 89 % of the words, and top-n reads 60 % of
# them in order where the posterior mode reads 30 % (it places the k-th event by the Beta mode of
# the rescaled time, which every false alarm and miss shifts). With n = 1 all decoders agree.
DEFAULT_DECODER = {"binary": "topn", "ihp": "topn", "joint": "topn"}
# Segments shorter than this are flicker, and gaps shorter than this one turn (or event).
MIN_SEGMENT_SECONDS = 0.1
MIN_GAP_SECONDS = 0.1


class UnsupportedTask(ValueError):
    """The head has no channel for what the query asks (an onset-only head, an unknown class)."""


@dataclass
class Targets:
    channels: slice  # which head outputs they train
    values: torch.Tensor  # [frames, len(channels)]
    dropped: int  # reference items with no channel (beyond the speaker slots) or outside the audio


def speaker_order(reference: list[Event]) -> list[str]:
    """Speaker labels in order of first appearance: slot k is the k-th speaker to talk."""
    return [e.label for e in first_onsets(reference)]


def _spans(reference: list[Event], label: str) -> list[tuple[float, float]]:
    return [(e.onset, e.offset if e.offset is not None else e.onset) for e in reference if e.label == label]


def targets(task: str, reference: list[Event], channels: Channels, n_frames: int, frame_seconds: float) -> Targets:
    if task not in ACTIVITY_TASKS:
        y, dropped = onset_targets([e.onset for e in reference], n_frames, frame_seconds)
        return Targets(slice(0, 1), y[:, None], dropped)
    if task == "diarization":
        order, where = speaker_order(reference), channels.speaker_slice
        columns: list[str | None] = order[: channels.speakers] + [None] * (channels.speakers - len(order))
    else:
        order, where = sorted({e.label for e in reference}), channels.class_slice
        columns = list(channels.classes)
    values = torch.zeros(n_frames, len(columns))
    for j, label in enumerate(columns):
        if label is not None:
            values[:, j] = activity_targets(_spans(reference, label), n_frames, frame_seconds)
    return Targets(where, values, sum(label not in columns for label in order))


def answer(example: Example, output: torch.Tensor, channels: Channels, frame_seconds: float,
           decoder: Callable[[torch.Tensor, int, float], list[float]], threshold: float = 0.5) -> list[Event]:
    """The answer to `example` from one example's head output [frames, channels] (frames inside
    the audio); `threshold` is the activity probability above which a frame is in a segment."""
    labels = example.metadata.get("labels") or []
    if example.task not in ACTIVITY_TASKS:
        times = sorted(decoder(output[:, 0], example.n_expected, frame_seconds))
        # Times in order get the labels the query named in order (the transcript's words for all-words).
        return [Event(labels[i] if i < len(labels) else "onset", round(t, 3)) for i, t in enumerate(times)]
    if example.task == "diarization":
        if example.n_expected > channels.speakers:
            raise UnsupportedTask(f"the query names {example.n_expected} speakers; "
                                  f"the head has {channels.speakers} speaker slots")
        named = [(f"speaker{k + 1}", channels.speaker_slice.start + k) for k in range(example.n_expected)]
    else:
        unknown = [c for c in labels if c not in channels.classes]
        if unknown:
            raise UnsupportedTask(f"the head has no channel for class(es) {', '.join(unknown)}")
        named = [(c, channels.class_slice.start + channels.classes.index(c)) for c in labels]
    events = []
    for label, channel in named:
        probs = torch.sigmoid(output[:, channel])
        for start, end in activity_segments(probs, frame_seconds, threshold, min_duration=MIN_SEGMENT_SECONDS,
                                            min_gap=MIN_GAP_SECONDS):
            events.append(Event(label, round(start, 3), round(end, 3)))
    return sorted(events, key=lambda e: (e.onset, e.label))


def frames_inside(output: torch.Tensor, duration: float, frame_seconds: float) -> torch.Tensor:
    """Frames are contiguous from 0 s (windows are whole multiples of a token); keep those inside the audio."""
    return output[: math.ceil(duration / frame_seconds - 1e-9)]

