"""Append-only JSONL files that survive being killed mid-write.

Each record is one line, flushed and fsynced as soon as it is written. On reading, a torn last
line (the process died while writing it) is cut off, so the next append starts on a clean line
and nothing finished is lost or duplicated.

Records are written as UTF-8 with non-ASCII text kept readable, except for the characters
that would break the file: U+0085, U+2028 and U+2029 (line breaks to some readers) and lone
surrogates (not encodable as UTF-8), which are written as ``\\uXXXX`` escapes and read back as
the same string. Lines are split on ``\\n`` only.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

from bench.errors import DataError

_UNSAFE = re.compile("[\u0085\u2028\u2029\ud800-\udfff]")


def dumps(record: dict[str, Any]) -> str:
    """One record as one line of JSON, without its newline."""
    text = json.dumps(record, ensure_ascii=False)
    # Outside strings json.dumps writes ASCII only, so these are inside strings, where an
    # escape means the same character.
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def read_jsonl(path: Path, repair: bool = True) -> list[dict[str, Any]]:
    """All complete records; with `repair`, truncates a torn tail off the file.

    Raises DataError ("<path>:<line>: <problem>") for a line that is not a JSON object.
    """
    if not path.exists():
        return []
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    good_end = data.rfind(b"\n") + 1
    records = []
    for line_no, raw in enumerate(data[:good_end].split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise DataError(f"{path}:{line_no}: not UTF-8 text; not a results file, or damaged") from None
        except (json.JSONDecodeError, RecursionError) as e:
            what = e.msg if isinstance(e, json.JSONDecodeError) else "nested too deep"
            raise DataError(f"{path}:{line_no}: not a JSON record ({what}); damaged file") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{line_no}: expected a JSON object, got {type(record).__name__}")
        records.append(record)
    if repair and good_end < len(data):
        with path.open("r+b") as f:
            f.truncate(good_end)
    return records


class JsonlWriter:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        """Append one record; raises (TypeError, ValueError) before writing anything if it
        cannot be written."""
        line = dumps(record) + "\n"
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "JsonlWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_records(paths: list[Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        yield from read_jsonl(path, repair=False)
