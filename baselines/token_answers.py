"""What every token-baseline engine shares: the checkpoint it serves, the token budget of a
query, and turning generated text into a Prediction."""
from __future__ import annotations

from typing import Any

from baselines.answer_format import max_new_tokens, parse_answer
from bench.audio import Audio
from bench.errors import ConfigError
from bench.method import stage
from bench.types import Example, Prediction
from methods.backbone import SAMPLE_RATE
from methods.checkpoint import read_meta, resolve
from methods.loading import SECONDS_PER_AUDIO_TOKEN, expected_audio_tokens

# The paper's generation limit; a longer answer is cut off and parsed as far as it goes.
PAPER_MAX_NEW_TOKENS = 4096


def token_checkpoint(options: dict[str, Any], causal_only: bool = False) -> tuple[Any, dict[str, Any]]:
    """The checkpoint (option `model`, default the shipped token one) and its metadata."""
    checkpoint = resolve(options, "token")
    meta = read_meta(checkpoint)
    if causal_only and meta.get("attention", "causal") != "causal":
        raise ConfigError(f"model: {checkpoint} was trained with {meta['attention']} attention among audio tokens; "
                          "vLLM attends causally, so serve a causal checkpoint")
    return checkpoint, meta


def budget(example: Example, audio: Audio, cap: int) -> int:
    return max_new_tokens(example.task, example.n_expected, audio.duration, cap=cap)


def consumed_seconds(pieces: list[Any]) -> float:
    """Audio the model hears from these windows, as the processor counts its audio tokens."""
    return sum(expected_audio_tokens(len(p) / SAMPLE_RATE) for p in pieces) * SECONDS_PER_AUDIO_TOKEN


def to_prediction(example: Example, text: str, timings: dict[str, float], consumed: float | None) -> Prediction:
    with stage(timings, "parse"):
        parsed = parse_answer(example.task, text, example.metadata.get("labels"))
    return Prediction(events=parsed.events, raw_text=text, timings=timings, audio_seconds_consumed=consumed,
                      failure=parsed.failure, words=parsed.words)
