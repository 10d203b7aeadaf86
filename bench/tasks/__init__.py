"""Tasks, one module each. To add one, copy a neighbour and list it in TASKS below."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bench.errors import ConfigError

if TYPE_CHECKING:
    from bench.tasks.base import Task

# name -> "module:Class"; imported on use so that `bench.tasks` stays light.
TASKS: dict[str, str] = {
    "word_single": "bench.tasks.word_single:WordSingle",
    "word_all": "bench.tasks.word_all:WordAll",
    "speaker_onset": "bench.tasks.speaker_onset:SpeakerOnset",
    "diarization": "bench.tasks.diarization:Diarization",
    "event_onset": "bench.tasks.event_onset:EventOnset",
    "event_detection": "bench.tasks.event_detection:EventDetection",
}
TASK_NAMES = tuple(TASKS)

_instances: dict[str, "Task"] = {}


def get_task(name: str) -> "Task":
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r}; known: {', '.join(TASK_NAMES)}")
    if name not in _instances:
        import importlib

        module_name, class_name = TASKS[name].split(":")
        _instances[name] = getattr(importlib.import_module(module_name), class_name)()
    return _instances[name]
