from __future__ import annotations

from pathlib import Path

import pytest

from bench.data.formats import (
    read_durations,
    read_event_tsv,
    read_rttm,
    read_uem,
    read_word_json,
    to_annotation,
    to_timeline,
    write_event_tsv,
    write_rttm,
    write_uem,
    write_word_json,
)
from bench.types import Event

FIXTURES = Path(__file__).parent / "data" / "metrics"


# --- RTTM ---------------------------------------------------------------------------------


def test_rttm_round_trip_with_non_ascii_speakers(tmp_path: Path) -> None:
    turns = {
        "réunion_1": [
            Event("Zoë", 0.0, 1.25),
            Event("说话人2", 0.75, 2.5),  # overlaps the previous turn
            Event("Zoë", 3.001, 4.999),
        ],
        "FILE2": [Event("spk", 10.123, 11.456)],
    }
    path = tmp_path / "out.rttm"
    write_rttm(path, turns)
    assert read_rttm(path) == turns
    assert "说话人2" in path.read_text(encoding="utf-8")


def test_rttm_reads_fixture_with_comments_blank_lines_and_other_records(tmp_path: Path) -> None:
    path = tmp_path / "x.rttm"
    path.write_text(
        "; a comment\n"
        "\n"
        "SPKR-INFO silent 1 <NA> <NA> <NA> unknown A <NA>\n"
        "SPEAKER talk 1 1.5 0.5 <NA> <NA> Ана <NA> <NA>\n"
        "SPEAKER talk 1 0.100 0.800 <NA> <NA> B <NA>\n",  # 9 fields, as in AMI files
        encoding="utf-8",
    )
    assert read_rttm(path) == {"silent": [], "talk": [Event("Ана", 1.5, 2.0), Event("B", 0.1, 0.9)]}


def test_rttm_dscore_fixture() -> None:
    ref = read_rttm(FIXTURES / "dscore" / "ref.rttm")
    assert list(ref) == ["FILE1"]
    assert len(ref["FILE1"]) == 13
    assert ref["FILE1"][1] == Event("speaker2", 0.678, 2.211)


@pytest.mark.parametrize(
    "bad_line, problem",
    [
        ("SPEAKER f 1 abc 0.5 <NA> <NA> A <NA> <NA>", "onset 'abc' is not a number"),
        ("SPEAKER f 1 1.0 -0.5 <NA> <NA> A <NA> <NA>", "negative duration"),
        ("SPEAKER f 1 1.0 0.5", "at least 8 fields"),
        ("f\tstreet\t0.1\t0.2\tcar", "unknown RTTM record type"),
    ],
)
def test_malformed_rttm_names_file_and_line(tmp_path: Path, bad_line: str, problem: str) -> None:
    path = tmp_path / "bad.rttm"
    path.write_text("; header comment\nSPEAKER f 1 0 1 <NA> <NA> A <NA> <NA>\n" + bad_line + "\n")
    with pytest.raises(ValueError) as info:
        read_rttm(path)
    assert str(info.value).startswith(f"{path}:3: ")
    assert problem in str(info.value)


def test_non_utf8_rttm_names_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.rttm"
    path.write_bytes("SPEAKER f 1 0 1 <NA> <NA> A <NA> <NA>\nSPEAKER f 1 0 1 <NA> <NA> Zoë <NA> <NA>\n".encode("latin-1"))
    with pytest.raises(ValueError, match=rf"^{path}:2: not UTF-8 text"):
        read_rttm(path)


def test_write_rttm_rejects_unwritable_labels(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="whitespace"):
        write_rttm(tmp_path / "x.rttm", {"f": [Event("two words", 0.0, 1.0)]})
    with pytest.raises(ValueError, match="no offset"):
        write_rttm(tmp_path / "x.rttm", {"f": [Event("A", 0.0)]})


# --- UEM ----------------------------------------------------------------------------------


def test_uem_fixture_keeps_every_region_and_skips_comments() -> None:
    uem = read_uem(FIXTURES / "dscore" / "test_load.uem")
    assert uem == {"FILE1": [(0.0, 15.0), (25.0, 30.4)], "FILE2": [(4.5, 13.24)]}


def test_uem_round_trip(tmp_path: Path) -> None:
    regions = {"a": [(0.0, 15.0), (25.0, 30.4)], "b": [(4.5, 13.24)]}
    write_uem(tmp_path / "x.uem", regions)
    assert read_uem(tmp_path / "x.uem") == regions


def test_malformed_uem_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.uem"
    path.write_text("a 1 0 10\na 1 20 5\n")
    with pytest.raises(ValueError, match=rf"^{path}:2: offset 5 is before onset 20"):
        read_uem(path)


# --- DCASE event lists ----------------------------------------------------------------------


