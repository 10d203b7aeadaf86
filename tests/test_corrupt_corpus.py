"""Issue 11: a corpus of corrupt inputs. Malformed audio, annotation and suite files, generated in
a temporary folder, each give a recorded failure (the file left out with a warning naming it, or
a row with a failure kind) or a one-line error; every good file of a corpus mixing good and bad
files is still scored; and nothing is written outside the run and cache folders.

The outcome counts are printed (pytest -s) and written to $FRAMEBENCH_CORRUPT_COUNTS if set.
"""
from __future__ import annotations

import json
import os
import re
import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.cli import main
from bench.data.corpus import corpus_pool

RATE = 16_000
GOOD_TURNS = "SPEAKER {uri} 1 0.200 0.800 <NA> <NA> A <NA> <NA>\nSPEAKER {uri} 1 1.200 0.600 <NA> <NA> B <NA> <NA>\n"


def noise(seconds: float, channels: int = 1, rate: int = RATE, seed: int = 0) -> np.ndarray:
    shape = (int(seconds * rate), channels) if channels > 1 else (int(seconds * rate),)
    return (np.random.default_rng(seed).standard_normal(shape) * 0.1).astype(np.float32)


def sparse_silence_wav(path: Path, seconds: float) -> None:
    """16-bit mono PCM of digital silence, written as a header and a hole (no disk used)."""
    data = int(seconds * RATE) * 2
    header = (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, RATE,
              RATE * 2, 2, 16) + b"data" + struct.pack("<I", data))
    with path.open("wb") as f:
        f.write(header)
        f.truncate(len(header) + data)


def good_wav(path: Path, seed: int = 0) -> None:
    sf.write(path, noise(2.0, seed=seed), RATE)


# name -> (writer, what the harness may do with it)
SCORED, LEFT_OUT = "scored", "left out"
SKIPPED = "skipped: no annotation inside its audio"


def bad_audio(folder: Path) -> dict[str, set[str]]:
    """Malformed or unusual audio files; each uri's acceptable outcomes."""
    good_wav(folder / "template.wav")
    template = (folder / "template.wav").read_bytes()
    writers = {
        "empty": lambda p: p.write_bytes(b""),
        "truncated_header": lambda p: p.write_bytes(template[:20]),
        "header_only": lambda p: p.write_bytes(template[:44]),
        "truncated_data": lambda p: p.write_bytes(template[: 44 + 1000]),
        "text_named_wav": lambda p: p.write_text("this is not audio\n" * 20),
        "random_bytes": lambda p: p.write_bytes(np.random.default_rng(1).bytes(4096)),
        "riff_garbage": lambda p: p.write_bytes(b"RIFF\xff\xff\xff\xffWAVEfmt " + b"\xff" * 64),
        "zero_samples": lambda p: sf.write(p, np.zeros(0, dtype=np.float32), RATE),
        "one_sample": lambda p: sf.write(p, np.array([0.1], dtype=np.float32), RATE),
        "nan_float": lambda p: sf.write(p, np.where(np.arange(RATE * 2) % 100 == 0, np.nan, noise(2.0)).astype(np.float32),
                                        RATE, subtype="FLOAT"),
        "inf_float": lambda p: sf.write(p, np.where(np.arange(RATE * 2) == 5, np.inf, noise(2.0)).astype(np.float32),
                                        RATE, subtype="FLOAT"),
        "all_nan": lambda p: sf.write(p, np.full(RATE, np.nan, dtype=np.float32), RATE, subtype="FLOAT"),
        "pcm_u8": lambda p: sf.write(p, noise(2.0), RATE, subtype="PCM_U8"),
        "pcm_24": lambda p: sf.write(p, noise(2.0), RATE, subtype="PCM_24"),
        "rate_96k": lambda p: sf.write(p, noise(2.0, rate=96_000), 96_000),
        "rate_8k": lambda p: sf.write(p, noise(2.0, rate=8_000), 8_000),
        "six_channels": lambda p: sf.write(p, noise(2.0, channels=6), RATE),
        "loud_clipping": lambda p: sf.write(p, noise(2.0) * 1000, RATE, subtype="FLOAT"),
        "flac_named_wav": lambda p: sf.write(p, noise(2.0), RATE, format="FLAC"),
        "silence_2h": lambda p: sparse_silence_wav(p, 2 * 3600.0),
    }
    outcomes = {"empty": {LEFT_OUT}, "truncated_header": {LEFT_OUT}, "header_only": {LEFT_OUT},
                "text_named_wav": {LEFT_OUT}, "random_bytes": {LEFT_OUT}, "riff_garbage": {LEFT_OUT},
                "zero_samples": {LEFT_OUT}, "nan_float": {LEFT_OUT}, "inf_float": {LEFT_OUT}, "all_nan": {LEFT_OUT}}
    for name, write in writers.items():
        write(folder / f"{name}.wav")
    (folder / "template.wav").unlink()
    return {name: outcomes.get(name, {SCORED, LEFT_OUT, SKIPPED}) for name in writers}


