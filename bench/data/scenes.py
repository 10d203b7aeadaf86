"""Sound scenes: real event clips mixed over background noise at known onsets and a set SNR."""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bench.audio import SAMPLE_RATE, load_audio, write_audio
from bench.data.recording import Recording
from bench.types import AudioRef, Event

CLIP_DIR = Path(__file__).parent / "clips"

# Clip file stem prefix -> class label. The Debian sound-icons names are Czech or playful.
CLASS_OF_PREFIX = {
    "canary": "canary", "cembalo": "harpsichord", "chord": "chord", "cockchafer": "cockchafer",
    "cymbaly": "cymbal", "electric-piano": "electric-piano", "glass-water": "glass",
    "guitar": "guitar", "gummy-cat": "cat", "klavichord": "clavichord", "percussion": "percussion",
    "piano": "piano", "pipe": "pipe", "pisk": "whistle", "prompt": "chime", "trumpet": "trumpet",
    "violoncello": "cello", "xylofon": "xylophone",
}
MIN_CLIP_SECONDS = 0.1  # shorter clicks cannot be localized meaningfully at 10 ms frames


def class_of(stem: str) -> str:
    for prefix, label in CLASS_OF_PREFIX.items():
        if stem.startswith(prefix):
            return label
    raise ValueError(f"clip {stem!r} has no class in CLASS_OF_PREFIX")


@lru_cache(maxsize=1)
def clip_library() -> dict[str, list[np.ndarray]]:
    """class -> trimmed clips, so a clip's annotated extent is where it is audible."""
    library: dict[str, list[np.ndarray]] = {}
    for path in sorted(CLIP_DIR.glob("*.wav")):
        samples = trim(load_audio(path).samples)
        if len(samples) >= MIN_CLIP_SECONDS * SAMPLE_RATE:
            library.setdefault(class_of(path.stem), []).append(samples)
    return library


def trim(samples: np.ndarray, threshold_db: float = -40.0) -> np.ndarray:
    level = np.abs(samples)
    loud = np.flatnonzero(level > level.max() * 10 ** (threshold_db / 20))
    return samples[loud[0] : loud[-1] + 1]


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """1/f noise: a plausible room background that is not white hiss."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, n)
    return (noise / (np.sqrt(np.mean(noise**2)) + 1e-12)).astype(np.float32)


@dataclass(frozen=True)
class SceneParams:
    pool_size: int = 24
    base_duration: float = 10.0
    events: tuple[int, int] = (3, 6)
    snr_db: float = 10.0  # event RMS over noise RMS
    noise_level_db: float = -35.0  # noise RMS in dBFS
    classes: tuple[str, ...] = tuple(sorted(set(CLASS_OF_PREFIX.values())))

    def __post_init__(self) -> None:
        unknown = set(self.classes) - set(CLASS_OF_PREFIX.values())
        if unknown:
            raise ValueError(f"classes: unknown {sorted(unknown)}")
        if self.base_duration <= 0 or self.pool_size < 1:
            raise ValueError("base_duration and pool_size must be positive")


def generate(params: SceneParams, recording_id: str, rng: random.Random, out_dir: Path) -> Recording:
    library = clip_library()
    classes = [c for c in params.classes if c in library]
    n = int(params.base_duration * SAMPLE_RATE)
    noise_rms = 10 ** (params.noise_level_db / 20)
    mix = pink_noise(n, np.random.default_rng(rng.getrandbits(32))) * noise_rms
    events: list[Event] = []
    for _ in range(rng.randint(*params.events)):
        label = rng.choice(classes)
        clip = rng.choice(library[label])
        clip = clip / (np.sqrt(np.mean(clip**2)) + 1e-12) * noise_rms * 10 ** (params.snr_db / 20)
        if len(clip) >= n:
            continue
        start = rng.randrange(0, n - len(clip))
        mix[start : start + len(clip)] += clip
        events.append(Event(label, round(start / SAMPLE_RATE, 4), round((start + len(clip)) / SAMPLE_RATE, 4)))
    events.sort(key=lambda e: (e.onset, e.label))
    path = out_dir / f"{recording_id}.wav"
    write_audio(path, mix, SAMPLE_RATE)
    audio = AudioRef(str(path), SAMPLE_RATE, n / SAMPLE_RATE)
    return Recording(recording_id, audio, events, {"source": "scene", "palette": list(params.classes)})
