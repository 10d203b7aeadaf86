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

from bench.errors import ConfigError
from bench.jsonl import JsonlWriter, read_jsonl
from bench.manifest import now
from bench.runner import RESULTS, run_lock


@dataclass
class MergeSummary:
    added: int
    duplicates: int  # rows skipped because their key was already there
    total: int


def _manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "manifest.json"
    if not (run_dir / RESULTS).exists() or not path.exists():
        raise ConfigError(f"{run_dir}: not a run directory (needs {RESULTS} and manifest.json)")
    return json.loads(path.read_text())


def merge_runs(sources: list[Path], out: Path) -> MergeSummary:
    manifests = [_manifest(s) for s in sources]
    target = json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").exists() else None
    reference = target or manifests[0]
    for source, manifest in zip(sources, manifests):
        if manifest.get("suite_fingerprint") != reference.get("suite_fingerprint"):
            raise ConfigError(f"{source}: a different suite configuration ({manifest.get('suite')!r}) "
                              f"than {out if target else sources[0]}; runs of different suites are not merged")
    if any(s.resolve() == out.resolve() for s in sources):
        raise ConfigError(f"{out}: the output cannot also be an input")

    with run_lock(out):
        return _merge_locked(sources, manifests, target, out)


def _merge_locked(sources: list[Path], manifests: list[dict[str, Any]], target: dict[str, Any] | None,
                  out: Path) -> MergeSummary:
    seen = {row["key"] for row in read_jsonl(out / RESULTS)}
    added = duplicates = 0
    with JsonlWriter(out / RESULTS) as writer:
        for source in sources:
            for row in read_jsonl(source / RESULTS, repair=False):
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
    merged.setdefault("merges", []).append({"at": now(), "sources": [str(s) for s in sources],
                                            "added": added, "duplicates": duplicates})
    tmp = out / "manifest.tmp"
    tmp.write_text(json.dumps(merged, indent=2, default=str))
    tmp.replace(out / "manifest.json")
    return MergeSummary(added, duplicates, len(seen))