def test_event_tsv_layouts() -> None:
    sed = FIXTURES / "sed_eval"
    # 5 columns (filename scene onset offset label), labels with spaces
    street = read_event_tsv(sed / "street_fold1_reference.txt")
    assert len(street) == 6 and sum(map(len, street.values())) == 142
    assert street["audio/street/b099.wav"][0] == Event("car", 0.186989, 2.558792)
    assert "people speaking" in {e.label for events in street.values() for e in events}
    # 3 columns, no filename
    assert read_event_tsv(sed / "binary1.txt") == {"": [Event("event1", 1.2, 2.3)]}
    # empty file
    assert read_event_tsv(sed / "binary2.txt") == {}
    # rows with a filename only declare files without events; padded numbers
    detected = read_event_tsv(sed / "binary5_detected.txt")
    assert len(detected) == 6
    assert [len(v) for v in detected.values()] == [1, 0, 1, 0, 0, 0]
    assert detected["mixture_devtest_babycry_000_b8da9d93e4223b58e7b2117a9b4ac436.wav"] == [
        Event("babycry", 0.1, 2.2)
    ]
    # DCASE header
    assert read_event_tsv(FIXTURES / "psds_eval" / "test_1.gt") == {
        "test.wav": [Event("c1", 2.0, 20.0), Event("c2", 12.0, 35.0), Event("c3", 42.0, 47.0)]
    }
    assert read_event_tsv(FIXTURES / "psds_eval" / "empty.gt") == {}


def test_event_tsv_whitespace_separated(tmp_path: Path) -> None:
    path = tmp_path / "ws.txt"
    path.write_text("clip.wav  1.0   2.5 dog\nclip.wav 3 4 cat\n")
    assert read_event_tsv(path) == {"clip.wav": [Event("dog", 1.0, 2.5), Event("cat", 3.0, 4.0)]}


def test_event_tsv_round_trip(tmp_path: Path) -> None:
    events = {
        "a.wav": [Event("people speaking", 0.1, 2.25), Event("café", 1.0, 1.5)],
        "silent.wav": [],
        "": [Event("dog", 3.0, 4.0)],
    }
    path = tmp_path / "events.tsv"
    write_event_tsv(path, events)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "filename\tonset\toffset\tevent_label"
    assert read_event_tsv(path) == events


