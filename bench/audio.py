"""Reading and writing audio. Everything inside the harness is float32 mono at 16 kHz."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from math import gcd
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

SAMPLE_RATE = 16_000


class AudioError(Exception):
    """The audio could not be read; the runner records it as a failure of that example."""


@dataclass
class Audio:
    samples: np.ndarray  # float32, mono
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def to_mono(samples: np.ndarray) -> np.ndarray:
    return samples.mean(axis=1) if samples.ndim == 2 else samples


def resample(samples: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    if orig_sr == target_sr:
        return samples
    g = gcd(orig_sr, target_sr)
    return resample_poly(samples, target_sr // g, orig_sr // g).astype(np.float32)


def load_audio(path: str | Path | BinaryIO, sample_rate: int = SAMPLE_RATE) -> Audio:
    """Read any file (or file object) soundfile can decode, converting stereo and other rates."""
    try:
        samples, sr = sf.read(path if hasattr(path, "read") else str(path), dtype="float32", always_2d=False)
    except Exception as e:  # soundfile raises several types for corrupt or missing files
        raise AudioError(f"{path}: {e}") from e
    if samples.size == 0:
        raise AudioError(f"{path}: no audio samples")
    samples = resample(to_mono(samples), sr, sample_rate)
    return Audio(np.ascontiguousarray(samples, dtype=np.float32), sample_rate)


def write_audio(path: str | Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write 16-bit PCM; clipping, not wrapping, if a mix overshoots."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    # Unique per process and thread: builders of one cold cache never share a temporary file.
    tmp = Path(path).with_name(f"{Path(path).stem}.{os.getpid()}-{threading.get_ident()}.tmp.wav")
    sf.write(str(tmp), np.clip(samples, -1.0, 1.0), sample_rate, subtype="PCM_16")
    tmp.replace(path)  # atomic: a killed run never leaves a half-written file behind


def audio_info(path: str | Path) -> tuple[int, float]:
    """(sample rate, duration) without decoding the samples."""
    try:
        info = sf.info(str(path))
    except Exception as e:
        raise AudioError(f"{path}: {e}") from e
    return info.samplerate, info.frames / info.samplerate
