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

import math
from dataclasses import dataclass, field, fields
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

# What a suite may ask, so that a typo or a hostile file is a one-line error, not a run that
# grows to gigabytes: YAML aliases can make a few lines mean millions of values.
MAX_SUITE_BYTES = 1_000_000
MAX_VALUES = 10_000  # scalars, lists and mappings in one top-level field, aliases expanded
MAX_DEPTH = 16  # nesting of lists and mappings
MAX_DURATION_S = 24 * 3600.0  # one example
MAX_EXAMPLES = 10_000  # per task entry and duration
MAX_TOTAL_AUDIO_S = 1000 * 3600.0  # generated audio a suite asks for, all tasks and durations
MAX_DATA_NUMBER = 10_000  # any number in a task's data: pool_size, words, base_duration, ...
MAX_SEED = 2**63 - 1


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
        if path.stat().st_size > MAX_SUITE_BYTES:
            raise ConfigError(f"{path}: {path.stat().st_size} bytes; a suite file may hold at most {MAX_SUITE_BYTES}")
        raw = yaml.safe_load(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such suite file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: a folder, not a suite file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: malformed YAML: {' '.join(str(e).split())[:300]}") from None
    except RecursionError:
        raise ConfigError(f"{path}: malformed YAML: nested too deep") from None
    return parse_suite(raw, str(path))


def _check_size(value: Any, where: str) -> None:
    """Refuse a value nested deeper than MAX_DEPTH or holding more than MAX_VALUES values.

    Shared (aliased) parts count once per use, as anything that walks the value will see them,
    and a self-referencing alias is just too deep; the walk stops at the first excess.
    """
    count = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise ConfigError(f"{where}: more than {MAX_VALUES} values (YAML aliases expanded); "
                              "a suite this large is refused")
        if isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                raise ConfigError(f"{where}: nested more than {MAX_DEPTH} deep")
            children = list(item.items()) if isinstance(item, dict) else item
            for child in children:
                if isinstance(item, dict):
                    stack.append((child[0], depth + 1))
                    stack.append((child[1], depth + 1))
                else:
                    stack.append((child, depth + 1))


def parse_suite(raw: Any, where: str) -> Suite:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping at the top level")
    _no_unknown(raw, TOP_LEVEL, where)
    for key, value in raw.items():
        _check_size(value, f"{where}: {key}")
    name = raw.get("name", Path(where).stem)
    # The name is a folder under results/runs: no separator, and not "." or "..".
    if (not isinstance(name, str) or not name or "/" in name or "\\" in name or "\0" in name
            or name.strip(".") == ""):
        raise ConfigError(f"{where}: name: expected a non-empty string without '/', not '.' or '..', got {name!r}")
    seed = _int(raw.get("seed", 0), f"{where}: seed", minimum=0, maximum=MAX_SEED)
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
        if "url" in options[m]:
            http_url(options[m]["url"], f"{where}: method_options.{m}.url")
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
    total = sum(d * t.examples_at(d) for t in tasks if t.corpus is None for d in t.durations)
    if total > MAX_TOTAL_AUDIO_S:
        raise ConfigError(f"{where}: tasks: asks for {total / 3600:.0f} h of generated audio (durations x examples); "
                          f"at most {MAX_TOTAL_AUDIO_S / 3600:.0f} h")
    description = str(raw.get("description", ""))
    return Suite(name, where, seed, methods, tasks, options, description, raw)


def http_url(value: Any, where: str) -> str:
    """An http(s) server address, or a ConfigError naming `where` (no file:, ftp:, ...)."""
    from urllib.parse import urlsplit

    ok = False
    if isinstance(value, str) and not any(c.isspace() or ord(c) < 32 for c in value):
        try:
            parts = urlsplit(value)
            _ = parts.port  # ValueError for a port that is not a number
            ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        except ValueError:
            ok = False
    if not ok:
        raise ConfigError(f"{where}: expected an http:// or https:// server address, got {_short(value)}")
    return value


def _task(raw: Any, where: str, durations: tuple[float, ...] | None, examples: int | dict[float, int],
          base: Path) -> TaskSpec:
    if isinstance(raw, str):
        raw = {"task": raw}
    if not isinstance(raw, dict) or "task" not in raw:
        raise ConfigError(f"{where}: expected a mapping with a 'task' field")
    _no_unknown(raw, TASK_LEVEL, where)
    if not isinstance(raw["task"], str):
        raise ConfigError(f"{where}.task: expected a task name, got {_short(raw['task'])}")
    task = _check(get_task, raw["task"], f"{where}.task")
    name = raw.get("name", raw["task"])
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise ConfigError(f"{where}.name: expected a non-empty string without spaces, got {_short(name)}")
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
    _check_data_numbers(data, f"{where}.data")
    return TaskSpec(raw["task"], durations, n, data, name)


def _check_data_numbers(params: Any, where: str) -> None:
    for f in fields(params):
        value = getattr(params, f.name)
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if not math.isfinite(v) or abs(v) > MAX_DATA_NUMBER:
                    raise ConfigError(f"{where}.{f.name}: {v!r} is beyond the {MAX_DATA_NUMBER} a suite may ask")


def _check(lookup: Any, name: Any, where: str) -> Any:
    try:
        return lookup(name)
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None


def _no_unknown(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise ConfigError(f"{where}: {_short(key)}: unknown field; expected one of {', '.join(sorted(allowed))}")


def _int(value: Any, where: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ConfigError(f"{where}: expected a whole number from {minimum} to {maximum}, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _examples(value: Any, where: str) -> int | dict[float, int]:
    """A count, or a mapping seconds -> count: long durations cost more, so suites give them fewer."""
    if not isinstance(value, dict):
        return _int(value, where, minimum=1, maximum=MAX_EXAMPLES)
    counts = {}
    for key, count in value.items():
        if key == "native":
            key = NATIVE
        elif isinstance(key, bool) or not isinstance(key, (int, float)) or not 0 < key <= MAX_DURATION_S:
            raise ConfigError(f"{where}: keys must be durations in seconds (at most {MAX_DURATION_S:g}) "
                              f"or 'native', got {_short(key)}")
        counts[float(key)] = _int(count, f"{where}.{key}", minimum=1, maximum=MAX_EXAMPLES)
    return counts


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a non-empty list of names, got {_short(value)}")
    return tuple(value)


def _durations(value: Any, where: str) -> tuple[float, ...]:
    ok = isinstance(value, list) and value and all(
        v == "native" or (isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0) for v in value)
    if not ok:
        raise ConfigError(f"{where}: expected a non-empty list of positive seconds or 'native', got {_short(value)}")
    for i, v in enumerate(value):
        if v != "native" and not v <= MAX_DURATION_S:
            raise ConfigError(f"{where}[{i}]: {v!r} s is more than the {MAX_DURATION_S:g} s (24 h) "
                              "an example may last")
    return tuple(NATIVE if v == "native" else float(v) for v in value)