def tree(root: Path, skip: set[Path]) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if Path(dirpath, d) not in skip]
        for name in filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def run_cli(argv: list[str], capfd: pytest.CaptureFixture) -> tuple[int, str]:
    corpus_pool.cache_clear()
    rc = main(argv)
    return rc, capfd.readouterr().err


def said_lines(err: str, prefix: str) -> list[str]:
    """Lines of stderr from `prefix` on (a progress bar, redrawn with carriage returns, may
    share a line with what is said after it)."""
    return [line[line.index(prefix):] for line in re.split(r"[\r\n]+", err) if prefix in line]


def one_line_error(rc: int, err: str) -> str | None:
    """The error line if the run ended with exactly one, None otherwise."""
    errors = said_lines(err, "error:")
    if rc == 2 and len(errors) == 1 and "Traceback" not in err:
        return errors[0]
    return None


COUNTS: Counter = Counter()
OUTCOMES: dict[str, str] = {}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FRAMEBENCH_CACHE", str(tmp_path / "cache"))
    (tmp_path / "runs").mkdir()
    return tmp_path


def test_a_corpus_mixing_good_and_corrupt_audio_scores_every_good_file(world: Path,
                                                                        capfd: pytest.CaptureFixture) -> None:
    corpus = world / "corpus"
    corpus.mkdir()
    (world / "outside.wav").write_bytes(b"")
    good_wav(world / "outside.wav")
    expected = bad_audio(corpus)
    good = [f"good{i}" for i in range(3)]
    for i, uri in enumerate(good):
        good_wav(corpus / f"{uri}.wav", seed=i)
    uris = [*good, *expected, "missing_file", "../outside", str(world / "outside"), "sub/../../outside"]
    expected.update({"missing_file": {LEFT_OUT}, "../outside": {LEFT_OUT}, str(world / "outside"): {LEFT_OUT},
                     "sub/../../outside": {LEFT_OUT}})
    (corpus / "all.rttm").write_text("".join(GOOD_TURNS.format(uri=uri) for uri in uris))
    suite = world / "mixed.yaml"
    suite.write_text("name: mixed\nseed: 0\nmethods: [oracle, uniform]\ntasks:\n"
                     "  - task: diarization\n    durations: [native]\n    examples: 100\n"
                     "    corpus: {format: rttm, annotations: corpus/all.rttm, audio: 'corpus/{uri}.wav'}\n")
    before = tree(world, {world / "runs", world / "cache"})
    rc, err = run_cli(["run", str(suite), "--out", str(world / "runs" / "mixed")], capfd)
    assert rc == 0, err
    assert "Traceback" not in err
    assert tree(world, {world / "runs", world / "cache"}) == before  # nothing written beside the run and cache

    rows = [json.loads(line) for line in (world / "runs" / "mixed" / "results.jsonl").read_text().splitlines()]
    by_uri: dict[str, list[dict]] = {}
    for row in rows:
        by_uri.setdefault(row["example"]["metadata"]["uri"], []).append(row)
    for uri in good:  # every good file is scored, perfectly by the oracle
        assert sorted(r["method"] for r in by_uri[uri]) == ["oracle", "uniform"]
        oracle = next(r for r in by_uri[uri] if r["method"] == "oracle")
        assert oracle["prediction"]["failure"] is None and oracle["metrics"]["der"] == 0.0
    warnings = said_lines(err, "warning:")
    for uri, allowed in expected.items():
        if uri in by_uri:
            kinds = {(r["prediction"]["failure"] or {}).get("kind") for r in by_uri[uri]}
            outcome = SCORED if kinds == {None} else f"failure:{sorted(k for k in kinds if k)}"
            assert all(np.isfinite(v) for r in by_uri[uri] for v in r["metrics"].values() if isinstance(v, float)), uri
        else:
            said = [line for line in warnings if repr(uri) in line and "left out" in line]
            skipped = [line for line in warnings if f"recording {uri} supports no question" in line]
            assert said or skipped, (uri, warnings)
            outcome = LEFT_OUT if said else SKIPPED
        assert outcome in allowed, (uri, outcome)
        COUNTS[f"audio {outcome}"] += 1
        OUTCOMES[uri] = outcome
    COUNTS["audio files tried"] += len(expected)
    assert len(expected) >= 24


