"""Frame-level internal tool use as a registered method: one prefill, a head, a decoder. No generation."""
from __future__ import annotations

import math
from typing import Any, Callable

import torch

from bench.audio import Audio
from bench.errors import ConfigError
from bench.method import Method, stage
from bench.types import Event, Example, Prediction
from methods.backbone import AudioLM
from methods.checkpoint import read_meta, resolve
from methods.frame_decoders import binary_topn, ihp_boxcar, ihp_peak_picking, ihp_posterior_mode
from methods.frame_head import FrameHead

# decoder name -> f(head output for one example [frames], n, frame_seconds) -> times
DECODERS: dict[str, Callable[[torch.Tensor, int, float], list[float]]] = {
    "posterior_mode": ihp_posterior_mode,
    "boxcar": lambda l, n, fs: ihp_boxcar(l, n, fs, window_frames=5),
    "peaks": lambda l, n, fs: ihp_peak_picking(l, n, fs, suppress_frames=5),
    "topn": lambda l, n, fs: binary_topn(torch.sigmoid(l), n, fs, min_distance_frames=5),
}
DEFAULT_DECODER = {"binary": "topn", "ihp": "posterior_mode", "joint": "posterior_mode"}


def answer_events(example: Example, times: list[float]) -> list[Event]:
    """Times in order get the labels the query named in order (the transcript's words for all-words)."""
    labels = example.metadata.get("labels") or []
    return [Event(labels[i] if i < len(labels) else "onset", round(t, 3)) for i, t in enumerate(sorted(times))]


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
        return {"checkpoint": str(self.checkpoint), "attention": self.meta["attention"], "decoder": self.decoder_name}

    def predict(self, example: Example, audio: Audio) -> Prediction:
        states = self.lm.encode(example.query, audio.samples)
        timings = dict(states.timings)
        with stage(timings, "head"), torch.no_grad():
            output = self.head(states.hidden[None].float())[0, :, 0]
            # Frames are contiguous from 0 s (windows are whole multiples of a token); keep those inside the audio.
            output = output[: math.ceil(audio.duration / self.head.frame_seconds)]
        with stage(timings, "decode"):
            times = self.decode(output, example.n_expected, self.head.frame_seconds)
        return Prediction(events=answer_events(example, times), timings=timings,
                          audio_seconds_consumed=states.consumed_seconds)


def make_binary(options: dict[str, Any]) -> Method:
    return FrameMethod(options, "frame-binary")


def make_ihp(options: dict[str, Any]) -> Method:
    return FrameMethod(options, "frame-ihp")


def make_joint(options: dict[str, Any]) -> Method:
    return FrameMethod(options, "frame-joint")
