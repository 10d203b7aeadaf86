"""The token-timestamp baseline through a vLLM OpenAI-compatible server (`token-vllm-server`).

Either attaches to a server given by URL (`--vllm-url`, or the `url` option), or starts one
from the vLLM environment for the checkpoint and stops it at the end. Requests go out
`batch_size` at a time in parallel, each with the question and one base64 WAV `input_audio`
part per 30 s window. A request that times out or fails is recorded with its failure kind; if
the server we started has died, the examples in flight are recorded as failures, the server
is restarted and the run goes on.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from baselines.token_answers import budget, consumed_seconds, to_prediction, token_checkpoint
from baselines.token_vllm import EngineOptions
from baselines.vllm_server import LocalServer, RequestFailed, chat_request, complete, served_model, vllm_python
from bench.audio import Audio
from bench.method import Method
from bench.types import Example, Failure, Prediction
from methods.backbone import SAMPLE_RATE, windows


class TokenVLLMServer(Method):
    def __init__(self, options: dict[str, Any]) -> None:
        self.url: str | None = options.get("url")
        self.checkpoint, self.meta = token_checkpoint(options, causal_only=self.url is None)
        self.engine = EngineOptions.from_options(options)
        self.batch_size = self.engine.batch_size
        self.timeout = float(options.get("timeout", 600.0))
        self.retries = int(options.get("retries", 2))
        self.python = options.get("vllm_python")
        self.log_path = Path(options.get("run_dir") or ".") / "vllm-server.log"
        self.server: LocalServer | None = None
        self.restarts = 0

    def setup(self) -> None:
        if self.url is None:
            self.server = LocalServer(vllm_python(self.python), self.checkpoint / "backbone", self.log_path,
                                      self.engine.server_args())
            self.server.start()
        self.model = served_model(self.base_url)

    @property
    def base_url(self) -> str:
        return self.server.url if self.server is not None else str(self.url)

    def settings(self) -> dict[str, Any]:
        return {"checkpoint": None if self.url else str(self.checkpoint), "url": self.url,
                "engine": "vllm-server", "decoding": "greedy", "concurrency": self.batch_size,
                "dtype": self.engine.dtype, "timeout": self.timeout, "retries": self.retries}

    def predict(self, example: Example, audio: Audio) -> Prediction:
        return self.predict_batch([(example, audio)])[0]

    def predict_batch(self, batch: list[tuple[Example, Audio]]) -> list[Prediction]:
        with ThreadPoolExecutor(max_workers=self.batch_size) as pool:
            predictions = list(pool.map(lambda item: self._ask(*item), batch))
        if self.server is not None and not self.server.alive():
            # The server died under these requests: they are already recorded as failures; the
            # next batch gets a fresh server.
            self.restarts += 1
            self.server.restart()
        return predictions

    def _ask(self, example: Example, audio: Audio) -> Prediction:
        start = time.perf_counter()
        pieces = windows(audio.samples, max_windows=self.engine.max_windows)
        payload = chat_request(self.model, example.query, pieces, SAMPLE_RATE,
                               budget(example, audio, self.engine.max_new_tokens))
        prepare = time.perf_counter() - start
        start = time.perf_counter()
        try:
            text = complete(self.base_url, payload, self.timeout, self.retries)
        except RequestFailed as e:
            timings = {"prepare": prepare, "request": time.perf_counter() - start}
            return Prediction(timings=timings, failure=Failure(e.kind, str(e)))
        timings = {"prepare": prepare, "request": time.perf_counter() - start}
        return to_prediction(example, text, timings, consumed_seconds(pieces))

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


def make(options: dict[str, Any]) -> Method:
    return TokenVLLMServer(options)