GOOD_TEXTGRID = ('File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = 2\ntiers? <exists>\nsize = 1\n'
                 'item []:\n    item [1]:\n        class = "IntervalTier"\n        name = "words"\n        xmin = 0\n'
                 '        xmax = 2\n        intervals: size = 2\n        intervals [1]:\n            xmin = 0\n'
                 '            xmax = 1\n            text = "hello"\n        intervals [2]:\n            xmin = 1\n'
                 '            xmax = 2\n            text = "world"\n')

# name -> (format, annotation file name, content, extra corpus fields); each must be a one-line
# error naming the annotation file, or a corpus whose good file is still scored.
ANNOTATIONS: dict[str, tuple[str, str, bytes, str]] = {
    "rttm_missing_fields": ("rttm", "a.rttm", b"SPEAKER good0 1 0.5\n", ""),
    "rttm_negative_duration": ("rttm", "a.rttm", b"SPEAKER good0 1 0.5 -1.0 <NA> <NA> A <NA> <NA>\n", ""),
    "rttm_nan_onset": ("rttm", "a.rttm", b"SPEAKER good0 1 nan 1.0 <NA> <NA> A <NA> <NA>\n", ""),
    "rttm_inf_duration": ("rttm", "a.rttm", b"SPEAKER good0 1 0.5 inf <NA> <NA> A <NA> <NA>\n", ""),
    "rttm_word_onset": ("rttm", "a.rttm", b"SPEAKER good0 1 soon 1.0 <NA> <NA> A <NA> <NA>\n", ""),
    "rttm_non_utf8": ("rttm", "a.rttm", b"SPEAKER good0 1 0.5 1.0 <NA> <NA> \xff\xfeA <NA> <NA>\n", ""),
    "rttm_unknown_type": ("rttm", "a.rttm", b"SPEECH good0 1 0.5 1.0 <NA> <NA> A <NA> <NA>\n", ""),
    "rttm_empty": ("rttm", "a.rttm", b"", ""),
    "rttm_binary": ("rttm", "a.rttm", b"\x00\x01\x02\x89PNG\r\n", ""),
    "rttm_overflow": ("rttm", "a.rttm", b"SPEAKER good0 1 1e308 1e308 <NA> <NA> A <NA> <NA>\n", ""),
    "rttm_huge_onset": ("rttm", "a.rttm", b"SPEAKER good0 1 0.2 0.8 <NA> <NA> A <NA> <NA>\n"
                        b"SPEAKER good0 1 1e12 1.0 <NA> <NA> B <NA> <NA>\n", ""),
    "rttm_past_end": ("rttm", "a.rttm", b"SPEAKER good0 1 0.2 5.0 <NA> <NA> A <NA> <NA>\n", ""),
    "uem_overlapping": ("rttm", "a.rttm", GOOD_TURNS.format(uri="good0").encode(), "uem.uem:good0 1 0.0 1.5\ngood0 1 1.0 2.0\n"),
    "uem_reversed": ("rttm", "a.rttm", GOOD_TURNS.format(uri="good0").encode(), "uem.uem:good0 1 1.5 0.5\n"),
    "uem_short_line": ("rttm", "a.rttm", GOOD_TURNS.format(uri="good0").encode(), "uem.uem:good0 1 0.5\n"),
    "uem_nan": ("rttm", "a.rttm", GOOD_TURNS.format(uri="good0").encode(), "uem.uem:good0 1 nan 2.0\n"),
    "textgrid_truncated_header": ("textgrid", "good0.TextGrid", GOOD_TEXTGRID[:60].encode(), ""),
    "textgrid_truncated_tier": ("textgrid", "good0.TextGrid", GOOD_TEXTGRID[:300].encode(), ""),
    "textgrid_truncated_interval": ("textgrid", "good0.TextGrid", GOOD_TEXTGRID[:-40].encode(), ""),
    "textgrid_no_final_newline": ("textgrid", "good0.TextGrid", GOOD_TEXTGRID.rstrip("\n").encode(), ""),
    "textgrid_binary": ("textgrid", "good0.TextGrid", b"\xff\xfe\x00\x00garbage\x00", ""),
    "textgrid_empty": ("textgrid", "good0.TextGrid", b"", ""),
    "tsv_onset_after_offset": ("event_tsv", "a.tsv", b"filename\tonset\toffset\tevent_label\ngood0.wav\t1.5\t0.5\tdog\n", ""),
    "tsv_no_label": ("event_tsv", "a.tsv", b"filename\tonset\toffset\tevent_label\ngood0.wav\t0.5\t1.5\t\n", ""),
    "tsv_bad_header": ("event_tsv", "a.tsv", b"filename\tonset\toffset\tlabel\ngood0.wav\t0.5\t1.5\tdog\n", ""),
    "tsv_nan": ("event_tsv", "a.tsv", b"good0.wav\tnan\t1.5\tdog\n", ""),
    "tsv_too_many_fields": ("event_tsv", "a.tsv", b"good0.wav\ta\tb\t0.5\t1.5\tdog\n", ""),
    "ctm_negative": ("ctm", "a.ctm", b"good0 1 0.5 -0.3 hello\n", ""),
    "ctm_short": ("ctm", "a.ctm", b"good0 1 0.5\n", ""),
    "word_json_invalid": ("word_json", "a.json", b'{"good0": [{"word": "hi", "start": ', ""),
    "word_json_deep": ("word_json", "a.json", b"[" * 5000 + b"]" * 5000, ""),
    "word_json_wrong_type": ("word_json", "a.json", b'{"good0": [{"word": "hi", "start": "soon"}]}', ""),
    "word_json_huge_number": ("word_json", "a.json", b'{"good0": [{"word": "hi", "start": 1' + b"0" * 400 + b"}]}", ""),
    "pocketsphinx_nan": ("pocketsphinx", "good0.json", b'{"b": 0.0, "d": 2.0, "t": "hi", "w": [{"t": "hi", "b": NaN, "d": 0.5}]}', ""),
}
TASK_OF = {"rttm": "diarization", "textgrid": "word_all", "event_tsv": "event_detection", "ctm": "word_all",
           "word_json": "word_all", "pocketsphinx": "word_all"}


