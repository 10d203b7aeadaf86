"""Typed, validated parameters for data sources, built from a suite's `data:` mapping."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, TypeVar, get_type_hints

from bench.errors import ConfigError

P = TypeVar("P")


def parse_params(cls: type[P], raw: dict[str, Any] | None, where: str) -> P:
    """Build dataclass `cls` from a mapping; errors name the offending field."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            raise ConfigError(f"{where}.{key}: unknown field; expected one of {', '.join(fields)}")
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: {e}") from None


def _coerce(value: Any, hint: Any, where: str) -> Any:
    text = str(hint)
    if text.startswith("tuple[float, float]") or text.startswith("tuple[int, int]"):
        kind = float if "float" in text else int
        if not (isinstance(value, (list, tuple)) and len(value) == 2):
            raise ConfigError(f"{where}: expected a [low, high] pair, got {value!r}")
        low, high = (_number(v, kind, where) for v in value)
        if low > high:
            raise ConfigError(f"{where}: low {low} is above high {high}")
        return (low, high)
    if "tuple[str, ...]" in text:
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        return tuple(value)
    if hint is str or text == "str":
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if hint is float or text == "float":
        return _number(value, float, where)
    if hint is int or text == "int":
        return _number(value, int, where)
    return value


def _number(value: Any, kind: type, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if kind is int and int(value) != value:
        raise ConfigError(f"{where}: expected a whole number, got {value!r}")
    return kind(value)


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-able parts: the cache key of generated data."""
    blob = json.dumps([_string_keys(dataclasses.asdict(p) if dataclasses.is_dataclass(p) else p) for p in parts],
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _string_keys(value: Any) -> Any:
    """Mappings with their keys as JSON writes them, so mixed keys ({native: 8, 60: 2}) can be sorted."""
    if isinstance(value, dict):
        return {json.dumps(k) if isinstance(k, (int, float)) else str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_string_keys(v) for v in value]
    return value
