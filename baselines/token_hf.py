"""The token-timestamp baseline through transformers: greedy generation of a JSON answer, then parsing."""
from __future__ import annotations

from typing import Any

from bench.audio import Audio
from bench.method import Method, stage
from bench.types import Example, Prediction
from baselines.answer_format import max_new_tokens, parse_answer
from methods.backbone import AudioLM
from methods.checkpoint import read_meta, resolve


# The paper's generation limit; a longer answer is cut off and parsed as far as it goes.
PAPER_MAX_NEW_TOKENS = 4096


class TokenHF(Method):
    def __init__(self, options: dict[str, Any]) -> None:
        self.checkpoint = resolve(options, "token")
        self.meta = read_meta(self.checkpoint)
        self.max_new_tokens_cap = options.get("max_new_tokens", PAPER_MAX_NEW_TOKENS)

    def setup(self) -> None:
        self.lm = AudioLM(self.checkpoint / "backbone", attention=self.meta["attention"])

    def settings(self) -> dict[str, Any]:
        return {"checkpoint": str(self.checkpoint), "attention": self.meta["attention"], "decoding": "greedy"}

    def predict(self, example: Example, audio: Audio) -> Prediction:
        budget = max_new_tokens(example.task, example.n_expected, audio.duration, cap=self.max_new_tokens_cap)
        text, _, states = self.lm.generate(example.query, audio.samples, budget)
        timings = dict(states.timings)
        with stage(timings, "parse"):
            parsed = parse_answer(example.task, text, example.metadata.get("labels"))
        return Prediction(events=parsed.events, raw_text=text, timings=timings,
                          audio_seconds_consumed=states.consumed_seconds, failure=parsed.failure, words=parsed.words)


def make(options: dict[str, Any]) -> Method:
    return TokenHF(options)
