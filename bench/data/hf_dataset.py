"""A Hugging Face `datasets` dataset on local disk as corpus entries.

It may be a folder written by `save_to_disk`, or parquet files (a folder, one file or a glob),
for example a local copy of `gilkeyio/librispeech-alignments`. The audio column is read with
`Audio(decode=False)` and decoded by soundfile: the torchcodec decoder `datasets` would use is
not available on CPU-only machines.
"""
from __future__ import annotations

import glob
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.types import Event

if TYPE_CHECKING:
    from bench.data.corpus import CorpusSpec, Entry


def _load(spec: "CorpusSpec") -> Any:
    import datasets

    path = Path(spec.path)
    if (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists():
        loaded = datasets.load_from_disk(str(path))
    else:
        files = sorted(glob.glob(str(path / "**" / "*.parquet"), recursive=True)) if path.is_dir() \
            else sorted(glob.glob(spec.path))
        if not files:
            raise FileNotFoundError(f"path: no dataset folder or parquet file at {spec.path}")
        loaded = datasets.load_dataset("parquet", data_files={spec.split: files})
    if isinstance(loaded, datasets.DatasetDict):
        if spec.split not in loaded:
            raise ValueError(f"split: {spec.split!r} not in the dataset; it has {', '.join(loaded)}")
        loaded = loaded[spec.split]
    for column in (spec.audio_column, spec.events_column):
        if column not in loaded.column_names:
            raise ValueError(f"no column {column!r}; columns: {', '.join(loaded.column_names)}")
    return loaded.cast_column(spec.audio_column, datasets.Audio(decode=False))


def _events(spec: "CorpusSpec", items: Any, where: str) -> list[Event]:
    if not isinstance(items, list):
        raise ValueError(f"{where}: column {spec.events_column!r} is not a list")
    events = []
    for item in items:
        try:
            onset = float(item[spec.onset_key])
            end = item.get(spec.offset_key)
            offset = None if end is None else float(end)
            label = str(item[spec.label_key])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError(f"{where}: expected {spec.events_column!r} items with {spec.label_key!r}, "
                             f"{spec.onset_key!r} and {spec.offset_key!r}, got {item!r}") from None
        if not math.isfinite(onset):
            raise ValueError(f"{where}: onset {onset} is not finite")
        events.append(Event(label, onset, offset))
    return sorted(events, key=lambda e: e.onset)


def _audio(value: dict[str, Any], base: Path) -> str | bytes:
    if value.get("bytes"):
        return value["bytes"]
    path = Path(value.get("path") or "")
    return str(path if path.is_absolute() else base / path)


def hf_entries(spec: "CorpusSpec") -> list["Entry"]:
    from bench.data.corpus import Entry

    dataset = _load(spec)
    base = Path(spec.path) if Path(spec.path).is_dir() else Path(spec.path).parent
    has_id = spec.id_column in dataset.column_names
    out = []
    for i, row in enumerate(dataset):
        uri = str(row[spec.id_column]) if has_id else f"{i:06d}"
        out.append(Entry(uri, _events(spec, row[spec.events_column], f"{spec.path}: row {i} ({uri})"),
                         _audio(row[spec.audio_column], base)))
    return out
