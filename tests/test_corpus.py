"""Real corpora as suite data: each loader on real files (data/real), conversion, and the checks."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.data.corpus import CorpusSpec, corpus_recordings, entries
from bench.data.formats import read_ctm, read_pocketsphinx_json, read_rttm, read_textgrid, read_uem
from bench.errors import ConfigError
from bench.examples import build_examples
from bench.suite import parse_suite
from bench.types import NATIVE, Event

REAL = Path(__file__).resolve().parent.parent / "data" / "real"
AMI = REAL / "ami"
LIBRIVOX = REAL / "librivox"


def ami_spec(split: str = "test", **extra: str) -> CorpusSpec:
    return CorpusSpec("rttm", annotations=str(AMI / f"debug.{split}.rttm"), uem=str(AMI / f"debug.{split}.uem"),
                      audio=str(AMI / "{uri}.flac"), **extra)


# --- the readers on real files --------------------------------------------------------------


def test_ami_rttm_and_uem_keep_non_ascii_speakers() -> None:
    turns = read_rttm(AMI / "debug.train.rttm")
    assert sorted(turns) == [f"trn0{i}" for i in range(10)]
    assert "MÉO069" in {e.label for e in turns["trn00"]}
    first = turns["trn00"][0]
    assert (first.label, first.onset, first.offset) == ("MÉO069", 3.168, 3.968)
    assert read_uem(AMI / "debug.test.uem") == {"tst00": [(0.0, 30.0)], "tst01": [(0.0, 30.0)]}


def test_short_format_textgrid_with_crlf_line_endings() -> None:
    raw = (REAL / "praatio" / "mary.TextGrid").read_bytes()
    assert b"\r\n" in raw and b"item [" not in raw  # really the short format, really CRLF
    words = read_textgrid(REAL / "praatio" / "mary.TextGrid", tier="word")["mary"]
    assert [w.label for w in words] == ["mary", "rolled", "the", "barrel"]
    assert words[0].onset == pytest.approx(0.31542, abs=1e-5) and words[-1].offset == pytest.approx(1.51825, abs=1e-5)
    with pytest.raises(ValueError, match="no tier 'words'.*phone, word, pitch"):
        read_textgrid(REAL / "praatio" / "mary.TextGrid", tier="words")
    with pytest.raises(ValueError, match="point tier"):
        read_textgrid(REAL / "praatio" / "mary.TextGrid", tier="pitch")


def test_pocketsphinx_json_drops_silences_and_variant_marks() -> None:
    for path in sorted(LIBRIVOX.glob("*.json")):
        words = read_pocketsphinx_json(path)[path.stem]
        transcript = path.with_suffix(".txt").read_text().split()
        assert [w.label for w in words] == transcript
        assert all(w.offset > w.onset for w in words)
    words = read_pocketsphinx_json(LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.json")
    first = next(iter(words.values()))[0]
    assert (first.label, first.onset, first.offset) == ("and", 0.2, 0.37)  # "and(2)" after a <sil>


def test_ctm_reader(tmp_path: Path) -> None:
    path = tmp_path / "a.ctm"
    path.write_text(";; comment\nutt1 1 0.50 0.25 hello 0.9\nutt1 1 0.80 0.10 <sil>\nutt1 1 0.95 0.30 world\n")
    assert read_ctm(path) == {"utt1": [Event("hello", 0.5, 0.75), Event("world", 0.95, 1.25)]}
    path.write_text("utt1 1 0.5 hello\n")
    with pytest.raises(ValueError, match="a.ctm:1: CTM record needs 5 fields"):
        read_ctm(path)


# --- corpora as recordings ----------------------------------------------------------------


def test_ami_corpus_native_recordings_carry_turns_and_scored_regions() -> None:
    recordings = corpus_recordings(ami_spec(), NATIVE, 10, seed=0)
    assert [r.id for r in recordings] == ["tst00", "tst01"]
    tst00 = recordings[0]
    assert tst00.audio.sample_rate == 16_000 and tst00.audio.duration == pytest.approx(30.0, abs=1e-3)
    assert tst00.events == sorted(read_rttm(AMI / "debug.test.rttm")["tst00"], key=lambda e: e.onset)
    assert tst00.metadata["uem"] == [[0.0, 30.0]]
    assert "converted_from" not in tst00.metadata


def test_uri_list_names_a_renamed_file_it_is_reported_and_left_out(capsys: pytest.CaptureFixture) -> None:
    # debug.train.lst still says trñ00; the file and its turns were renamed to trn00.
    spec = ami_spec("train", uris=str(AMI / "debug.train.lst"))
    recordings = corpus_recordings(spec, NATIVE, 20, seed=0)
    err = capsys.readouterr().err
    assert "uri 'trñ00' has no annotation" in err and "'trñ00': audio unreadable" in err
    assert [r.id for r in recordings] == [f"trn0{i}" for i in range(1, 10)]


def test_concatenated_corpus_files_shift_turns_and_scored_regions() -> None:
    (recording,) = corpus_recordings(ami_spec("train"), 75.0, 1, seed=0)
    clips = recording.metadata["base_clips"]
    assert len(clips) in (2, 3) and recording.audio.duration > 59
    assert len(recording.metadata["uem"]) == len(clips)
    assert all(0 <= e.onset < e.offset <= recording.audio.duration for e in recording.events)
    # Speakers are per file once files are concatenated (issue 11, item 4): "<uri>/<name>".
    assert "trn00/MÉO069" in recording.metadata["speakers"] or "trn00" not in clips
    assert all("/" in s for s in recording.metadata["speakers"])


def test_textgrid_corpus_converts_48k_audio(tmp_path: Path) -> None:
    spec = CorpusSpec("textgrid", annotations=str(REAL / "praatio" / "*.TextGrid"), tier="word",
                      audio=str(REAL / "praatio" / "{uri}.wav"))
    recordings = corpus_recordings(spec, NATIVE, 5, seed=0)
    assert [r.id for r in recordings] == ["bobby", "mary"]
    assert all(r.metadata["converted_from"] == "48000 Hz, 1 channel(s)" for r in recordings)
    samples, rate = sf.read(recordings[1].audio.path)
    assert rate == 16_000 and len(samples) == pytest.approx(1.869687 * 16_000, abs=2)
    assert [e.label for e in recordings[0].events] == ["BOBBY", "RIPPED", "THE", "LEDGER"]


def write_wav_corpus(folder: Path, words_end: float, audio_seconds: float = 2.0, stereo: bool = False) -> None:
    rng = np.random.default_rng(0)
    samples = (rng.standard_normal((int(audio_seconds * 22_050), 2) if stereo else int(audio_seconds * 22_050))
               * 0.1).astype(np.float32)
    sf.write(folder / "u1.wav", samples, 22_050)
    (folder / "u1.ctm").write_text(f"u1 1 0.2 0.3 hello\nu1 1 0.6 {words_end - 0.6:.2f} world\n"
                                   f"u1 1 {audio_seconds + 1} 0.2 beyond\n")


def test_annotations_outside_the_audio_are_clipped_and_reported(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write_wav_corpus(tmp_path, words_end=2.5, stereo=True)
    spec = CorpusSpec("ctm", annotations=str(tmp_path / "*.ctm"), audio=str(tmp_path / "{uri}.wav"))
    (recording,) = corpus_recordings(spec, NATIVE, 1, seed=0)
    assert recording.events == [Event("hello", 0.2, 0.5), Event("world", 0.6, 2.0)]
    assert "2 annotation(s) outside the audio" in recording.metadata["warnings"][0]
    assert "outside the audio" in capsys.readouterr().err
    assert recording.metadata["converted_from"] == "22050 Hz, 2 channel(s)"


def test_unreadable_audio_is_left_out_and_an_empty_corpus_is_an_error(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "u1.wav").write_bytes(b"RIFF not really a wav")
    (tmp_path / "u1.ctm").write_text("u1 1 0.2 0.3 hello\n")
    spec = CorpusSpec("ctm", annotations=str(tmp_path / "*.ctm"), audio=str(tmp_path / "{uri}.wav"))
    with pytest.raises(ValueError, match="no file of the corpus has readable audio"):
        corpus_recordings(spec, NATIVE, 1, seed=0)
    assert "uri 'u1': audio unreadable" in capsys.readouterr().err


def test_hf_parquet_dataset_decoded_with_soundfile(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    rows = []
    for i, seconds in enumerate([1.0, 1.5]):
        buffer = io.BytesIO()
        tone = np.sin(np.arange(int(seconds * 48_000)) * 0.05).astype(np.float32)
        sf.write(buffer, np.stack([tone, tone], axis=1), 48_000, format="FLAC")
        rows.append({"id": f"spk-{i}", "transcript": "one two",
                     "audio": {"bytes": buffer.getvalue(), "path": f"{i}.flac"},
                     "words": [{"word": "one", "start": 0.1, "end": 0.4}, {"word": "two", "start": 0.5, "end": 0.9}]})
    dataset = datasets.Dataset.from_list(rows).cast_column("audio", datasets.Audio(decode=False))
    dataset.to_parquet(str(tmp_path / "train-00000.parquet"))
    spec = CorpusSpec("hf", path=str(tmp_path))
    recordings = corpus_recordings(spec, NATIVE, 5, seed=0)
    assert [r.id for r in recordings] == ["spk-0", "spk-1"]
    assert recordings[1].audio.duration == pytest.approx(1.5)
    assert recordings[1].metadata["converted_from"] == "48000 Hz, 2 channel(s)"
    assert recordings[0].events == [Event("one", 0.1, 0.4), Event("two", 0.5, 0.9)]
    # The same rows saved with save_to_disk, and a column mapping for another schema.
    dataset.rename_column("words", "alignment").save_to_disk(str(tmp_path / "saved"))
    mapped = CorpusSpec("hf", path=str(tmp_path / "saved"), events_column="alignment")
    assert [e.label for e in entries(mapped)[1].events] == ["one", "two"]
    with pytest.raises(ValueError, match="no column 'words'"):
        entries(CorpusSpec("hf", path=str(tmp_path / "saved")))


# --- suites -------------------------------------------------------------------------------


def suite(tasks: str) -> str:
    return f"name: real\nseed: 0\ndurations: [native]\nexamples: 4\nmethods: [oracle]\ntasks:\n{tasks}"


def test_suite_paths_are_relative_to_the_suite_file(tmp_path: Path) -> None:
    import yaml

    text = suite(f"""  - task: word_all
    name: word_all-librivox
    corpus: {{format: pocketsphinx, annotations: {LIBRIVOX}/*.json, audio: "{LIBRIVOX}/{{uri}}.wav"}}
""")
    spec = parse_suite(yaml.safe_load(text), str(tmp_path / "real.yaml")).tasks[0]
    examples = build_examples(spec, NATIVE, seed=0)
    assert len(examples) == 4 and examples[0].id.startswith("word_all-librivox/sense_and_sensibility")
    assert examples[0].metadata["transcript"] == (LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.txt").read_text().strip()


@pytest.mark.parametrize("task, message", [
    ("  - {task: word_all, corpus: {format: rttm, annotations: a.rttm, audio: '{uri}.wav'}}",
     r"tasks\[0\].corpus: format rttm gives conversation recordings; word_all asks about speech"),
    ("  - {task: word_all, corpus: {format: wav, annotations: a, audio: '{uri}'}}",
     r"tasks\[0\].corpus: format: unknown 'wav'"),
    ("  - {task: word_all, corpus: {format: ctm, annotations: a.ctm, audio: a.wav}}",
     r"tasks\[0\].corpus: audio: 'a.wav' must contain \{uri\}"),
    ("  - {task: word_all, data: {pool_size: 2}}", r"tasks\[0\].durations: 'native' needs a corpus"),
    ("  - {task: word_all, corpus: {format: ctm, annotations: a.ctm, audio: '{uri}', tier: 3}}",
     r"tasks\[0\].corpus.tier: expected a string"),
    ("  - {task: word_all, corpus: {format: ctm, annotations: a, audio: '{uri}'}}\n"
     "  - {task: word_all, corpus: {format: ctm, annotations: b, audio: '{uri}'}}",
     r"tasks\[1\].name: 'word_all' is used twice"),
])
def test_corpus_fields_are_validated_by_name(task: str, message: str) -> None:
    import yaml

    with pytest.raises(ConfigError, match=message):
        parse_suite(yaml.safe_load(suite(task + "\n")), "real.yaml")


def test_missing_annotation_files_stop_the_run_with_one_line(tmp_path: Path) -> None:
    from bench.cli import main

    path = tmp_path / "s.yaml"
    path.write_text(suite("  - {task: word_all, corpus: {format: ctm, annotations: nope/*.ctm, audio: '{uri}.wav'}}\n"))
    assert main(["run", str(path), "--out", str(tmp_path / "run")]) == 2


def test_dcase_tsv_corpus_of_real_clips_gives_scenes_with_a_palette(tmp_path: Path) -> None:
    clips = Path(__file__).resolve().parent.parent / "bench" / "data" / "clips"
    cat, _ = sf.read(clips / "gummy-cat-2.wav", dtype="float32")
    scene = np.zeros(16_000 * 4, dtype=np.float32)
    scene[16_000 : 16_000 + len(cat)] += cat[: 16_000 * 3]
    sf.write(tmp_path / "street 1.wav", scene, 16_000)
    (tmp_path / "ref.tsv").write_text("filename\tonset\toffset\tevent_label\n"
                                      f"street 1.wav\t1.0\t{1 + len(cat) / 16_000:.3f}\tcat\n"
                                      "street 1.wav\t3.5\t3.9\tdog barking\n")
    spec = CorpusSpec("event_tsv", annotations=str(tmp_path / "ref.tsv"), audio=str(tmp_path / "{uri}"))
    (recording,) = corpus_recordings(spec, NATIVE, 1, seed=0)
    assert recording.id == "street 1.wav"
    assert [e.label for e in recording.events] == ["cat", "dog barking"]
    assert recording.metadata["palette"] == ["cat", "dog barking"]


# --- uris that leave the corpus folder (issue 11, item 9) -----------------------------------


def test_a_uri_cannot_read_audio_outside_the_corpus_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    secret = tmp_path / "secret.wav"
    sf.write(secret, np.zeros(1600, dtype=np.float32), 16000)
    (corpus / "good.wav").write_bytes(secret.read_bytes())
    rttm = corpus / "all.rttm"
    rttm.write_text("".join(f"SPEAKER {uri} 1 0.0 0.05 <NA> <NA> A <NA> <NA>\n"
                            for uri in ["good", "../secret", str(tmp_path / "secret"), "sub/../../secret"]))
    spec = CorpusSpec("rttm", annotations=str(rttm), audio=str(corpus / "{uri}.wav"))
    found = entries(spec)
    assert [(e.uri, e.audio) for e in found] == [("good", str(corpus / "good.wav"))]
    warnings = capsys.readouterr().err
    assert warnings.count("names audio outside the corpus folder") == 3 and "left out" in warnings
