"""Tests for the eSpeak binding and the word list: the ground truth of every speech task."""
from __future__ import annotations

import random
import threading

import numpy as np
import pytest

from bench.data.espeak import (
    SILENCE_DBFS,
    SPEAKER_VOICES,
    Speech,
    WordTiming,
    list_variants,
    list_voices,
    synthesize,
)
from bench.data.wordlist import BAD_PAIRS, STOPWORDS, WORDS, make_sentence

SENTENCE = "the quick brown fox jumps over the lazy dog"


@pytest.fixture(scope="module")
def speech() -> Speech:
    return synthesize(SENTENCE)


def _energy(x: np.ndarray) -> float:
    return float(np.mean(np.square(x, dtype=np.float64))) if len(x) else 0.0


def _check_timings(s: Speech, text: str) -> None:
    assert [w.word for w in s.words] == text.split()
    assert all(isinstance(w, WordTiming) for w in s.words)
    duration = len(s.samples) / s.sample_rate
    for w in s.words:
        assert 0.0 <= w.onset < w.offset <= duration + 1e-6, w
    for a, b in zip(s.words, s.words[1:]):
        assert a.onset < b.onset, (a, b)
        assert a.offset <= b.onset + 1e-6, (a, b)


def test_word_count_order_and_bounds(speech: Speech) -> None:
    assert len(speech.words) == len(SENTENCE.split())
    _check_timings(speech, SENTENCE)


def test_audio_format(speech: Speech) -> None:
    assert speech.sample_rate == 16000
    assert speech.samples.dtype == np.float32
    assert speech.samples.ndim == 1
    assert np.all(np.abs(speech.samples) <= 1.0)
    assert 1.5 < len(speech.samples) / 16000 < 4.0  # nine words at 175 wpm
    assert np.sqrt(_energy(speech.samples)) > 0.01  # not silent


def test_other_sample_rate_keeps_times() -> None:
    a = synthesize("hello world", sample_rate=16000)
    b = synthesize("hello world", sample_rate=22050)
    assert b.sample_rate == 22050
    assert len(b.samples) == pytest.approx(len(a.samples) * 22050 / 16000, abs=2)
    assert [w.onset for w in a.words] == [w.onset for w in b.words]


def test_deterministic_across_calls() -> None:
    import ctypes

    import espeakng_loader

    # Another module holding the wheel's library open must not matter.
    ctypes.CDLL(espeakng_loader.get_library_path())
    first = synthesize(SENTENCE, voice=SPEAKER_VOICES[0])
    # eSpeak's generator keeps state between utterances; other calls in
    # between must not change the result.
    synthesize("a completely different sentence", voice=SPEAKER_VOICES[1], rate=300, pitch=20)
    second = synthesize(SENTENCE, voice=SPEAKER_VOICES[0])
    assert np.array_equal(first.samples, second.samples)
    assert first.words == second.words


def test_digits_raise_value_error() -> None:
    with pytest.raises(ValueError, match="WORD events"):
        synthesize("i have 42 cats")


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_raises(text: str) -> None:
    with pytest.raises(ValueError):
        synthesize(text)


@pytest.mark.parametrize("voice", ["no-such-voice", "en-us+no-such-variant", "en-us+f2"])
def test_bad_voice_raises(voice: str) -> None:
    # f2 adds breath noise that eSpeak does not reproduce exactly
    with pytest.raises(ValueError):
        synthesize("hello", voice=voice)


def test_bad_parameters_raise() -> None:
    with pytest.raises(ValueError):
        synthesize("hello", rate=10)
    with pytest.raises(ValueError):
        synthesize("hello", pitch=101)


def test_speaker_voices_work_and_differ() -> None:
    assert len(SPEAKER_VOICES) >= 6
    assert len(set(SPEAKER_VOICES)) == len(SPEAKER_VOICES)
    text = "hello world this is a test"
    audio = {}
    for voice in SPEAKER_VOICES:
        s = synthesize(text, voice=voice)
        _check_timings(s, text)
        audio[voice] = s.samples
    voices = list(audio)
    for i, a in enumerate(voices):
        for b in voices[i + 1 :]:
            x, y = audio[a], audio[b]
            n = min(len(x), len(y))
            assert len(x) != len(y) or not np.allclose(x[:n], y[:n], atol=1e-3), (a, b)


