"""In-memory training and dev examples for the tiny audio LMs.

Base clips come from the same generators as the benchmark (`bench.data.sources.base_pool`), but
from seed namespaces disjoint from evaluation (suites use seed 0): training pools use
TRAIN_SEED_OFFSET + seed, the dev set DEV_SEED_OFFSET + seed. Clips are concatenated in memory,
like `bench.data.stretch.stretch` but without writing the long audio: target durations are drawn
uniformly from the configured range, each example asks one task's question about its recording.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from bench.audio import SAMPLE_RATE, load_audio
from bench.data.recording import Recording
from bench.data.sources import SOURCES, base_pool
from bench.data.stretch import draw_clips
from bench.tasks import get_task
from bench.types import AudioRef, Event, Example

TRAIN_SEED_OFFSET = 10_000
DEV_SEED_OFFSET = 20_000
CALIBRATION_SEED_OFFSET = 30_000
# Recordings a task refuses (no usable word, ...) are redrawn at most this many times.
MAX_TRIES = 50


@dataclass
class TrainingExample:
    task: str
    question: str
    samples: np.ndarray | None  # float32 mono, 16 kHz; None once the tower states are cached
    reference: list[Event]
    n_expected: int
    labels: list[str] | None
    example: Example = field(repr=False)  # the harness's Example (audio path is a placeholder), for scoring
    # With a frozen audio tower (methods/feature_bank.py): the prompt's token ids and the tower's
    # states per 30 s window, float16, so training never runs the tower again.
    input_ids: np.ndarray | None = field(default=None, repr=False)
    states: list[np.ndarray] | None = field(default=None, repr=False)

    @property
    def duration(self) -> float:
        return self.example.audio.duration

    @property
    def cached(self) -> tuple[np.ndarray, list[np.ndarray]] | None:
        """What AudioLM takes in place of the audio, when the tower states are cached."""
        return None if self.states is None else (self.input_ids, self.states)

    @property
    def onsets(self) -> list[float]:
        return [e.onset for e in self.reference]


class ClipPool:
    """One source's base clips with their audio, loaded once and kept in memory."""

    def __init__(self, source: str, params: Any, seed: int) -> None:
        self.source, self.gap = source, SOURCES[source].gap
        self.recordings = base_pool(source, params, seed)
        self.audio = {r.id: load_audio(r.audio.path).samples.astype(np.float32) for r in self.recordings}

    def recording(self, duration: float, rng: random.Random, recording_id: str) -> tuple[Recording, np.ndarray]:
        """About `duration` seconds of concatenated clips (whole clips), annotations shifted."""
        plan = draw_clips(self.recordings, duration, rng, self.gap)
        end = plan[-1][1] + plan[-1][0].audio.duration
        mix = np.zeros(int(round(end * SAMPLE_RATE)) + 1, dtype=np.float32)
        events: list[Event] = []
        for clip, start in plan:
            samples = self.audio[clip.id]
            i = int(round(start * SAMPLE_RATE))
            mix[i : i + len(samples)] += samples[: len(mix) - i]
            shift = i / SAMPLE_RATE
            events += [Event(e.label, round(e.onset + shift, 4),
                             None if e.offset is None else round(e.offset + shift, 4)) for e in clip.events]
        base = plan[0][0].metadata
        metadata: dict[str, Any] = {"source": base.get("source", self.source),
                                    "base_clips": [clip.id for clip, _ in plan], "target_duration": duration}
        for key in ("speakers", "palette"):
            if key in base:
                values = [v for clip, _ in plan for v in clip.metadata.get(key, [])]
                metadata[key] = list(dict.fromkeys(values)) if key == "palette" else sorted(set(values))
        audio = AudioRef(f"<memory>/{recording_id}.wav", SAMPLE_RATE, len(mix) / SAMPLE_RATE)
        return Recording(recording_id, audio, sorted(events, key=lambda e: e.onset), metadata), mix


class ExampleMaker:
    """Draws examples for a task mixture from per-source pools built with one seed."""

    def __init__(self, tasks: list[str], pool_params: dict[str, Any], seed: int,
                 durations: tuple[float, float]) -> None:
        self.tasks, self.durations = list(tasks), durations
        sources = sorted({get_task(t).source for t in self.tasks})
        missing = [s for s in sources if s not in pool_params]
        if missing:
            raise ValueError(f"no pool parameters for source(s) {missing}")
        self.pools = {s: ClipPool(s, pool_params[s], seed) for s in sources}

    def make(self, task: str, rng: random.Random, example_id: str) -> TrainingExample:
        spec = get_task(task)
        for _ in range(MAX_TRIES):
            duration = rng.uniform(*self.durations)
            recording, samples = self.pools[spec.source].recording(duration, rng, example_id)
            example = spec.make_example(recording, rng)
            if example is None:
                continue
            # Onsets must lie inside the audio the model hears.
            if any(not (0 <= e.onset < recording.audio.duration) for e in example.reference):
                continue
            labels = example.metadata.get("labels")
            return TrainingExample(task, example.query, samples, list(example.reference), example.n_expected,
                                   list(labels) if labels else None, example)
        raise RuntimeError(f"task {task}: no usable recording in {MAX_TRIES} draws")

    def stream(self, rng: random.Random) -> Iterator[TrainingExample]:
        """An endless stream; each example's task is drawn uniformly from the mixture."""
        i = 0
        while True:
            task = rng.choice(self.tasks)
            yield self.make(task, rng, f"train/{i:07d}")
            i += 1

    def fixed(self, n: int, rng: random.Random, prefix: str = "dev") -> list[TrainingExample]:
        """n examples, tasks round-robin (a fixed dev set for a fixed rng)."""
        return [self.make(self.tasks[i % len(self.tasks)], rng, f"{prefix}/{i:04d}") for i in range(n)]


def train_maker(tasks: list[str], pool_params: dict[str, Any], seed: int,
                durations: tuple[float, float]) -> ExampleMaker:
    return ExampleMaker(tasks, pool_params, TRAIN_SEED_OFFSET + seed, durations)


def dev_set(tasks: list[str], pool_params: dict[str, Any], seed: int, durations: tuple[float, float],
            n: int) -> list[TrainingExample]:
    """The fixed dev set: its own pools and rng (DEV_SEED_OFFSET + seed), disjoint from training."""
    return _held_out(tasks, pool_params, DEV_SEED_OFFSET + seed, durations, n, "dev")


def calibration_set(tasks: list[str], pool_params: dict[str, Any], seed: int, durations: tuple[float, float],
                    n: int) -> list[TrainingExample]:
    """Examples to tune decoding thresholds on, disjoint from training and dev (CALIBRATION_SEED_OFFSET + seed)."""
    return _held_out(tasks, pool_params, CALIBRATION_SEED_OFFSET + seed, durations, n, "calibration")


def _held_out(tasks: list[str], pool_params: dict[str, Any], seed: int, durations: tuple[float, float],
              n: int, prefix: str) -> list[TrainingExample]:
    return ExampleMaker(tasks, pool_params, seed, durations).fixed(n, random.Random(seed), prefix)
