"""Synthetic conversations for diarization: turns by different voices, pauses, some overlap."""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.audio import write_audio
from bench.data.espeak import SPEAKER_VOICES
from bench.data.recording import Recording
from bench.data.speech import speak_sentence
from bench.types import AudioRef, Event


@dataclass(frozen=True)
class ConversationParams:
    pool_size: int = 24
    speakers: tuple[int, int] = (2, 4)
    turns: tuple[int, int] = (3, 6)
    words_per_turn: tuple[int, int] = (3, 7)
    pause: tuple[float, float] = (0.1, 0.8)  # seconds between turns that do not overlap
    overlap: float = 0.2  # probability that a turn starts before the previous one ends
    overlap_seconds: tuple[float, float] = (0.2, 1.0)
    voices: tuple[str, ...] = SPEAKER_VOICES
    rate: int = 175

    def __post_init__(self) -> None:
        if not 0.0 <= self.overlap <= 1.0:
            raise ValueError("overlap must be a probability in [0, 1]")
        if self.speakers[1] > len(self.voices):
            raise ValueError(f"speakers: at most {len(self.voices)} with {len(self.voices)} voices")
        if self.speakers[0] < 1 or self.pool_size < 1:
            raise ValueError("speakers and pool_size must be at least 1")


def generate(params: ConversationParams, recording_id: str, rng: random.Random, out_dir: Path) -> Recording:
    voices = rng.sample(list(params.voices), rng.randint(*params.speakers))
    n_turns = max(rng.randint(*params.turns), len(voices))
    # Every speaker talks at least once; the rest of the turns go to anyone but the last speaker.
    order = voices + [None] * (n_turns - len(voices))
    rng.shuffle(order)
    pieces: list[tuple[int, np.ndarray]] = []
    turns: list[Event] = []
    cursor, previous = 0.0, None
    sr = 16_000
    for slot in order:
        voice = slot or rng.choice([v for v in voices if v != previous] or voices)
        speech = speak_sentence(rng, rng.randint(*params.words_per_turn), voice, params.rate)
        sr = speech.sample_rate
        lead = speech.words[0].onset  # the synthesizer's own leading silence
        if turns and rng.random() < params.overlap:
            last = turns[-1]
            gap = -min(rng.uniform(*params.overlap_seconds), (last.offset - last.onset) / 2)
        else:
            gap = rng.uniform(*params.pause)
        onset = max(cursor + gap, 0.0)
        start = max(int(round((onset - lead) * sr)), 0)
        onset = start / sr + lead
        pieces.append((start, speech.samples))
        turn = Event(voice, round(onset, 4), round(start / sr + speech.words[-1].offset, 4))
        turns.append(turn)
        cursor = max(cursor, turn.offset)
        previous = voice
    total = max(s + len(x) for s, x in pieces)
    mix = np.zeros(total, dtype=np.float32)
    for s, x in pieces:
        mix[s : s + len(x)] += x
    path = out_dir / f"{recording_id}.wav"
    write_audio(path, mix, sr)
    audio = AudioRef(str(path), sr, total / sr)
    return Recording(recording_id, audio, turns, {"source": "conversation", "speakers": sorted(voices)})
