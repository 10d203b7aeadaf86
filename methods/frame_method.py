"""Frame-level internal tool use as a registered method: one prefill, a head, a decoder. No generation."""
from __future__ import annotations

from typing import Any

import torch

from bench.audio import Audio
from bench.errors import ConfigError
from bench.method import Method, stage
from bench.types import Example, Failure, Prediction
from methods.backbone import AudioLM
from methods.checkpoint import read_meta, resolve
from methods.frame_head import FrameHead
from methods.frame_tasks import DECODERS, DEFAULT_DECODER, UnsupportedTask, answer, frames_inside


class FrameMethod(Method):
    def __init__(self, options: dict[str, Any], default_checkpoint: str) -> None:
        self.checkpoint = resolve(options, default_checkpoint)
        self.meta = read_meta(self.checkpoint)
        self.decoder_name = options.get("decoder")
        self.options = options

    def setup(self) -> None:
        self.lm = AudioLM(self.checkpoint / "backbone", attention=self.meta["attention"])
        self.head, head_meta = FrameHead.load(self.checkpoint / "head.pt")
        self.head.eval()
        name = self.decoder_name or DEFAULT_DECODER[head_meta["loss"]]
        if name not in DECODERS:
            raise ConfigError(f"decoder: unknown {name!r}; expected one of {', '.join(DECODERS)}")
        self.decode = DECODERS[name]
        self.decoder_name = name

    def settings(self) -> dict[str, Any]:
        return {"checkpoint": str(self.checkpoint), "attention": self.meta["attention"], "decoder": self.decoder_name,
                "thresholds": self.head.thresholds}

    def predict(self, example: Example, audio: Audio) -> Prediction:
        states = self.lm.encode(example.query, audio.samples)
        timings = dict(states.timings)
        with stage(timings, "head"), torch.no_grad():
            output = frames_inside(self.head(states.hidden[None].float())[0], audio.duration, self.head.frame_seconds)
        prediction = Prediction(timings=timings, audio_seconds_consumed=states.consumed_seconds)
        with stage(timings, "decode"):
            try:
                prediction.events = answer(example, output, self.head.channels, self.head.frame_seconds, self.decode,
                                           self.head.thresholds.get(example.task, 0.5))
            except UnsupportedTask as e:
                prediction.failure = Failure("unsupported", str(e))
        return prediction


def make_binary(options: dict[str, Any]) -> Method:
    return FrameMethod(options, "frame-binary")


def make_ihp(options: dict[str, Any]) -> Method:
    return FrameMethod(options, "frame-ihp")


def make_joint(options: dict[str, Any]) -> Method:
    return FrameMethod(options, "frame-joint")
