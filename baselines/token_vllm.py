"""The token-timestamp baseline served by an in-process vLLM engine (`token-vllm`).

Same checkpoint, prompt, audio windows, greedy decoding, token budget and parser as `token-hf`,
so answers can be compared token for token; what changes is the engine. Whole batches are
submitted at once (`batch_size`, default 8) and each example is charged an equal share of its
batch's wall time. Engine start-up happens in `setup`, which the runner times apart.

vLLM lives in its own environment (scripts/setup_vllm.sh); this module imports it only in
`setup`, so listing methods or running the others never needs it.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

from baselines.token_answers import PAPER_MAX_NEW_TOKENS, budget, consumed_seconds, to_prediction, token_checkpoint
from bench.audio import Audio
from bench.errors import ConfigError
from bench.method import Method
from bench.types import Example, Prediction
from methods.backbone import SAMPLE_RATE, WINDOW_SECONDS, audio_prompt, windows
from methods.loading import expected_audio_tokens, load_processor

# Ten minutes of audio in 30 s windows: the length suite's longest examples.
DEFAULT_MAX_WINDOWS = 20


@dataclass(frozen=True)
class EngineOptions:
    """Engine settings the offline engine and the server share (method options of the same names)."""

    max_new_tokens: int = PAPER_MAX_NEW_TOKENS
    batch_size: int = 8  # requests in flight at once
    max_windows: int = DEFAULT_MAX_WINDOWS
    dtype: str = "float32"  # as token-hf computes, so greedy answers can match
    # On vLLM's CPU backend this is the share of the machine's memory it reserves; its
    # default (0.92) refuses to start beside anything else. The tiny checkpoints need little.
    gpu_memory_utilization: float = 0.25

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> EngineOptions:
        return cls(**{k: type(getattr(cls, k))(options[k]) for k in cls.__dataclass_fields__ if k in options})

    @property
    def max_model_len(self) -> int:
        return self.max_windows * expected_audio_tokens(WINDOW_SECONDS) + self.max_new_tokens + 512

    def server_args(self) -> list[str]:
        return ["--dtype", self.dtype, "--max-model-len", str(self.max_model_len),
                "--limit-mm-per-prompt", json.dumps({"audio": self.max_windows}),
                "--max-num-seqs", str(self.batch_size), "--gpu-memory-utilization", str(self.gpu_memory_utilization)]


class TokenVLLM(Method):
    def __init__(self, options: dict[str, Any]) -> None:
        self.checkpoint, self.meta = token_checkpoint(options, causal_only=True)
        self.engine = EngineOptions.from_options(options)
        self.batch_size = self.engine.batch_size

    def setup(self) -> None:
        # The tiny checkpoints declare 8192 positions; ten minutes of audio is 15,000 tokens.
        # transformers extrapolates the rotary positions silently, so vLLM is allowed to as well.
        os.environ.setdefault("VLLM_ALLOW_LONG_MAX_MODEL_LEN", "1")
        try:
            from vllm import LLM, SamplingParams
        except ImportError as e:
            raise ConfigError(f"token-vllm needs vLLM, which is not importable here ({e}); "
                              "set it up with scripts/setup_vllm.sh and run the suite from that environment") from None
        self.sampling_params = SamplingParams
        self.processor = load_processor(self.checkpoint / "backbone")
        e = self.engine
        self.llm = LLM(model=str(self.checkpoint / "backbone"), dtype=e.dtype, seed=0, max_model_len=e.max_model_len,
                       limit_mm_per_prompt={"audio": e.max_windows}, max_num_seqs=e.batch_size,
                       gpu_memory_utilization=e.gpu_memory_utilization)

    def settings(self) -> dict[str, Any]:
        return {"checkpoint": str(self.checkpoint), "attention": "causal", "decoding": "greedy",
                "engine": "vllm-offline", "batch_size": self.engine.batch_size, "dtype": self.engine.dtype}

    def predict(self, example: Example, audio: Audio) -> Prediction:
        return self.predict_batch([(example, audio)])[0]

    def predict_batch(self, batch: list[tuple[Example, Audio]]) -> list[Prediction]:
        requests, params, consumed = [], [], []
        start = time.perf_counter()
        for example, audio in batch:
            pieces = windows(audio.samples, max_windows=self.engine.max_windows)
            requests.append({"prompt": audio_prompt(self.processor, example.query, len(pieces)),
                             "multi_modal_data": {"audio": [(p, SAMPLE_RATE) for p in pieces]}})
            params.append(self.sampling_params(temperature=0.0, max_tokens=budget(example, audio, self.engine.max_new_tokens)))
            consumed.append(consumed_seconds(pieces))
        prepare = (time.perf_counter() - start) / len(batch)
        start = time.perf_counter()
        outputs = self.llm.generate(requests, params, use_tqdm=False)
        generate = (time.perf_counter() - start) / len(batch)
        return [to_prediction(example, output.outputs[0].text, {"prepare": prepare, "generate": generate}, seconds)
                for (example, _), output, seconds in zip(batch, outputs, consumed)]

    def close(self) -> None:
        self.llm = None


def make(options: dict[str, Any]) -> Method:
    return TokenVLLM(options)