@pytest.mark.parametrize("case", sorted(ANNOTATIONS))
def test_a_malformed_annotation_file_is_a_one_line_error_or_still_scored(world: Path, capfd: pytest.CaptureFixture,
                                                                          case: str) -> None:
    fmt, name, content, extra = ANNOTATIONS[case]
    corpus = world / "corpus"
    corpus.mkdir()
    good_wav(corpus / "good0.wav")
    (corpus / name).write_bytes(content)
    audio = "corpus/{uri}" if fmt == "event_tsv" else "corpus/{uri}.wav"
    fields = f"format: {fmt}, annotations: corpus/{name}, audio: '{audio}'"
    if extra:
        uem_name, uem_text = extra.split(":", 1)
        (corpus / uem_name).write_text(uem_text)
        fields += f", uem: corpus/{uem_name}"
    suite = world / "s.yaml"
    suite.write_text(f"name: s\nseed: 0\nmethods: [oracle, uniform]\ntasks:\n  - task: {TASK_OF[fmt]}\n"
                     f"    durations: [native]\n    examples: 5\n    corpus: {{{fields}}}\n")
    before = tree(world, {world / "runs", world / "cache"})
    rc, err = run_cli(["run", str(suite), "--out", str(world / "runs" / "s")], capfd)
    assert tree(world, {world / "runs", world / "cache"}) == before
    assert "Traceback" not in err, err
    line = one_line_error(rc, err)
    if line is not None:
        assert str(corpus) in line, line  # names the file
        if case == "rttm_empty":
            assert "no annotated file" in line
        COUNTS["annotation one-line error"] += 1
        OUTCOMES[case] = line[:160]
    else:
        assert rc == 0, err
        rows = [json.loads(x) for x in (world / "runs" / "s" / "results.jsonl").read_text().splitlines()]
        assert rows and {r["method"] for r in rows} == {"oracle", "uniform"}, err
        assert all(r["prediction"]["failure"] is None for r in rows if r["method"] == "oracle")
        COUNTS["annotation scored (with warnings)" if "warning:" in err else "annotation scored"] += 1
        OUTCOMES[case] = "scored" + (": " + said_lines(err, "warning:")[0][:140] if "warning:" in err else "")
    COUNTS["annotation files tried"] += 1


