from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

TINY_SUITE = """
name: tiny
seed: 3
durations: [6, 20]
examples: 2
methods: [oracle, uniform]
tasks:
  - task: word_single
    data: {pool_size: 4}
  - task: word_all
    data: {pool_size: 4}
  - task: speaker_onset
    data: {pool_size: 3}
  - task: diarization
    data: {pool_size: 3, overlap: 0.5}
  - task: event_onset
    data: {pool_size: 3}
  - task: event_detection
    data: {pool_size: 3}
"""


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # Generated audio is shared across tests in a session, never with the user's cache.
    path = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FRAMEBENCH_CACHE", str(path))
        yield path


@pytest.fixture
def tiny_suite(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SUITE)
    return path


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny suite run once with oracle and uniform, shared by a module's tests."""
    from bench.runner import run_suite
    from bench.suite import load_suite

    suite_path = tmp_path_factory.mktemp("suite") / "tiny.yaml"
    suite_path.write_text(TINY_SUITE)
    return run_suite(load_suite(suite_path), out_dir=tmp_path_factory.mktemp("run") / "tiny")
