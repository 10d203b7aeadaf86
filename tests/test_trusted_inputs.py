"""Issue 11, item 9 (rest): a suite's vllm_python must be a Python interpreter, and the copy of
libespeak-ng in the user's cache is reused only when its content is the library's."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from baselines.vllm_server import vllm_python
from bench.data import espeak
from bench.errors import ConfigError


def executable(path: Path, text: str = "#!/bin/sh\necho hi\n") -> str:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.parametrize("name", ["sh-script", "rm", "pythonic-dir/"])
def test_vllm_python_refuses_what_is_not_a_python_interpreter(tmp_path: Path, name: str) -> None:
    target = tmp_path / name.rstrip("/")
    if name.endswith("/"):
        target.mkdir()
        path = str(target)
    else:
        path = executable(target)
    with pytest.raises(ConfigError, match=r"^vllm_python: .* is not a Python interpreter") as info:
        vllm_python(path)
    assert "\n" not in str(info.value)


def test_vllm_python_refuses_a_python_named_file_that_cannot_run_or_does_not_exist(tmp_path: Path) -> None:
    plain = tmp_path / "python3"
    plain.write_text("not executable")
    for path in (str(plain), str(tmp_path / "python-missing")):
        with pytest.raises(ConfigError, match="vllm_python"):
            vllm_python(path)


def test_vllm_python_takes_an_interpreter_from_the_option_or_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert vllm_python(sys.executable) == sys.executable
    monkeypatch.setenv("FRAMEBENCH_VLLM_PYTHON", executable(tmp_path / "evil"))
    with pytest.raises(ConfigError, match=r"\$FRAMEBENCH_VLLM_PYTHON"):
        vllm_python(None)
    monkeypatch.setenv("FRAMEBENCH_VLLM_PYTHON", executable(tmp_path / "python3.11"))
    assert vllm_python(None) == str(tmp_path / "python3.11")


def test_a_same_size_library_copy_with_other_bytes_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    espeakng_loader = pytest.importorskip("espeakng_loader")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    src = espeakng_loader.get_library_path()
    first = espeak._private_copy(src)
    assert first.startswith(str(tmp_path)) and Path(first).read_bytes() == Path(src).read_bytes()
    # Same size, other content: as a damaged or planted copy would be.
    size = os.path.getsize(first)
    Path(first).write_bytes(b"\0" * size)
    second = espeak._private_copy(src)
    assert second == first and Path(second).read_bytes() == Path(src).read_bytes()
