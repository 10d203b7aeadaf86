"""`bench merge`: join run directories (shards of one run, or resumed pieces) into one run.

Rows are keyed by method and example; a key already in the output is never written again, so
merging twice, or merging shards that overlap, duplicates nothing. Only runs of the same suite
configuration can be merged: their rows mean the same thing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import ConfigError, DataError
from bench.jsonl import JsonlWriter, read_jsonl
from bench.manifest import now
from bench.results import check_rows
from bench.runner import RESULTS, run_lock


@dataclass
class MergeSummary:
    added: int
    duplicates: int  # rows skipped because their key was already there
    total: int


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError) as e:
        raise DataError(f"{path}: malformed JSON: {' '.join(str(e).split())[:200]}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("sessions", []), list) \
            or not all(isinstance(s, dict) for s in manifest.get("sessions", [])):
        raise DataError(f"{path}: not a run manifest (expected an object with a list of sessions)")
    return manifest


def _manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "manifest.json"
    if not (run_dir / RESULTS).is_file() or not path.is_file():
        raise ConfigError(f"{run_dir}: not a run directory (needs {RESULTS} and manifest.json)")
    return _read_manifest(path)


def merge_runs(sources: list[Path], out: Path) -> MergeSummary:
    manifests = [_manifest(s) for s in sources]
    target = _read_manifest(out / "manifest.json") if (out / "manifest.json").exists() else None
    # Every row is read and checked before anything is written: a damaged input merges nothing.
    rows = {s: check_rows(read_jsonl(s / RESULTS, repair=False), s / RESULTS) for s in sources}
    reference = target or manifests[0]
    for source, manifest in zip(sources, manifests):
        if manifest.get("suite_fingerprint") != reference.get("suite_fingerprint"):
            raise ConfigError(f"{source}: a different suite configuration ({manifest.get('suite')!r}) "
                              f"than {out if target else sources[0]}; runs of different suites are not merged")
    if any(s.resolve() == out.resolve() for s in sources):
        raise ConfigError(f"{out}: the output cannot also be an input")

    with run_lock(out):
        return _merge_locked(sources, manifests, target, out, rows)


def _merge_locked(sources: list[Path], manifests: list[dict[str, Any]], target: dict[str, Any] | None,
                  out: Path, rows: dict[Path, list[dict[str, Any]]]) -> MergeSummary:
    seen = {row["key"] for row in check_rows(read_jsonl(out / RESULTS), out / RESULTS)}
    added = duplicates = 0
    with JsonlWriter(out / RESULTS) as writer:
        for source in sources:
            for row in rows[source]:
                if row["key"] in seen:
                    duplicates += 1
                    continue
                writer.write(row)
                seen.add(row["key"])
                added += 1

    merged = target or {k: v for k, v in manifests[0].items() if k != "sessions"} | {"sessions": []}
    known = {(s.get("started"), json.dumps(s.get("argv"))) for s in merged["sessions"]}
    for source, manifest in zip(sources, manifests):
        for session in manifest.get("sessions", []):
            if (session.get("started"), json.dumps(session.get("argv"))) not in known:
                merged["sessions"].append({**session, "merged_from": str(source)})
                known.add((session.get("started"), json.dumps(session.get("argv"))))
    if not isinstance(merged.setdefault("merges", []), list):
        raise DataError(f"{out / 'manifest.json'}: merges: expected a list")
    merged["merges"].append({"at": now(), "sources": [str(s) for s in sources],
                                            "added": added, "duplicates": duplicates})
    tmp = out / "manifest.tmp"
    tmp.write_text(json.dumps(merged, indent=2, default=str))
    tmp.replace(out / "manifest.json")
    return MergeSummary(added, duplicates, len(seen))
