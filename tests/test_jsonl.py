from pathlib import Path

from bench.jsonl import JsonlWriter, read_jsonl


def test_torn_tail_is_cut_and_appends_stay_clean(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    with JsonlWriter(path) as out:
        out.write({"key": "a"})
        out.write({"key": "b"})
    with path.open("a") as f:
        f.write('{"key": "c", "trunc')  # killed mid-write
    assert [r["key"] for r in read_jsonl(path)] == ["a", "b"]
    with JsonlWriter(path) as out:
        out.write({"key": "c"})
    assert [r["key"] for r in read_jsonl(path)] == ["a", "b", "c"]
