from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.audio import AudioError, load_audio


def test_stereo_and_other_rates_are_converted(tmp_path: Path) -> None:
    t = np.arange(44100) / 44100
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([tone, tone * 0.5], axis=1), 44100)
    audio = load_audio(path)
    assert audio.sample_rate == 16000
    assert audio.samples.ndim == 1
    assert abs(audio.duration - 1.0) < 1e-3
    spectrum = np.abs(np.fft.rfft(audio.samples))
    assert abs(np.argmax(spectrum) * 16000 / len(audio.samples) - 440) < 2


@pytest.mark.parametrize("content", [b"", b"RIFF not really a wav file at all"])
def test_unreadable_audio_raises_audio_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match="bad.wav"):
        load_audio(path)
