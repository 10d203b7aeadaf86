"""silero-vad as a peer: speech regions on real AMI meetings and on eSpeak speech at known times."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pyannote.metrics.detection import DetectionErrorRate

from bench.audio import SAMPLE_RATE, Audio, load_audio
from bench.data.espeak import SPEAKER_VOICES, synthesize
from bench.data.formats import read_rttm, to_annotation, to_timeline
from bench.data.scenes import clip_library
from bench.metrics.diarization import DiarizationMetric
from bench.types import AudioRef, Event, Example
from peers.silero_vad import SileroVad, make

AMI = Path(__file__).resolve().parents[1] / "data" / "real" / "ami"
UTTERANCES = ["the quick brown fox jumps over the lazy dog", "please call stella and ask her to bring these things"]
TOLERANCE = 0.1  # seconds; measured errors on eSpeak speech are within 0.06


def ask(task: str, audio: Audio, **metadata) -> Example:
    return Example(f"{task}/t", task, AudioRef("t.wav", audio.sample_rate, audio.duration), "?", [], 1, metadata)


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    method = make({"run_dir": "/nonexistent"})
    method.setup()
    return method


@pytest.fixture(scope="module")
def ami() -> dict[str, tuple[Audio, list[Event]]]:
    turns: dict[str, list[Event]] = {}
    for split in ("train", "development", "test"):
        turns.update(read_rttm(AMI / f"debug.{split}.rttm"))
    assert len(turns) == 14
    return {uri: (load_audio(AMI / f"{uri}.flac"), events) for uri, events in sorted(turns.items())}


@pytest.fixture(scope="module")
def ami_answers(vad, ami) -> dict[str, list[Event]]:
    answers = {}
    for uri, (audio, _) in ami.items():
        prediction = vad.predict(ask("diarization", audio), audio)
        assert prediction.failure is None
        answers[uri] = prediction.events
    return answers


def place(clips: list[tuple[float, np.ndarray]], seconds: float, noise_dbfs: float | None = -50.0) -> Audio:
    """Clips added at given times into silence or seeded white noise."""
    x = np.zeros(int(seconds * SAMPLE_RATE), np.float32)
    if noise_dbfs is not None:
        x += 10 ** (noise_dbfs / 20) * np.random.default_rng(0).standard_normal(len(x)).astype(np.float32)
    for at, clip in clips:
        start = int(round(at * SAMPLE_RATE))
        x[start : start + len(clip)] += clip
    return Audio(x, SAMPLE_RATE)


@pytest.fixture(scope="module")
def dialogue() -> tuple[Audio, list[tuple[float, float]]]:
    """Two speakers, one sentence each, and where each is audible (first word on, last word off)."""
    spoken = [synthesize(text, voice=voice) for text, voice in zip(UTTERANCES, SPEAKER_VOICES)]
    starts = [0.8, 0.8 + spoken[0].duration + 1.2]
    audio = place([(at, 0.5 * s.samples) for at, s in zip(starts, spoken)], starts[1] + spoken[1].duration + 1.0)
    truth = [(at + s.words[0].onset, at + s.words[-1].offset) for at, s in zip(starts, spoken)]
    return audio, truth


# --- real meetings --------------------------------------------------------------------------


def test_ami_one_speaker_der(ami, ami_answers) -> None:
    # Measured: DER 0.516, mostly missed speech (quiet backchannels, overlap beyond one
    # speaker); false alarm 0.2 % of the speech. Answering nothing scores DER 1.
    der = DiarizationMetric(collar=0.0, skip_overlap=False)
    detection = DetectionErrorRate()
    for uri, (audio, reference) in ami.items():
        assert {e.label for e in ami_answers[uri]} <= {"speaker"}
        der(uri, reference, ami_answers[uri], uem=[(0.0, audio.duration)])
        detection(to_annotation(reference, uri), to_annotation(ami_answers[uri], uri),
                  uem=to_timeline([(0.0, audio.duration)], uri))
    summary = der.summary()
    assert 0.45 < summary["der"] < 0.6
    assert summary["false_alarm"] < 0.01 * summary["total"]
    assert abs(detection) < 0.3  # speech/non-speech error, measured 0.234


def test_ami_first_speech_onset(ami, ami_answers) -> None:
    # Measured errors (s): 7 of 14 within 0.25 late; trn00, trn07, tst01 open with a quiet
    # turn silero misses (first answer 8-22 s late); trn01 has none it hears at all.
    errors = {uri: ami_answers[uri][0].onset - min(e.onset for e in reference)
              for uri, (_, reference) in ami.items() if ami_answers[uri]}
    assert set(ami) - set(errors) == {"trn01"}
    assert min(errors.values()) > -0.1  # never hears speech before the first turn
    assert sum(abs(e) <= 0.25 for e in errors.values()) >= 7
    for uri in ("trn03", "trn05", "trn06", "trn09"):  # speech from the first second
        assert abs(errors[uri]) < 0.2, uri


def test_ami_speaker_onset_when_nothing_is_heard(vad, ami) -> None:
    audio, _ = ami["trn01"]
    prediction = vad.predict(ask("speaker_onset", audio, n=1), audio)
    assert prediction.failure is None and prediction.events == []
    assert prediction.info["regions"] == 0 and "found 0" in prediction.info["unanswered"]


# --- synthetic speech at known times ----------------------------------------------------------


def test_speaker_onset_is_the_nth_region(vad, dialogue) -> None:
    audio, truth = dialogue
    for n, (onset, _) in enumerate(truth, start=1):
        prediction = vad.predict(ask("speaker_onset", audio, n=n), audio)
        assert prediction.failure is None and prediction.info["regions"] == 2
        [event] = prediction.events
        assert event.label == "speech"
        assert abs(event.onset - onset) < TOLERANCE, (n, event.onset, onset)
        assert prediction.audio_seconds_consumed == audio.duration
        assert set(prediction.timings) == {"vad", "answer"}
    third = vad.predict(ask("speaker_onset", audio, n=3), audio)
    assert third.failure is None and third.events == []
    assert third.info["unanswered"] == "asked for region n=3, found 2"


def test_diarization_spans_the_speech(vad, dialogue) -> None:
    audio, truth = dialogue
    prediction = vad.predict(ask("diarization", audio), audio)
    assert [e.label for e in prediction.events] == ["speaker", "speaker"]
    for event, (onset, offset) in zip(prediction.events, truth):
        assert abs(event.onset - onset) < TOLERANCE
        assert abs(event.offset - offset) < 2 * TOLERANCE  # offsets trail by ~0.1 s (pad + hangover)
    assert prediction.info["speech_seconds"] == pytest.approx(sum(b - a for a, b in truth), abs=0.3)


def test_event_onset_takes_the_asked_label(vad, dialogue) -> None:
    audio, truth = dialogue
    prediction = vad.predict(ask("event_onset", audio, k=2, labels=["talking"]), audio)
    [event] = prediction.events
    assert event.label == "talking" and abs(event.onset - truth[1][0]) < TOLERANCE


def test_non_speech_is_not_heard(vad) -> None:
    # silero is trained to reject non-speech: tones, noise and the scene clips get no region,
    # so event_onset on sound scenes answers nothing (counted missing), without failing.
    t = np.arange(int(0.8 * SAMPLE_RATE)) / SAMPLE_RATE
    bursts = {
        "tone": 0.3 * np.sin(2 * np.pi * 1000 * t),
        "noise": 0.1 * np.random.default_rng(1).standard_normal(len(t)),
        **{label: clips[0] for label, clips in clip_library().items() if label in ("trumpet", "whistle", "cat")},
    }
    assert len(bursts) == 5
    for label, burst in bursts.items():
        audio = place([(1.0, burst.astype(np.float32))], 3.0)
        prediction = vad.predict(ask("event_onset", audio, k=1, labels=[label]), audio)
        assert prediction.failure is None, label
        assert prediction.events == [] and prediction.info["regions"] == 0, label


def test_silence_answers_nothing(vad) -> None:
    for audio in (place([], 5.0, noise_dbfs=None), Audio(np.zeros(100, np.float32), SAMPLE_RATE)):
        for example in (ask("speaker_onset", audio, n=1), ask("diarization", audio),
                        ask("event_onset", audio, k=1, labels=["dog"])):
            prediction = vad.predict(example, audio)
            assert prediction.failure is None and prediction.events == []
            assert prediction.info["regions"] == 0


def test_long_audio_keeps_time(vad) -> None:
    """Two minutes, a sentence every 10 s: every sentence still opens a region where it starts."""
    sentence = synthesize(UTTERANCES[0], voice=SPEAKER_VOICES[2])
    onsets = [1.0 + 10 * i + sentence.words[0].onset for i in range(12)]
    audio = place([(1.0 + 10 * i, 0.5 * sentence.samples) for i in range(12)], 120.0)
    prediction = vad.predict(ask("diarization", audio), audio)
    # Some copies are split in two at a word gap (measured: 17 regions), none heard between them.
    for onset in onsets:
        assert min(abs(e.onset - onset) for e in prediction.events) < TOLERANCE, onset
    for event in prediction.events:
        assert any(onset - TOLERANCE < event.onset < event.offset < onset + sentence.duration + 2 * TOLERANCE
                   for onset in onsets), event
    assert prediction.timings["vad"] < 10.0  # measured 0.5-0.8 s per audio minute on one core


def test_state_does_not_leak_between_examples(vad, dialogue) -> None:
    audio, _ = dialogue
    first = vad.predict(ask("diarization", audio), audio).events
    noise = place([], 2.0, noise_dbfs=-20.0)
    vad.predict(ask("diarization", noise), noise)
    assert vad.predict(ask("diarization", audio), audio).events == first


def test_other_sample_rates_are_resampled(vad) -> None:
    spoken = synthesize(UTTERANCES[1], voice=SPEAKER_VOICES[0], sample_rate=8000)
    x = np.zeros(4 * 8000, np.float32)
    x[8000 : 8000 + len(spoken.samples)] = 0.5 * spoken.samples
    audio = Audio(x, 8000)
    [event] = vad.predict(ask("speaker_onset", audio, n=1), audio).events
    assert abs(event.onset - (1.0 + spoken.words[0].onset)) < TOLERANCE


# --- interface ------------------------------------------------------------------------------


def test_failures_are_returned_not_raised(vad, dialogue) -> None:
    audio, _ = dialogue
    unsupported = vad.predict(ask("word_single", audio), audio)
    assert unsupported.failure.kind == "unsupported" and "word_single" in unsupported.failure.message
    broken = vad.predict(ask("speaker_onset", audio), audio)  # no n
    assert broken.failure.kind == "method_error" and broken.failure.message.startswith("silero-vad: ")
    zero = vad.predict(ask("speaker_onset", audio, n=0), audio)
    assert zero.failure.kind == "method_error" and "n=0" in zero.failure.message


def test_torch_threads_are_left_as_found() -> None:
    # Importing silero_vad sets torch to one thread process-wide; only a fresh process shows it.
    script = ("import numpy as np, torch; torch.set_num_threads(3); from bench.audio import Audio; "
              "from bench.types import AudioRef, Example; from peers.silero_vad import make; "
              "m = make({}); m.setup(); a = Audio(np.zeros(16000, np.float32), 16000); "
              "m.predict(Example('x', 'diarization', AudioRef('x', 16000, 1.0), '?', [], 1), a); "
              "print(torch.get_num_threads())")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=AMI.parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3"]


def test_options_and_settings() -> None:
    settings = make({"run_dir": "x", "model": "y"}).settings()
    assert settings["silero_vad"] and settings["model"] == "silero_vad.jit"
    assert {k: settings[k] for k in ("threshold", "min_speech_ms", "min_silence_ms", "speech_pad_ms")} == {
        "threshold": 0.5, "min_speech_ms": 250, "min_silence_ms": 100, "speech_pad_ms": 30}
    assert make({"threshold": 0.3, "speech_pad_ms": 0}).settings()["threshold"] == 0.3


@pytest.mark.parametrize("options, name", [
    ({"threshold": 1.5}, "threshold"), ({"threshold": "0.5"}, "threshold"), ({"threshold": True}, "threshold"),
    ({"min_speech_ms": -1}, "min_speech_ms"), ({"min_silence_ms": 0.5}, "min_silence_ms"),
    ({"speech_pad_ms": "30"}, "speech_pad_ms"), ({"treshold": 0.5}, "treshold"),
])
def test_bad_options_name_the_option(options, name) -> None:
    with pytest.raises(ValueError, match=name):
        make(options)