def test_voice_pitch_and_rate_change_audio() -> None:
    base = synthesize("hello world")
    assert not np.array_equal(base.samples, synthesize("hello world", pitch=80).samples)
    fast = synthesize("hello world", rate=350)
    assert len(fast.samples) < 0.8 * len(base.samples)


def test_list_voices() -> None:
    voices = list_voices()
    assert voices == sorted(voices)
    assert {"en-us", "en"} <= set(voices)
    for voice in SPEAKER_VOICES:
        base, _, variant = voice.partition("+")
        assert base in voices
        assert variant in list_variants()


def test_onset_matches_energy() -> None:
    s = synthesize("one two")
    sr = s.sample_rate
    t = int(round(s.words[1].onset * sr))
    before = s.samples[max(0, t - int(0.05 * sr)) : t]
    after = s.samples[t : t + int(0.1 * sr)]
    assert _energy(before) < _energy(after)


def test_trimmed_edges_are_audible_and_gaps_silent(speech: Speech) -> None:
    """Onsets/offsets sit on audible frames; trimmed gaps between words are silent."""
    sr = speech.sample_rate
    x = speech.samples
    thr = 10 ** (SILENCE_DBFS / 20)
    ms = int(0.002 * sr)
    for w in speech.words:
        a, b = int(round(w.onset * sr)), int(round(w.offset * sr))
        assert np.sqrt(_energy(x[a : a + 2 * ms])) > thr, w
        assert np.sqrt(_energy(x[b - 2 * ms : b])) > thr, w
    # the leading silence eSpeak writes before the first word is excluded
    first = int(round(speech.words[0].onset * sr))
    if first > 2 * ms:
        assert np.sqrt(_energy(x[: first - ms])) < thr


def test_untrimmed_spans_tile_the_audio() -> None:
    raw = synthesize(SENTENCE, trim_silence=False)
    trimmed = synthesize(SENTENCE)
    assert raw.words[0].onset == 0.0
    for a, b in zip(raw.words, raw.words[1:]):
        assert a.offset == b.onset
    assert raw.words[-1].offset == pytest.approx(len(raw.samples) / raw.sample_rate, abs=1e-3)
    for r, t in zip(raw.words, trimmed.words):
        assert r.onset <= t.onset < t.offset <= r.offset


def test_threads_get_the_same_audio() -> None:
    texts = ["one two three", "four five six", "seven eight nine", "ten eleven twelve"]
    serial = [synthesize(t).samples for t in texts]
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        results[i] = synthesize(texts[i]).samples

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for i, x in enumerate(serial):
        assert np.array_equal(results[i], x)


# --- word list ------------------------------------------------------------------


def test_wordlist_shape() -> None:
    assert 300 <= len(WORDS) <= 700
    assert len(set(WORDS)) == len(WORDS)
    assert all(w.isascii() and w.isalpha() and w.islower() for w in WORDS)
    assert STOPWORDS <= set(WORDS)
    assert {"the", "a", "of"} <= STOPWORDS
    assert len(set(WORDS) - STOPWORDS) >= 250
    assert all(a in WORDS and b in WORDS for a, b in BAD_PAIRS)


def test_make_sentence() -> None:
    s1 = make_sentence(random.Random(7), 10)
    assert s1 == make_sentence(random.Random(7), 10)
    words = s1.split(" ")
    assert len(words) == 10
    assert all(w in WORDS for w in words)
    for _ in range(200):
        words = make_sentence(random.Random(_), 12).split(" ")
        assert not any(p in BAD_PAIRS for p in zip(words, words[1:]))
    with pytest.raises(ValueError):
        make_sentence(random.Random(0), 0)


def test_random_sentences_synthesize() -> None:
    rng = random.Random(2024)
    for i in range(2 * len(SPEAKER_VOICES)):
        text = make_sentence(rng, rng.randint(5, 12))
        s = synthesize(text, voice=SPEAKER_VOICES[i % len(SPEAKER_VOICES)])
        _check_timings(s, text)


def test_bad_pairs_really_break() -> None:
    """BAD_PAIRS is needed: eSpeak speaks e.g. 'of the' as one word."""
    with pytest.raises(ValueError):
        synthesize("think of the house")
