"""The token-timestamp baseline served by an in-process vLLM engine (`token-vllm`).

Same checkpoint, prompt, audio windows, greedy decoding, token budget and parser as `token-hf`,
so answers can be compared token for token; what changes is the engine. Whole batches are
submitted at once (`batch_size`, default 8) and each example is charged an equal share of its
batch's wall time. Engine start-up happens in `setup`, which the runner times apart.

vLLM lives in its own environment (scripts/setup_vllm.sh); this module imports it only in
`setup`, so listing methods or running the others never needs it.
"""
from __future__ import annotations

import os
import time
from typing import Any

from baselines.answer_format import max_new_tokens, parse_answer
from baselines.token_hf import PAPER_MAX_NEW_TOKENS
from bench.audio import Audio
from bench.errors import ConfigError
from bench.method import Method, stage
from bench.types import Example, Prediction
from methods.backbone import SAMPLE_RATE, WINDOW_SECONDS, audio_prompt, windows
from methods.checkpoint import read_meta, resolve
from methods.loading import SECONDS_PER_AUDIO_TOKEN, expected_audio_tokens, load_processor

# Ten minutes of audio in 30 s windows: the length suite's longest examples.
DEFAULT_MAX_WINDOWS = 20


class TokenVLLM(Method):
    def __init__(self, options: dict[str, Any]) -> None:
        self.checkpoint = resolve(options, "token")
        self.meta = read_meta(self.checkpoint)
        if self.meta.get("attention", "causal") != "causal":
            raise ConfigError(f"model: {self.checkpoint} was trained with {self.meta['attention']} attention among "
                              "audio tokens; vLLM attends causally, so serve a causal checkpoint")
        self.max_new_tokens_cap = int(options.get("max_new_tokens", PAPER_MAX_NEW_TOKENS))
        self.batch_size = int(options.get("batch_size", 8))
        self.max_windows = int(options.get("max_windows", DEFAULT_MAX_WINDOWS))
        self.dtype = str(options.get("dtype", "float32"))
        # On vLLM's CPU backend this is the share of the machine's memory it reserves; its
        # default (0.92) refuses to start beside anything else. The tiny checkpoints need little.
        self.memory_fraction = float(options.get("gpu_memory_utilization", 0.25))

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
        max_audio_tokens = self.max_windows * expected_audio_tokens(WINDOW_SECONDS)
        self.llm = LLM(model=str(self.checkpoint / "backbone"), dtype=self.dtype, seed=0,
                       max_model_len=max_audio_tokens + self.max_new_tokens_cap + 512,
                       limit_mm_per_prompt={"audio": self.max_windows}, max_num_seqs=self.batch_size,
                       gpu_memory_utilization=self.memory_fraction)

    def settings(self) -> dict[str, Any]:
        return {"checkpoint": str(self.checkpoint), "attention": "causal", "decoding": "greedy",
                "engine": "vllm-offline", "batch_size": self.batch_size, "dtype": self.dtype}

    def predict(self, example: Example, audio: Audio) -> Prediction:
        return self.predict_batch([(example, audio)])[0]

    def predict_batch(self, batch: list[tuple[Example, Audio]]) -> list[Prediction]:
        requests, params, consumed = [], [], []
        start = time.perf_counter()
        for example, audio in batch:
            pieces = windows(audio.samples, max_windows=self.max_windows)
            requests.append({"prompt": audio_prompt(self.processor, example.query, len(pieces)),
                             "multi_modal_data": {"audio": [(p, SAMPLE_RATE) for p in pieces]}})
            budget = max_new_tokens(example.task, example.n_expected, audio.duration, cap=self.max_new_tokens_cap)
            params.append(self.sampling_params(temperature=0.0, max_tokens=budget))
            consumed.append(sum(expected_audio_tokens(len(p) / SAMPLE_RATE) for p in pieces) * SECONDS_PER_AUDIO_TOKEN)
        prepare = (time.perf_counter() - start) / len(batch)
        start = time.perf_counter()
        outputs = self.llm.generate(requests, params, use_tqdm=False)
        generate = (time.perf_counter() - start) / len(batch)
        predictions = []
        for (example, _), output, seconds in zip(batch, outputs, consumed):
            timings = {"prepare": prepare, "generate": generate}
            text = output.outputs[0].text
            with stage(timings, "parse"):
                parsed = parse_answer(example.task, text, example.metadata.get("labels"))
            predictions.append(Prediction(events=parsed.events, raw_text=text, timings=timings,
                                          audio_seconds_consumed=seconds, failure=parsed.failure,
                                          words=parsed.words))
        return predictions

    def close(self) -> None:
        self.llm = None


def make(options: dict[str, Any]) -> Method:
    return TokenVLLM(options)
