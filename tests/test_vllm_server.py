"""The OpenAI-compatible client against a fake server: request format, retries, timeouts and
HTTP errors recorded by kind, and token-vllm-server attached by URL. No vLLM needed."""
from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
import soundfile as sf

from bench.errors import ConfigError
from bench.jsonl import read_jsonl
from baselines.vllm_server import RequestFailed, chat_request, complete, served_model


class Fake:
    """Scripted answers: each POST pops the next (status, body or None to stall)."""

    def __init__(self) -> None:
        self.script: list[tuple[int, str | None]] = []
        self.requests: list[dict] = []
        self.answer = '[{"word": "cat", "start": 1.25}]'


@pytest.fixture
def fake() -> Iterator[tuple[str, Fake]]:
    state = Fake()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._send(200, json.dumps({"data": [{"id": "framebench"}]}))

        def do_POST(self) -> None:
            state.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            status, body = state.script.pop(0) if state.script else (200, None)
            if status == 0:  # stall past the client's timeout
                threading.Event().wait(2.0)
                return
            if body is None:
                body = json.dumps({"choices": [{"message": {"content": state.answer}}]})
            self._send(status, body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


def test_request_puts_the_question_then_one_wav_per_window() -> None:
    pieces = [np.zeros(16000, dtype=np.float32), np.full(8000, 0.5, dtype=np.float32)]
    payload = chat_request("m", "When?  ", pieces, 16000, max_tokens=42)
    content = payload["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "When?\n"}
    assert [c["type"] for c in content[1:]] == ["input_audio", "input_audio"]
    audio, rate = sf.read(io.BytesIO(base64.b64decode(content[2]["input_audio"]["data"])))
    assert rate == 16000 and len(audio) == 8000 and abs(audio.mean() - 0.5) < 1e-3
    assert payload["temperature"] == 0.0 and payload["max_tokens"] == 42


def test_retries_then_answers(fake: tuple[str, Fake]) -> None:
    url, state = fake
    state.script = [(500, "{}"), (503, "{}")]
    assert complete(url, {"x": 1}, timeout=5, retries=2, backoff=0.01) == state.answer
    assert len(state.requests) == 3


def test_failures_have_kinds(fake: tuple[str, Fake]) -> None:
    url, state = fake
    state.script = [(400, '{"error": "bad audio"}')]
    with pytest.raises(RequestFailed) as info:
        complete(url, {}, timeout=5, retries=3, backoff=0.01)
    assert info.value.kind == "http_error" and "400" in str(info.value) and len(state.requests) == 1  # no retry
    state.script = [(0, None)]
    with pytest.raises(RequestFailed) as info:
        complete(url, {}, timeout=0.5, retries=0)
    assert info.value.kind == "timeout"
    with pytest.raises(RequestFailed) as info:
        complete("http://127.0.0.1:9", {}, timeout=1, retries=1, backoff=0.01)
    assert info.value.kind == "http_error" and "connection failed" in str(info.value)


def test_wrong_url_is_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        served_model("http://127.0.0.1:9")
    assert "--vllm-url" in str(info.value) and "\n" not in str(info.value)


def test_method_attached_by_url_answers_and_records_failures(fake: tuple[str, Fake], tiny_suite: Path,
                                                             tmp_path: Path) -> None:
    from bench.runner import run_suite
    from bench.suite import load_suite

    url, state = fake
    state.script = [(400, '{"error": "rejected"}')]  # the first request is refused
    out = run_suite(load_suite(tiny_suite), methods=["token-vllm-server"], limit=1, out_dir=tmp_path / "run",
                    extra_options={"token-vllm-server": {"url": url, "batch_size": 1, "retries": 0}})
    rows = read_jsonl(out / "results.jsonl")
    assert len(rows) == 12
    kinds = [(r["prediction"]["failure"] or {}).get("kind") for r in rows]
    assert kinds[0] == "http_error" and "rejected" in rows[0]["prediction"]["failure"]["message"]
    assert rows[0]["settings"]["url"] == url and rows[0]["settings"]["engine"] == "vllm-server"
    # Every request carried the query and the audio; answers were parsed like token-hf's.
    assert all(len(r["messages"][0]["content"]) >= 2 for r in state.requests)
    word_all = [r for r in rows if r["task"] == "word_all" and not r["prediction"]["failure"]]
    assert word_all and word_all[0]["prediction"]["events"][0]["onset"] == 1.25


def test_a_dead_server_fails_its_requests_and_is_restarted(fake: tuple[str, Fake], tiny_suite: Path) -> None:
    from baselines.token_vllm_server import TokenVLLMServer
    from bench.examples import build_examples
    from bench.suite import load_suite
    from bench.audio import load_audio

    url, _ = fake

    class DyingServer:
        """Stands in for LocalServer: dead (refusing connections) until restarted."""

        def __init__(self) -> None:
            self.url, self.restarts = "http://127.0.0.1:9", 0

        def alive(self) -> bool:
            return self.url == url

        def restart(self) -> None:
            self.restarts += 1
            self.url = url

        def stop(self) -> None:
            pass

    method = TokenVLLMServer({"url": url, "batch_size": 2, "retries": 0})
    method.model = "framebench"
    method.server = server = DyingServer()  # type: ignore[assignment]
    spec = load_suite(tiny_suite).tasks[1]  # word_all
    batch = [(ex, load_audio(ex.audio.path)) for ex in build_examples(spec, 6.0, 3)]
    first = method.predict_batch(batch)
    assert [p.failure.kind for p in first] == ["http_error", "http_error"] and server.restarts == 1
    second = method.predict_batch(batch)
    assert all(p.failure is None for p in second) and server.restarts == 1
