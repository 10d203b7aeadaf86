"""Issue 11, items 3 and 4: a corpus turn running past the audio is scored as written within the
UEM (the run agrees with `bench score` on the original RTTM), and concatenating files keeps
their speakers apart unless the corpus declares speaker names global."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.data.corpus import CorpusSpec, corpus_pool, corpus_recordings
from bench.examples import clip_annotations
from bench.runner import WorkItem, score_row
from bench.tasks import get_task
from bench.types import NATIVE, Event, Prediction

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMEBENCH_CACHE", str(tmp_path / "cache"))
    corpus_pool.cache_clear()


def noise(path: Path, seconds: float, seed: int = 0) -> None:
    sf.write(path, (np.random.default_rng(seed).standard_normal(int(seconds * 16_000)) * 0.1).astype(np.float32),
             16_000)


def test_a_turn_past_the_audio_end_scores_as_bench_score_does_on_the_original_rttm(tmp_path: Path) -> None:
    noise(tmp_path / "m1.wav", 10.0)
    # B's turn runs 2 s past the 10 s audio; clipping it would add a boundary (and a collar) at 10 s.
    rttm = tmp_path / "ref.rttm"
    rttm.write_text("SPEAKER m1 1 0.000 4.000 <NA> <NA> A <NA> <NA>\n"
                    "SPEAKER m1 1 4.500 7.500 <NA> <NA> B <NA> <NA>\n")
    spec = CorpusSpec("rttm", annotations=str(rttm), audio=str(tmp_path / "{uri}.wav"))
    (recording,) = corpus_recordings(spec, NATIVE, 1, seed=0)
    assert "uem" not in recording.metadata  # the whole audio is scored, as for any file without a UEM
    task = get_task("diarization")
    example = task.make_example(recording, None)
    clip_annotations(example)
    example.id = "m1"
    hypothesis = [Event("x", 0.0, 4.2), Event("y", 4.2, 9.0)]
    row = score_row("m", WorkItem(example, NATIVE, "diarization"), Prediction(events=hypothesis), {})

    hyp = tmp_path / "hyp.rttm"
    hyp.write_text("SPEAKER m1 1 0.000 4.200 <NA> <NA> x <NA> <NA>\nSPEAKER m1 1 4.200 4.800 <NA> <NA> y <NA> <NA>\n")
    uem = tmp_path / "audio.uem"
    uem.write_text("m1 1 0.000 10.000\n")
    for collar, prefix, extra in ((0.25, "nist/", ["--skip-overlap"]), (0.0, "", [])):
        out = subprocess.run([sys.executable, "-m", "bench", "score", "--task", "diarization", "--reference", str(rttm),
                              "--hypothesis", str(hyp), "--uem", str(uem), "--collar", str(collar), "--json", *extra],
                             cwd=ROOT, capture_output=True, text=True, check=True)
        peer = json.loads(out.stdout)
        assert row["metrics"][f"{prefix}der"] == pytest.approx(peer["der"], abs=1e-9)
        assert row["metrics"][f"{prefix}jer"] == pytest.approx(peer["jer"], abs=1e-9)
    # The clipped reference (shown to methods and plots) still ends at the audio's end.
    assert max(e.offset for e in example.reference) == pytest.approx(10.0)


def two_meetings(folder: Path) -> Path:
    for i, uri in enumerate(("m1", "m2")):
        noise(folder / f"{uri}.wav", 4.0, seed=i)
    rttm = folder / "all.rttm"
    rttm.write_text("".join(f"SPEAKER {uri} 1 {on:.3f} 1.000 <NA> <NA> {spk} <NA> <NA>\n"
                            for uri in ("m1", "m2") for on, spk in ((0.5, "speakerA"), (2.0, "speakerB"))))
    return rttm


def test_concatenated_files_keep_their_speakers_apart(tmp_path: Path) -> None:
    spec = CorpusSpec("rttm", annotations=str(two_meetings(tmp_path)), audio=str(tmp_path / "{uri}.wav"))
    (recording,) = corpus_recordings(spec, 9.0, 1, seed=0)
    assert len(recording.metadata["base_clips"]) == 2
    labels = {e.label for e in recording.events}
    assert labels == {"m1/speakerA", "m1/speakerB", "m2/speakerA", "m2/speakerB"}
    assert recording.metadata["speakers"] == sorted(labels)
    example = get_task("diarization").make_example(recording, None)
    assert example.query.startswith("There are 4 speakers.")
    # Native files keep their own names.
    assert {e.label for r in corpus_recordings(spec, NATIVE, 2, seed=0) for e in r.events} == {"speakerA", "speakerB"}


def test_a_corpus_may_declare_its_speaker_names_global(tmp_path: Path) -> None:
    spec = CorpusSpec("rttm", annotations=str(two_meetings(tmp_path)), audio=str(tmp_path / "{uri}.wav"),
                      speakers="global")
    (recording,) = corpus_recordings(spec, 9.0, 1, seed=0)
    assert {e.label for e in recording.events} == {"speakerA", "speakerB"}
    assert get_task("diarization").make_example(recording, None).query.startswith("There are 2 speakers.")
    with pytest.raises(ValueError, match="speakers: expected file or global"):
        CorpusSpec("rttm", annotations="a", audio="{uri}.wav", speakers="world")
