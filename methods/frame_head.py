"""A frame-level head on an audio LM's hidden states (An et al. 2026, "frame-level internal
tool use"): one linear layer per audio token, its outputs read as consecutive short frames,
so timestamps come out of the prefill pass with no generation at all.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

# One Qwen2.5-Omni audio token covers 40 ms.
TOKEN_SECONDS = 0.04
# Onsets given to the millisecond sit exactly on 10 ms frame edges, where t / frame_seconds can
# land a hair below the integer (1.23 / 0.01 = 122.999...); this much slack keeps them in their frame.
_EDGE_SLACK = 1e-6


@dataclass(frozen=True)
class Channels:
    """Which output channel of a FrameHead answers which question.

    Channel 0 holds onsets (word, speaker and event onset queries). Activity channels follow:
    one per speaker slot, slot k being the k-th speaker to talk (EEND's first-appearance
    order, so no permutation search is needed), then one per sound class (DCASE style).
    """

    speakers: int = 0
    classes: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return 1 + self.speakers + len(self.classes)

    @property
    def speaker_slice(self) -> slice:
        return slice(1, 1 + self.speakers)

    @property
    def class_slice(self) -> slice:
        return slice(1 + self.speakers, self.count)

    def to_dict(self) -> dict[str, Any]:
        return {"speakers": self.speakers, "classes": list(self.classes)}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Channels:
        d = d or {}
        return cls(int(d.get("speakers", 0)), tuple(d.get("classes", ())))


class FrameHead(nn.Module):
    """Maps hidden states [B, T, H] at the audio positions to [B, T * r, outputs] frame logits.

    Token t's r outputs become frames t*r .. t*r + r-1, each token_seconds / r long.
    `channels` lays out the outputs of each frame: onsets, then activity per speaker slot and per
    sound class. Read onset logits as logits (binary loss) or log-intensities (IHP loss), and
    activity logits as logits.
    """

    def __init__(self, hidden_size: int, frames_per_token: int = 4, channels: Channels = Channels(),
                 bias_init: float = -6.0, activity_bias_init: float = -2.0, token_seconds: float = TOKEN_SECONDS):
        super().__init__()
        self.hidden_size, self.frames_per_token, self.channels = hidden_size, frames_per_token, channels
        self.outputs = outputs = channels.count
        self.token_seconds = token_seconds
        # Activity threshold per task, calibrated on held-out data (methods.calibrate); 0.5 otherwise.
        self.thresholds: dict[str, float] = {}
        self.proj = nn.Linear(hidden_size, frames_per_token * outputs)
        # Onsets are rare: start every frame near "nothing happens here" (sigmoid(-6) ~ 0.25 %).
        # Activity is not (a speaker talks about a third of the time): those start near 12 %,
        # since Adam moves a bias only about lr per step.
        with torch.no_grad():
            bias = self.proj.bias.view(frames_per_token, self.outputs)
            bias[:, 0] = bias_init
            bias[:, 1:] = activity_bias_init

    @property
    def frame_seconds(self) -> float:
        return self.token_seconds / self.frames_per_token

    def forward(self, hidden: Tensor) -> Tensor:
        b, t, _ = hidden.shape
        # LM hidden states often arrive in bf16 while the tiny head stays in fp32.
        out = self.proj(hidden.to(self.proj.weight.dtype))
        # Linear output index j * outputs + c is frame j of the token, channel c.
        return out.view(b, t * self.frames_per_token, self.outputs)

    def save(self, path: str | Path, backbone: str, loss: str, extra: dict[str, Any] | None = None) -> None:
        """Writes the head alone (kilobytes) plus what is needed to re-attach it to `backbone`
        (a checkpoint path or hub name) and decode it (`loss`: "binary", "ihp", "activity")."""
        meta = {"hidden_size": self.hidden_size, "frames_per_token": self.frames_per_token,
                "outputs": self.outputs, "token_seconds": self.token_seconds, "channels": self.channels.to_dict(),
                "thresholds": self.thresholds, "loss": loss, "backbone": backbone, "extra": extra or {}}
        json.dumps(meta)  # fail now, not when someone tries to read the file
        torch.save({"state_dict": self.state_dict(), "meta": meta}, path)

    @classmethod
    def load(cls, path: str | Path) -> tuple[FrameHead, dict[str, Any]]:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        meta = blob["meta"]
        # Heads saved before activity channels existed have the onset channel alone.
        head = cls(meta["hidden_size"], meta["frames_per_token"], Channels.from_dict(meta.get("channels")),
                   token_seconds=meta["token_seconds"])
        head.thresholds = dict(meta.get("thresholds", {}))
        head.load_state_dict(blob["state_dict"])
        return head, meta


def frame_times(n_frames: int, frame_seconds: float, offset_seconds: float = 0.0) -> Tensor:
    """Centre time of each frame, in seconds (float64: 10-minute audio at 2 ms frames)."""
    return (torch.arange(n_frames, dtype=torch.float64) + 0.5) * frame_seconds + offset_seconds


def onset_targets(onsets: list[float], n_frames: int, frame_seconds: float) -> tuple[Tensor, int]:
    """Per-frame onset labels: frame floor(t / frame_seconds) is 1, as in the paper.

    Returns the labels and how many onsets fell outside the audio and were dropped. Two onsets
    in one frame still give 1: the binary loss needs 0/1, and at 10 ms it is rare.
    """
    y = torch.zeros(n_frames)
    dropped = 0
    for t in onsets:
        i = math.floor(t / frame_seconds + _EDGE_SLACK)
        if 0 <= i < n_frames:
            y[i] = 1.0
        else:
            dropped += 1
    return y, dropped


def activity_targets(spans: list[tuple[float, float]], n_frames: int, frame_seconds: float) -> Tensor:
    """Per-frame activity labels for one channel: 1 where the frame centre lies in [start, end)."""
    centres = frame_times(n_frames, frame_seconds)
    y = torch.zeros(n_frames, dtype=torch.bool)
    for start, end in spans:
        y |= (centres >= start) & (centres < end)
    return y.float()
