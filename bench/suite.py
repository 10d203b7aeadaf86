"""Suites: YAML files naming tasks x durations x methods. Validated here, with errors that name the field.

    name: smoke
    seed: 0
    durations: [10, 30]        # seconds; defaults for every task
    examples: 2                # per task and duration, or per duration: {10: 4, 30: 2}
    methods: [oracle, uniform]
    method_options: {}         # method name -> options passed to its factory
    tasks:
      - task: word_all
        durations: [10]        # optional override
        data: {pool_size: 8}   # optional parameters of the task's data source
      - task: diarization
        name: diarization-ami  # optional: rows and tables use it (two corpora of one task)
        durations: [native, 60]  # native: corpus files as they are
        corpus: {format: rttm, annotations: ami.rttm, audio: "ami/{uri}.wav"}  # real data (bench/data/corpus.py)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.data.corpus import CorpusSpec
from bench.data.params import fingerprint, parse_params
from bench.data.sources import parse_source_params
from bench.errors import ConfigError
from bench.registry import get_method
from bench.tasks import get_task
from bench.types import NATIVE, duration_label

TOP_LEVEL = {"name", "description", "seed", "durations", "examples", "methods", "method_options", "tasks"}
TASK_LEVEL = {"task", "name", "durations", "examples", "data", "corpus"}


@dataclass(frozen=True)
class TaskSpec:
    task: str
    durations: tuple[float, ...]  # NATIVE (0) for corpus files as they are
    examples: int | dict[float, int]  # one count for every duration, or one per duration
    data: Any  # the source's params dataclass (generated recordings)
    name: str = ""  # what rows and tables call it; the task's name unless the suite gives one
    corpus: CorpusSpec | None = None  # real recordings instead of generated ones

    def examples_at(self, duration: float) -> int:
        return self.examples[duration] if isinstance(self.examples, dict) else self.examples


@dataclass(frozen=True)
class Suite:
    name: str
    path: str
    seed: int
    methods: tuple[str, ...]
    tasks: tuple[TaskSpec, ...]
    method_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Identifies what a run directory's rows mean; method choice is free to vary between resumes."""
        return fingerprint({k: v for k, v in self.raw.items() if k not in ("methods", "description")})


def load_suite(path: str | Path) -> Suite:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such suite file") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: malformed YAML: {' '.join(str(e).split())}") from None
    return parse_suite(raw, str(path))


def parse_suite(raw: Any, where: str) -> Suite:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping at the top level")
    _no_unknown(raw, TOP_LEVEL, where)
    name = raw.get("name", Path(where).stem)
    if not isinstance(name, str) or not name or "/" in name:
        raise ConfigError(f"{where}: name: expected a non-empty string without '/', got {name!r}")
    seed = _int(raw.get("seed", 0), f"{where}: seed", minimum=0)
    durations = _durations(raw.get("durations"), f"{where}: durations") if "durations" in raw else None
    examples = _examples(raw.get("examples", 2), f"{where}: examples")
    methods = _names(raw.get("methods"), f"{where}: methods")
    for i, m in enumerate(methods):
        _check(get_method, m, f"{where}: methods[{i}]")
    options = raw.get("method_options") or {}
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise ConfigError(f"{where}: method_options: expected a mapping of method name to a mapping")
    for m in options:
        _check(get_method, m, f"{where}: method_options.{m}")
    tasks_raw = raw.get("tasks")
    if not isinstance(tasks_raw, list) or not tasks_raw:
        raise ConfigError(f"{where}: tasks: expected a non-empty list")
    # Corpus paths are relative to the suite file, so a suite runs from any working directory.
    base = Path(where).parent
    tasks = tuple(_task(t, f"{where}: tasks[{i}]", durations, examples, base) for i, t in enumerate(tasks_raw))
    seen: set[str] = set()
    for i, t in enumerate(tasks):
        if t.name in seen:
            raise ConfigError(f"{where}: tasks[{i}].name: {t.name!r} is used twice; give each entry its own name")
        seen.add(t.name)
    description = str(raw.get("description", ""))
    return Suite(name, where, seed, methods, tasks, options, description, raw)


def _task(raw: Any, where: str, durations: tuple[float, ...] | None, examples: int | dict[float, int],
          base: Path) -> TaskSpec:
    if isinstance(raw, str):
        raw = {"task": raw}
    if not isinstance(raw, dict) or "task" not in raw:
        raise ConfigError(f"{where}: expected a mapping with a 'task' field")
    _no_unknown(raw, TASK_LEVEL, where)
    task = _check(get_task, raw["task"], f"{where}.task")
    name = raw.get("name", raw["task"])
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise ConfigError(f"{where}.name: expected a non-empty string without spaces, got {name!r}")
    if "durations" in raw:
        durations = _durations(raw["durations"], f"{where}.durations")
    if durations is None:
        raise ConfigError(f"{where}.durations: missing (and no suite-level durations)")
    n = _examples(raw["examples"], f"{where}.examples") if "examples" in raw else examples
    if isinstance(n, dict):
        missing = [duration_label(d) for d in durations if d not in n]
        if missing:
            whose = f"{where}.examples" if "examples" in raw else f"{where}: the suite's examples"
            raise ConfigError(f"{whose}: no count for duration(s) {', '.join(missing)}")
    if "corpus" in raw:
        if "data" in raw:
            raise ConfigError(f"{where}: give either data (generated recordings) or corpus (real ones), not both")
        corpus = parse_params(CorpusSpec, raw["corpus"], f"{where}.corpus").resolved(base)
        if corpus.source != task.source:
            raise ConfigError(f"{where}.corpus: format {corpus.format} gives {corpus.source} recordings; "
                              f"{raw['task']} asks about {task.source} recordings")
        return TaskSpec(raw["task"], durations, n, None, name, corpus)
    if NATIVE in durations:
        raise ConfigError(f"{where}.durations: 'native' needs a corpus; generated data has no native length")
    data = parse_source_params(task.source, raw.get("data"), f"{where}.data")
    return TaskSpec(raw["task"], durations, n, data, name)


def _check(lookup: Any, name: Any, where: str) -> Any:
    try:
        return lookup(name)
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None


def _no_unknown(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise ConfigError(f"{where}: {key}: unknown field; expected one of {', '.join(sorted(allowed))}")


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}: expected a whole number >= {minimum}, got {value!r}")
    return value


def _examples(value: Any, where: str) -> int | dict[float, int]:
    """A count, or a mapping seconds -> count: long durations cost more, so suites give them fewer."""
    if not isinstance(value, dict):
        return _int(value, where, minimum=1)
    counts = {}
    for key, count in value.items():
        if key == "native":
            key = NATIVE
        elif isinstance(key, bool) or not isinstance(key, (int, float)) or key <= 0:
            raise ConfigError(f"{where}: keys must be durations in seconds or 'native', got {key!r}")
        counts[float(key)] = _int(count, f"{where}.{key}", minimum=1)
    return counts


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a non-empty list of names, got {value!r}")
    return tuple(value)


def _durations(value: Any, where: str) -> tuple[float, ...]:
    ok = isinstance(value, list) and value and all(
        v == "native" or (isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0) for v in value)
    if not ok:
        raise ConfigError(f"{where}: expected a non-empty list of positive seconds or 'native', got {value!r}")
    return tuple(NATIVE if v == "native" else float(v) for v in value)