SUITES: dict[str, bytes] = {
    "empty": b"",
    "comment_only": b"# nothing\n",
    "list": b"- 1\n- 2\n",
    "scalar": b"42\n",
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00",
    "yaml_syntax": b"name: x\ntasks: [word_all\n",
    "tasks_number": b"name: x\ndurations: [5]\ntasks: 3\n",
    "durations_text": b"name: x\ndurations: ten\ntasks: [word_all]\n",
    "durations_negative": b"name: x\ndurations: [-5]\ntasks: [word_all]\n",
    "durations_huge": b"name: x\ndurations: [1e9]\ntasks: [word_all]\n",
    "examples_text": b"name: x\ndurations: [5]\nexamples: many\ntasks: [word_all]\n",
    "unknown_task": b"name: x\ndurations: [5]\ntasks: [nope]\n",
    "unknown_key": b"name: x\ndurations: [5]\ntasks: [word_all]\ncolour: blue\n",
    "unknown_method": b"name: x\ndurations: [5]\nmethods: [nope]\ntasks: [word_all]\n",
    "methods_number": b"name: x\ndurations: [5]\nmethods: 5\ntasks: [word_all]\n",
    "corpus_number": b"name: x\ntasks:\n  - {task: word_all, durations: [native], corpus: 5}\n",
    "corpus_unknown_format": b"name: x\ntasks:\n  - {task: word_all, durations: [native], corpus: {format: mp3}}\n",
    "corpus_missing_files": b"name: x\ntasks:\n  - {task: word_all, durations: [native], "
                            b"corpus: {format: ctm, annotations: nope/*.ctm, audio: '{uri}.wav'}}\n",
    "name_dotdot": b"name: ..\ndurations: [5]\ntasks: [word_all]\n",
    "seed_text": b"name: x\nseed: abc\ndurations: [5]\ntasks: [word_all]\n",
    "alias_bomb": b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                  b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                  b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
    "deep_nesting": b"name: x\nmethod_options: " + b"{a: " * 200 + b"1" + b"}" * 200 + b"\n",
    "non_utf8": b"name: \xff\xfe\ndurations: [5]\ntasks: [word_all]\n",
}


@pytest.mark.parametrize("case", sorted(SUITES))
def test_an_empty_or_mistyped_suite_is_a_one_line_error(world: Path, capfd: pytest.CaptureFixture, case: str) -> None:
    suite = world / f"{case}.yaml"
    suite.write_bytes(SUITES[case])
    before = tree(world, {world / "runs", world / "cache"})
    rc, err = run_cli(["run", str(suite), "--out", str(world / "runs" / "s")], capfd)
    assert tree(world, {world / "runs", world / "cache"}) == before
    assert one_line_error(rc, err) is not None, (rc, err)
    COUNTS["suite one-line error"] += 1
    COUNTS["suite files tried"] += 1


def test_zz_counts() -> None:
    """Runs last in this module: the outcome counts of what ran before it."""
    if not COUNTS:
        pytest.skip("run with the rest of the module")
    total = COUNTS["audio files tried"] + COUNTS["annotation files tried"] + COUNTS["suite files tried"]
    print(f"\ncorrupt corpus: {total} malformed files tried; " + ", ".join(f"{k}: {v}" for k, v in sorted(COUNTS.items())))
    if os.environ.get("FRAMEBENCH_CORRUPT_COUNTS"):
        Path(os.environ["FRAMEBENCH_CORRUPT_COUNTS"]).write_text(
            json.dumps({"total": total, **COUNTS, "outcomes": OUTCOMES}, indent=1))
    if COUNTS["audio files tried"] and COUNTS["annotation files tried"] and COUNTS["suite files tried"]:
        assert total >= 50
