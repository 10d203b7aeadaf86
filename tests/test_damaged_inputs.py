"""Issue 11, item 9: inputs trusted too far. --vllm-url takes http(s) only; merge, report and
check give one-line errors on a torn or binary results file or a malformed baseline, and a
stored NaN or -Infinity does not pass every run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from bench.errors import ConfigError
from bench.suite import parse_suite


def one_line_error(capsys: pytest.CaptureFixture, argv: list[str], *expected: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    return err


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://host/x", "gopher://h", "http://", "localhost:8000",
                                 "http://host:port", "http://a b"])
def test_vllm_url_takes_http_or_https_only(tiny_suite: Path, capsys: pytest.CaptureFixture, url: str) -> None:
    one_line_error(capsys, ["run", str(tiny_suite), "--vllm-url", url], "--vllm-url: expected an http:// or https://")


def test_a_suites_server_url_takes_http_or_https_only() -> None:
    raw = {"durations": [5], "methods": ["oracle"], "tasks": ["word_all"],
           "method_options": {"token-vllm-server": {"url": "file:///etc/passwd"}}}
    with pytest.raises(ConfigError, match=r"method_options\.token-vllm-server\.url: expected an http"):
        parse_suite(raw, "s.yaml")
    raw["method_options"]["token-vllm-server"]["url"] = "https://vllm.example:8000"
    assert parse_suite(raw, "s.yaml").method_options["token-vllm-server"]["url"] == "https://vllm.example:8000"


def run_dir_with(tmp_path: Path, name: str, results: bytes, manifest: bytes = b'{"sessions": []}') -> Path:
    run = tmp_path / name
    run.mkdir()
    (run / "results.jsonl").write_bytes(results)
    (run / "manifest.json").write_bytes(manifest)
    return run


DAMAGED = {
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\n", "not UTF-8"),
    "torn_middle": (b'{"key": "a", "method": "oracle", "ta\n{"key": "b"}\n', ":1: not a JSON record"),
    "not_objects": (b"[1, 2, 3]\n", "expected a JSON object"),
    "foreign_rows": (b'{"key": "a", "method": "oracle"}\n', "not a result row of this harness"),
    "bad_example": (json.dumps({"key": "a", "method": "m", "task": "t", "duration": 5, "example": {"id": 1},
                                "prediction": {}, "health": {}, "speed": {}, "metrics": {}}).encode() + b"\n",
                    "'example'/'prediction' malformed"),
}


@pytest.mark.parametrize("kind", sorted(DAMAGED))
def test_report_check_and_merge_give_one_line_errors_on_damaged_results(
        tmp_path: Path, capsys: pytest.CaptureFixture, kind: str) -> None:
    data, expected = DAMAGED[kind]
    run = run_dir_with(tmp_path, "run", data)
    one_line_error(capsys, ["report", str(run)], str(run / "results.jsonl"), expected)
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"metrics": {}}')
    one_line_error(capsys, ["check", str(run), "--against", str(baseline)], expected)
    out = run_dir_with(tmp_path, "merged", b"")
    one_line_error(capsys, ["merge", str(run), "--out", str(out)], expected)
    assert (out / "results.jsonl").read_bytes() == b""  # nothing merged from a damaged input


def test_merge_gives_one_line_errors_on_a_damaged_manifest(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for i, manifest in enumerate([b"\xff\x00", b'{"sessions": ', b"[]", b'{"sessions": 3}']):
        run = run_dir_with(tmp_path, f"run{i}", b"", manifest)
        one_line_error(capsys, ["merge", str(run), "--out", str(tmp_path / "out")], str(run / "manifest.json"))


@pytest.mark.parametrize("baseline,expected", [
    ('{"metrics": {"oracle": {"word_all": {"10": {"acc@50ms": NaN}}}}}', "acc@50ms: expected a finite number, got nan"),
    ('{"metrics": {"oracle": {"word_all": {"10": {"acc@50ms": -Infinity}}}}}', "expected a finite number, got -inf"),
    ('{"metrics": {"oracle": {"word_all": {"10": {"mae": Infinity}}}}}', "expected a finite number, got inf"),
    ('{"metrics": {"oracle": {"word_all": {"10": {"mae": "0.1"}}}}}', "expected a finite number, got '0.1'"),
    ('{"metrics": {"oracle": {"word_all": {"10": [0.1]}}}}', "expected a mapping metric -> value"),
    ('{"metrics": {"oracle": []}}', "expected a mapping task"),
    ('{"metrics": {}, "tolerances": {"absolute": NaN}}', "tolerances.absolute: expected a finite number"),
    ('{"metrics": {}, "tolerances": {"absolute": -1}}', "tolerances.absolute: expected a number >= 0"),
    ('{"metrics": {}, "overrides": {"mae": {"relative": Infinity}}}', "overrides.mae.relative"),
    ('{"metrics": {}, "overrides": {"mae": {"colour": 1}}}', "overrides.mae: unknown"),
    ('[]', "metrics: expected a mapping"),
    ('{"metrics": ', "malformed JSON"),
    ('\udcff', "not UTF-8"),
])
def test_a_malformed_baseline_is_a_one_line_error_and_never_passes(
        tmp_path: Path, capsys: pytest.CaptureFixture, baseline: str, expected: str) -> None:
    run = run_dir_with(tmp_path, "run", b"")
    path = tmp_path / "baseline.json"
    path.write_bytes(baseline.encode("utf-8", "surrogateescape"))
    one_line_error(capsys, ["check", str(run), "--against", str(path)], str(path), expected)
    one_line_error(capsys, ["check", str(run), "--against", str(path), "--update"], str(path), expected)
