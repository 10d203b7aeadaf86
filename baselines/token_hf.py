"""The token-timestamp baseline through transformers: greedy generation of a JSON answer, then parsing."""
from __future__ import annotations

from typing import Any

from baselines.token_answers import PAPER_MAX_NEW_TOKENS, budget, to_prediction, token_checkpoint
from bench.audio import Audio
from bench.method import Method
from bench.types import Example, Prediction
from methods.backbone import AudioLM


class TokenHF(Method):
    def __init__(self, options: dict[str, Any]) -> None:
        self.checkpoint, self.meta = token_checkpoint(options)
        self.max_new_tokens_cap = int(options.get("max_new_tokens", PAPER_MAX_NEW_TOKENS))

    def setup(self) -> None:
        self.lm = AudioLM(self.checkpoint / "backbone", attention=self.meta["attention"])

    def settings(self) -> dict[str, Any]:
        return {"checkpoint": str(self.checkpoint), "attention": self.meta["attention"], "decoding": "greedy"}

    def predict(self, example: Example, audio: Audio) -> Prediction:
        text, _, states = self.lm.generate(example.query, audio.samples, budget(example, audio, self.max_new_tokens_cap))
        return to_prediction(example, text, dict(states.timings), states.consumed_seconds)


def make(options: dict[str, Any]) -> Method:
    return TokenHF(options)