@pytest.mark.parametrize(
    "bad_line, problem",
    [
        ("a.wav\t1.0", "expected 3, 4 or 5 fields"),
        ("a.wav\t2.0\t1.0\tdog", "offset 1.0 is before onset 2.0"),
        ("a.wav\tsoon\t1.0\tdog", "onset 'soon' is not a number"),
    ],
)
def test_malformed_event_tsv_names_line(tmp_path: Path, bad_line: str, problem: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("a.wav\t0.0\t1.0\tdog\n\n" + bad_line + "\n")
    with pytest.raises(ValueError) as info:
        read_event_tsv(path)
    assert str(info.value).startswith(f"{path}:3: ")
    assert problem in str(info.value)


def test_read_durations() -> None:
    durations = read_durations(FIXTURES / "psds_eval" / "test.metadata")
    assert durations["test.wav"] == 50.0 and durations["test4.wav"] == 120.0 and len(durations) == 5


# --- word JSON ----------------------------------------------------------------------------


def test_word_json_round_trip(tmp_path: Path) -> None:
    words = {"utt1": [Event("the", 0.12, 0.3), Event("naïve", 0.31, 0.9)], "utt2": [Event("cat", 1.5)]}
    path = tmp_path / "words.json"
    write_word_json(path, words)
    assert read_word_json(path) == words


def test_word_json_plain_list(tmp_path: Path) -> None:
    path = tmp_path / "words.json"
    path.write_text('[{"word": "cat", "start": 1.23, "end": 1.5}, {"word": "sat", "start": 2}]')
    assert read_word_json(path) == {"": [Event("cat", 1.23, 1.5), Event("sat", 2.0)]}


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"u": [{"word": "a"}]}', "word #0: expected an object with 'word' and 'start'"),
        ('{"u": [{"word": "a", "start": 1}, {"word": "b", "start": "soon"}]}',
         "word #1: 'start'/'end' must be numbers"),
        ('{"u": [{"word": "a", "start": NaN}]}', "must be finite"),
        ('{"u": 3}', "expected a list of words"),
        ('{"u": [\n', ":2: invalid JSON"),
    ],
)
def test_malformed_word_json(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "words.json"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        read_word_json(path)
    assert str(info.value).startswith(str(path))
    assert problem in str(info.value)


# --- pyannote conversions -----------------------------------------------------------------


def test_to_annotation_keeps_overlapping_turns_of_one_speaker() -> None:
    annotation = to_annotation([Event("A", 0.0, 2.0), Event("A", 1.0, 3.0), Event("B", 2.5, 4.0)], "f")
    assert annotation.uri == "f"
    assert len(list(annotation.itertracks())) == 3
    assert sorted(annotation.labels()) == ["A", "B"]
    assert annotation.label_timeline("A").support().duration() == pytest.approx(3.0)
    with pytest.raises(ValueError, match="no offset"):
        to_annotation([Event("A", 1.0)], "f")


def test_to_timeline() -> None:
    timeline = to_timeline([(0.0, 15.0), (25.0, 30.4)], "FILE1")
    assert timeline.uri == "FILE1"
    assert timeline.duration() == pytest.approx(20.4)


# --- TextGrid (issue 11, item 1) -----------------------------------------------------------

_SHORT_TEXTGRID = '''File type = "ooTextFile"
Object class = "TextGrid"

0
2
<exists>
1
"IntervalTier"
"words"
0
2
3
0
0.5
"hello"
0.5
1.0
""
1.0
2
"world"'''

_LONG_TEXTGRID = '''File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 2
tiers? <exists>
size = 1
item []:
    item [1]:
        class = "IntervalTier"
        name = "words"
        xmin = 0
        xmax = 2
        intervals: size = 2
        intervals [1]:
            xmin = 0
            xmax = 0.5
            text = "hello"
        intervals [2]:
            xmin = 1.0
            xmax = 2
            text = "world"
'''


@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_short_textgrid_keeps_its_last_interval_without_a_final_newline(tmp_path: Path, ending: str) -> None:
    from bench.data.formats import read_textgrid

    path = tmp_path / "g.TextGrid"
    path.write_bytes((_SHORT_TEXTGRID.replace("\n", "\r\n" if ending == "\r\n" else "\n") + ending).encode())
    assert read_textgrid(path) == {"g": [Event("hello", 0.0, 0.5), Event("world", 1.0, 2.0)]}


def test_long_textgrid_is_read(tmp_path: Path) -> None:
    from bench.data.formats import read_textgrid

    path = tmp_path / "long.TextGrid"
    path.write_text(_LONG_TEXTGRID.rstrip("\n"))  # no final newline either
    assert read_textgrid(path) == {"long": [Event("hello", 0.0, 0.5), Event("world", 1.0, 2.0)]}


@pytest.mark.parametrize("text", [
    _SHORT_TEXTGRID.replace("\n2\n3\n0\n", "\n2\n4\n0\n", 1),  # declares 4 intervals, holds 3
    _SHORT_TEXTGRID.rsplit("\n", 3)[0],  # truncated inside the last interval
    _LONG_TEXTGRID.replace("intervals: size = 2", "intervals: size = 3"),
    _LONG_TEXTGRID.rsplit("        intervals [2]:", 1)[0],  # truncated: one of two intervals left
])
def test_textgrid_whose_tiers_disagree_with_their_declared_size_is_refused_with_its_path(
        tmp_path: Path, text: str) -> None:
    from bench.data.formats import read_textgrid

    path = tmp_path / "bad.TextGrid"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"bad\.TextGrid.*(declares|tier)") as err:
        read_textgrid(path)
    assert "\n" not in str(err.value)


# --- found by tests/test_fuzz.py (issue 11) -----------------------------------------------


@pytest.mark.parametrize("reader,content,problem", [
    ("read_rttm", b"SPEAKER f1 1 1e308 1e308 <NA> <NA> spkA <NA> <NA>\n", ":1: onset 1e308 + duration 1e308 is not finite"),
    ("read_ctm", b"u1 1 1e308 1e308 cat\n", ":1: onset 1e308 + duration 1e308 is not finite"),
    ("read_word_json", b'{"u": [{"word": "a", "start": ' + b"9" * 400 + b"}]}", ": uri 'u', word #0: 'start'/'end' must be numbers"),
    ("read_word_json", b"[" * 100_000, ": invalid JSON: nested too deep"),
    ("read_pocketsphinx_json", b'{"w": [{"b": NaN, "d": 0.1, "t": "a"}]}\n', ":1: word 'a': begin nan"),
    ("read_pocketsphinx_json", b'{"w": [{"b": 1e308, "d": 1e308, "t": "a"}]}\n', ":1: word 'a': begin 1e+308"),
    ("read_pocketsphinx_json", b'{"w": [{"b": 1, "d": -0.5, "t": "a"}]}\n', ":1: word 'a'"),
    ("read_pocketsphinx_json", b'{"w": [{"b": ' + b"9" * 400 + b', "d": 1, "t": "a"}]}\n', ":1: expected an utterance"),
    ("read_pocketsphinx_json", b"[" * 100_000 + b"\n", ":1: invalid JSON: nested too deep"),
])
def test_readers_refuse_times_that_are_not_finite_with_one_line(tmp_path: Path, reader: str, content: bytes,
                                                               problem: str) -> None:
    from bench.data import formats

    path = tmp_path / "f.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError) as err:
        getattr(formats, reader)(path)
    assert str(err.value).startswith(str(path) + problem) and "\n" not in str(err.value), str(err.value)
