"""Generated data: exact annotations, determinism, caching, overlap, SNR and stretching."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from bench.audio import load_audio
from bench.data import sources
from bench.data.conversations import ConversationParams
from bench.data.scenes import SceneParams, clip_library
from bench.data.speech import SpeechParams
from bench.data.stretch import draw_clips, stretch


def test_speech_is_deterministic_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    params = SpeechParams(pool_size=3)
    first = sources.recordings("speech", params, 8.0, 2, seed=11)
    from dataclasses import replace

    broken = replace(sources.SOURCES["speech"], generate=None)  # any regeneration would now fail
    monkeypatch.setitem(sources.SOURCES, "speech", broken)
    monkeypatch.setattr(sources, "stretch", None)
    again = sources.recordings("speech", params, 8.0, 2, seed=11)
    assert [r.to_dict() for r in first] == [r.to_dict() for r in again]
    assert Path(first[0].audio.path).exists()
    assert (Path(first[0].audio.path).parent / "recordings.jsonl").exists()


def test_other_seed_gives_other_audio() -> None:
    a = sources.base_pool("speech", SpeechParams(pool_size=2), seed=1)
    b = sources.base_pool("speech", SpeechParams(pool_size=2), seed=2)
    assert [e.label for e in a[0].events] != [e.label for e in b[0].events]


def test_stretched_annotations_point_at_the_same_audio(tmp_path: Path) -> None:
    pool = sources.base_pool("speech", SpeechParams(pool_size=3), seed=5)
    long = stretch(pool, 30.0, random.Random(0), (0.2, 0.6), tmp_path / "long.wav", "long")
    plan = draw_clips(pool, 30.0, random.Random(0), (0.2, 0.6))
    assert [clip.id for clip, _ in plan] == long.metadata["base_clips"]
    assert abs(long.audio.duration - 30.0) < max(r.audio.duration for r in pool)
    assert long.metadata["stretch_factor"] > 1
    mix = load_audio(long.audio.path).samples
    expected = []
    for clip, start in plan:
        samples = load_audio(clip.audio.path).samples
        i = int(round(start * 16000))
        assert np.allclose(mix[i : i + len(samples)], samples, atol=2e-4)
        expected += [(e.label, e.onset + i / 16000) for e in clip.events]
    assert [e.label for e in long.events] == [label for label, _ in expected]
    assert np.allclose([e.onset for e in long.events], [t for _, t in expected], atol=2e-4)


def test_ten_minute_stretch(tmp_path: Path) -> None:
    recordings = sources.recordings("scene", SceneParams(pool_size=4), 600.0, 1, seed=0)
    long = recordings[0]
    assert 590 <= long.audio.duration <= 610
    assert all(0 <= e.onset < e.offset <= long.audio.duration for e in long.events)


def test_conversation_overlap_is_configurable() -> None:
    def overlaps(params: ConversationParams) -> int:
        count = 0
        for rec in sources.base_pool("conversation", params, seed=0):
            turns = sorted(rec.events, key=lambda e: e.onset)
            count += sum(b.onset < a.offset for a, b in zip(turns, turns[1:]))
        return count

    assert overlaps(ConversationParams(pool_size=3, overlap=0.0)) == 0
    assert overlaps(ConversationParams(pool_size=3, overlap=1.0)) >= 6


def test_conversation_turns_match_the_audio() -> None:
    rec = sources.base_pool("conversation", ConversationParams(pool_size=2, overlap=0.0), seed=3)[0]
    samples = load_audio(rec.audio.path).samples
    assert 2 <= len(rec.metadata["speakers"]) <= 4
    assert {e.label for e in rec.events} == set(rec.metadata["speakers"])
    inside = np.zeros(len(samples), dtype=bool)
    for turn in rec.events:
        inside[int(turn.onset * 16000) : int(turn.offset * 16000)] = True
    assert np.abs(samples[inside]).mean() > 20 * np.abs(samples[~inside]).mean()


def test_scene_events_and_snr() -> None:
    params = SceneParams(pool_size=2, snr_db=10.0)
    rec = sources.base_pool("scene", params, seed=4)[0]
    samples = load_audio(rec.audio.path).samples
    assert rec.events and all(e.label in params.classes for e in rec.events)
    assert rec.metadata["palette"] == list(params.classes)
    quiet = np.ones(len(samples), dtype=bool)
    for e in rec.events:
        quiet[int(e.onset * 16000) : int(e.offset * 16000)] = False
    noise_db = 10 * np.log10(np.mean(samples[quiet] ** 2))
    assert abs(noise_db - params.noise_level_db) < 1.5
    assert len(clip_library()) >= 10


@pytest.mark.parametrize("source, params, reader", [
    ("speech", SpeechParams(pool_size=2), "read_word_json"),
    ("conversation", ConversationParams(pool_size=2), "read_rttm"),
    ("scene", SceneParams(pool_size=2), "read_event_tsv"),
])
def test_reference_files_beside_the_audio(source: str, params: object, reader: str) -> None:
    from bench.data import formats

    rec = sources.recordings(source, params, 12.0, 1, seed=9)[0]
    wav = Path(rec.audio.path)
    path = wav.with_suffix(sources.SOURCES[source].reference_suffix)
    events = getattr(formats, reader)(path)[wav.stem]
    assert [(e.label, e.onset) for e in events] == [(e.label, e.onset) for e in rec.events]


def test_annotations_outside_the_audio_are_reported_and_clipped(capsys: pytest.CaptureFixture) -> None:
    from bench.examples import clip_annotations
    from bench.types import AudioRef, Event, Example

    example = Example("x", "event_detection", AudioRef("a.wav", 16000, 10.0), "q",
                      [Event("cat", 1.0, 2.0), Event("cat", 9.5, 11.0), Event("dog", 12.0, 13.0)], 3)
    clip_annotations(example)
    assert example.reference == [Event("cat", 1.0, 2.0), Event("cat", 9.5, 10.0)]
    assert "2 reference event(s) outside the audio" in example.metadata["warnings"][0]
    assert "outside the audio" in capsys.readouterr().err
