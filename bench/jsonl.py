"""Append-only JSONL files that survive being killed mid-write.

Each record is one line, flushed and fsynced as soon as it is written. On reading, a torn last
line (the process died while writing it) is cut off, so the next append starts on a clean line
and nothing finished is lost or duplicated.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator


def read_jsonl(path: Path, repair: bool = True) -> list[dict[str, Any]]:
    """All complete records; with `repair`, truncates a torn tail off the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    good_end = data.rfind(b"\n") + 1
    if repair and good_end < len(data):
        with path.open("r+b") as f:
            f.truncate(good_end)
    return [json.loads(line) for line in data[:good_end].decode("utf-8").splitlines() if line.strip()]


class JsonlWriter:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
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
