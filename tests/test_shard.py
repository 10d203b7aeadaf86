"""Sharded runs: `--shard i/N` parts are disjoint and cover the run; `bench merge` joins them once."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.cli import main
from bench.errors import ConfigError
from bench.jsonl import read_jsonl
from bench.merge import merge_runs
from bench.runner import parse_shard


def comparable(row: dict[str, Any]) -> dict[str, Any]:
    """A row without what differs between two runs of the same work: wall times."""
    row = {k: v for k, v in row.items() if k != "speed"}
    row["prediction"] = {k: v for k, v in row["prediction"].items() if k != "timings"}
    return row


def rows(run: Path) -> dict[str, dict[str, Any]]:
    return {r["key"]: comparable(r) for r in read_jsonl(run / "results.jsonl")}


def test_two_shards_merged_equal_the_unsharded_run(tiny_suite: Path, tmp_path: Path) -> None:
    whole, merged = tmp_path / "whole", tmp_path / "merged"
    shards = [tmp_path / f"shard{i}" for i in (1, 2)]
    assert main(["run", str(tiny_suite), "--out", str(whole)]) == 0
    for i, shard in enumerate(shards, start=1):
        assert main(["run", str(tiny_suite), "--shard", f"{i}/2", "--out", str(shard)]) == 0
    parts = [rows(s) for s in shards]
    assert parts[0] and parts[1] and not set(parts[0]) & set(parts[1])

    assert main(["merge", *map(str, shards), "--out", str(merged)]) == 0
    assert rows(merged) == rows(whole)
    # Merging again, or merging overlapping inputs, adds nothing.
    assert main(["merge", str(shards[0]), str(shards[0]), str(whole), "--out", str(merged)]) == 0
    assert len(read_jsonl(merged / "results.jsonl")) == len(rows(whole))
    assert main(["report", str(merged)]) == 0


def test_shards_of_different_suites_are_not_merged(tiny_suite: Path, tmp_path: Path) -> None:
    first = tmp_path / "a"
    assert main(["run", str(tiny_suite), "--shard", "1/3", "--out", str(first), "--limit", "1"]) == 0
    other = tmp_path / "other.yaml"
    other.write_text(tiny_suite.read_text().replace("seed: 3", "seed: 4"))
    second = tmp_path / "b"
    assert main(["run", str(other), "--shard", "2/3", "--out", str(second), "--limit", "1"]) == 0
    with pytest.raises(ConfigError, match="a different suite configuration"):
        merge_runs([first, second], tmp_path / "merged")
    with pytest.raises(ConfigError, match="not a run directory"):
        merge_runs([tmp_path], tmp_path / "merged")


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_bad_shard_values_name_the_option(text: str) -> None:
    with pytest.raises(ConfigError, match="--shard"):
        parse_shard(text)
