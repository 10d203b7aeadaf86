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


# --- answers that broke the results file (issue 11, item 7) ---------------------------------

import pytest  # noqa: E402

from bench.errors import DataError  # noqa: E402

NASTY = ["lone \ud800 surrogate", "low \udfff too", "nel\u0085here", "line\u2028sep", "para\u2029sep",
         "vt\x0bff\x0cfs\x1cgs\x1drs\x1e", "nul\x00", "crlf\r\n", "Zoë 说话人 🎙"]


def test_any_string_is_written_on_one_line_and_read_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    with JsonlWriter(path) as out:
        for i, text in enumerate(NASTY):
            out.write({"key": str(i), "raw_text": text, text: [text]})
    assert path.read_bytes().count(b"\n") == len(NASTY)
    assert [(r["raw_text"], r[r["raw_text"]]) for r in read_jsonl(path)] == [(t, [t]) for t in NASTY]
    assert "Zoë 说话人 🎙" in path.read_text(encoding="utf-8")  # non-ASCII text stays readable


def test_a_file_with_raw_unicode_line_separators_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"  # as ensure_ascii=False wrote them before
    path.write_text('{"key": "a\u2028b\u0085c\u2029"}\n{"key": "d"}\n', encoding="utf-8")
    assert [r["key"] for r in read_jsonl(path)] == ["a\u2028b\u0085c\u2029", "d"]


@pytest.mark.parametrize("data,problem", [
    (b'{"key": "a"}\n\xff\xfe\x00binary\n', ":2: not UTF-8"),
    (b'{"key": "a"}\n{"key": "b", tor\n{"key": "c"}\n', ":2: not a JSON record"),
    (b'{"key": "a"}\n[1, 2]\n', ":2: expected a JSON object"),
    (b"[" * 100000 + b"\n", ":1: not a JSON record"),
])
def test_damaged_results_are_one_line_errors_naming_the_line(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "results.jsonl"
    path.write_bytes(data)
    with pytest.raises(DataError) as err:
        read_jsonl(path)
    assert str(path) + problem in str(err.value) and "\n" not in str(err.value)
    assert path.read_bytes() == data  # nothing repaired away
