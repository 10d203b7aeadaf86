from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import score
from bench.data.formats import read_rttm, read_uem, write_word_json
from bench.metrics.diarization import DiarizationMetric
from bench.types import Event

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "metrics"
DSCORE = FIXTURES / "dscore"
AMI = FIXTURES / "ami-ES2014c"
SED = FIXTURES / "sed_eval"


def run_score(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    score.add_arguments(parser)
    code = score.main(parser.parse_args([str(a) for a in argv]))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> dict:
    code, out, err = run_score(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_dscore_fixture(capsys, tmp_path: Path) -> None:
    args = ("--task", "diarization", "--reference", DSCORE / "ref.rttm", "--hypothesis", DSCORE / "sys.rttm")
    result = run_json(capsys, *args)
    assert result["task"] == "diarization"
    assert result["der"] == pytest.approx(0.2639309, abs=1e-7)
    assert result["jer"] == pytest.approx(0.3324631, abs=1e-7)
    assert result["files"]["FILE1"]["der"] == pytest.approx(0.2639309, abs=1e-7)

    # the README's setting, UEM 0-43 s, scores the same
    uem = tmp_path / "all.uem"
    uem.write_text("FILE1 1 0 43\n")
    result = run_json(capsys, *args, "--uem", uem)
    assert result["der"] == pytest.approx(0.2639309, abs=1e-7)
    assert result["jer"] == pytest.approx(0.3324631, abs=1e-7)


def test_uem_with_several_regions_restricts_scoring(capsys) -> None:
    """dscore's test_load.uem (a UEM-parsing fixture) scores FILE1 on 0-15 s and 25-30.4 s only."""
    result = run_json(capsys, "--task", "diarization", "--reference", DSCORE / "ref.rttm",
                      "--hypothesis", DSCORE / "sys.rttm", "--uem", DSCORE / "test_load.uem")
    direct = DiarizationMetric()(
        "FILE1", read_rttm(DSCORE / "ref.rttm")["FILE1"], read_rttm(DSCORE / "sys.rttm")["FILE1"],
        uem=read_uem(DSCORE / "test_load.uem")["FILE1"],
    )
    assert result["der"] == pytest.approx(direct["der"], abs=1e-12)
    assert result["total"] == pytest.approx(direct["total"], abs=1e-9)
    assert result["der"] != pytest.approx(0.2639309, abs=1e-3)


def test_ami_fixture(capsys) -> None:
    result = run_json(capsys, "--task", "diarization", "--reference", AMI / "ref.rttm",
                      "--hypothesis", AMI / "sys.rttm", "--collar", "0.25", "--skip-overlap")
    assert result["der"] == pytest.approx(0.0716923618, abs=1e-10)
    assert result["settings"] == {"collar": 0.25, "skip_overlap": True, "uem": None}


def test_events_street_fixture(capsys) -> None:
    result = run_json(capsys, "--task", "events", "--reference", SED / "street_fold1_reference.txt",
                      "--hypothesis", SED / "street_fold1_detected.txt", "--time-resolution", "1.0")
    assert result["segment_error_rate"] == pytest.approx(1.0616698292220115, abs=1e-10)
    assert result["segment_accuracy"] == pytest.approx(0.84244791666, abs=1e-10)
    assert len(result["files"]) == 6


def test_table_output(capsys) -> None:
    code, out, err = run_score(capsys, "--task", "diarization", "--reference", DSCORE / "ref.rttm",
                               "--hypothesis", DSCORE / "sys.rttm")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["der", "jer", "missed", "false_alarm", "confusion", "total"]
    assert lines[-2].startswith("FILE1") and lines[-1].startswith("TOTAL")
    assert "0.263931" in lines[-1]


def test_words(capsys, tmp_path: Path) -> None:
    ref, hyp = tmp_path / "ref.json", tmp_path / "hyp.json"
    write_word_json(ref, {
        "u1": [Event("the", 1.0, 1.2), Event("cat", 2.0, 2.5)],
        "u2": [Event("hi", 0.5, 4.0)],  # no hypothesis: missed, penalty 4.0 / 2
    })
    write_word_json(hyp, {"u1": [Event("the", 1.01), Event("cat", 2.3)]})
    result = run_json(capsys, "--task", "words", "--reference", ref, "--hypothesis", hyp)
    u1, u2 = result["files"]["u1"], result["files"]["u2"]
    assert u1["mae"] == pytest.approx((0.01 + 0.3) / 2)
    assert u1["acc@10ms"] == pytest.approx(0.5)
    assert (u2["missing"], u2["mae"]) == (1, pytest.approx(2.0))
    assert u2["mae_matched"] is None  # NaN is not JSON
    assert result["mae"] == pytest.approx((0.01 + 0.3 + 2.0) / 3)
    assert result["settings"] == {"matching": "sequence"}


def test_words_matching_option(capsys, tmp_path: Path) -> None:
    ref, hyp = tmp_path / "ref.json", tmp_path / "hyp.json"
    write_word_json(ref, {"u": [Event("a", 1.0), Event("b", 2.0)]})
    write_word_json(hyp, {"u": [Event("b", 2.0), Event("a", 1.0)]})
    base = ("--task", "words", "--reference", ref, "--hypothesis", hyp)
    assert run_json(capsys, *base)["mae"] == pytest.approx(1.0)
    assert run_json(capsys, *base, "--matching", "order")["mae"] == pytest.approx(0.0)


def assert_one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for needle in needles:
        assert needle in err


def test_missing_file(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "nope.rttm"
    result = run_score(capsys, "--task", "diarization", "--reference", DSCORE / "ref.rttm", "--hypothesis", missing)
    assert_one_line_error(*result, str(missing))


def test_malformed_line(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.rttm"
    bad.write_text("SPEAKER FILE1 1 0.0 1.0 <NA> <NA> A <NA> <NA>\nSPEAKER FILE1 1 x 1.0 <NA> <NA> A <NA> <NA>\n")
    result = run_score(capsys, "--task", "diarization", "--reference", DSCORE / "ref.rttm", "--hypothesis", bad)
    assert_one_line_error(*result, f"{bad}:2:")


def test_unknown_uri_in_hypothesis(capsys, tmp_path: Path) -> None:
    hyp = tmp_path / "hyp.rttm"
    hyp.write_text("SPEAKER OTHER 1 0.0 1.0 <NA> <NA> A <NA> <NA>\n")
    result = run_score(capsys, "--task", "diarization", "--reference", DSCORE / "ref.rttm", "--hypothesis", hyp)
    assert_one_line_error(*result, str(hyp), "'OTHER'")


def test_uri_missing_from_uem(capsys, tmp_path: Path) -> None:
    uem = tmp_path / "x.uem"
    uem.write_text("FILE9 1 0 10\n")
    result = run_score(capsys, "--task", "diarization", "--reference", DSCORE / "ref.rttm",
                       "--hypothesis", DSCORE / "sys.rttm", "--uem", uem)
    assert_one_line_error(*result, str(uem), "'FILE1'")


def test_reference_uri_without_hypothesis_is_all_missed(capsys, tmp_path: Path) -> None:
    empty = tmp_path / "empty.rttm"
    empty.write_text("")
    result = run_json(capsys, "--task", "diarization", "--reference", DSCORE / "ref.rttm", "--hypothesis", empty)
    assert result["der"] == pytest.approx(1.0)
    assert result["missed"] == pytest.approx(result["total"])


@pytest.mark.skipif(not (ROOT / "bench" / "cli.py").exists(), reason="bench/cli.py not written yet")
def test_python_m_bench_score() -> None:
    def run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bench", "score", *map(str, argv)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    ok = run("--task", "diarization", "--reference", AMI / "ref.rttm", "--hypothesis", AMI / "sys.rttm",
             "--collar", "0.25", "--skip-overlap", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["der"] == pytest.approx(0.0716923618, abs=1e-10)

    bad = run("--task", "diarization", "--reference", DSCORE / "missing.rttm", "--hypothesis", DSCORE / "sys.rttm")
    assert bad.returncode == 2
    assert "missing.rttm" in bad.stderr and "Traceback" not in bad.stderr
