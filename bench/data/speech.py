"""Synthetic single-speaker utterances with exact word times (libespeak-ng WORD events)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from bench.audio import write_audio
from bench.data.espeak import SPEAKER_VOICES, Speech, synthesize
from bench.data.recording import Recording
from bench.data.wordlist import make_sentence
from bench.types import AudioRef, Event


@dataclass(frozen=True)
class SpeechParams:
    pool_size: int = 48  # distinct base utterances; long examples concatenate draws from them
    words: tuple[int, int] = (5, 12)
    voices: tuple[str, ...] = SPEAKER_VOICES
    rate: int = 175  # words per minute

    def __post_init__(self) -> None:
        if self.pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        unknown = set(self.voices) - set(SPEAKER_VOICES)
        if unknown:
            raise ValueError(f"voices: unknown {sorted(unknown)}; known: {list(SPEAKER_VOICES)}")


# A sentence eSpeak cannot time word by word is redrawn at most this many times.
MAX_SENTENCE_TRIES = 20


def speak_sentence(rng: random.Random, n_words: int, voice: str, rate: int) -> Speech:
    """A random sentence of `n_words`, spoken with one timing per word.

    BAD_PAIRS keeps most word pairs eSpeak merges out of sentences, but some merge only in some
    voices ("do so" in en-gb-x-gbclan+Annie); such a sentence is redrawn. Sentences that
    synthesise on the first draw are what they always were.
    """
    for _ in range(MAX_SENTENCE_TRIES):
        try:
            return synthesize(make_sentence(rng, n_words), voice=voice, rate=rate)
        except ValueError as e:
            last = e
    raise ValueError(f"no {n_words}-word sentence synthesised with one timing per word in {voice}: {last}")


def generate(params: SpeechParams, recording_id: str, rng: random.Random, out_dir: Path) -> Recording:
    voice = rng.choice(params.voices)
    speech = speak_sentence(rng, rng.randint(*params.words), voice, params.rate)
    path = out_dir / f"{recording_id}.wav"
    write_audio(path, speech.samples, speech.sample_rate)
    words = [Event(w.word, round(w.onset, 4), round(w.offset, 4)) for w in speech.words]
    audio = AudioRef(str(path), speech.sample_rate, len(speech.samples) / speech.sample_rate)
    return Recording(recording_id, audio, words, {"source": "speech", "speakers": [voice]})
