"""From a suite's task spec to concrete examples: recordings from a data source, then questions."""
from __future__ import annotations

import sys

from bench.data.corpus import corpus_recordings
from bench.data.recording import Recording, clip_events
from bench.data.sources import recordings, seeded_rng
from bench.errors import ConfigError
from bench.suite import TaskSpec
from bench.tasks import get_task
from bench.types import Example


def task_recordings(spec: TaskSpec, duration: float, n: int, seed: int) -> list[Recording]:
    if spec.corpus is None:
        return recordings(get_task(spec.task).source, spec.data, duration, n, seed)
    try:
        return corpus_recordings(spec.corpus, duration, n, seed)
    except (OSError, ValueError) as e:  # a missing or malformed annotation file stops the run, in one line
        raise ConfigError(f"{spec.name}: corpus: {e}") from None


def build_examples(spec: TaskSpec, duration: float, seed: int, limit: int | None = None) -> list[Example]:
    task = get_task(spec.task)
    n = min(spec.examples_at(duration), limit) if limit else spec.examples_at(duration)
    examples = []
    for recording in task_recordings(spec, duration, n, seed):
        example = task.make_example(recording, seeded_rng(seed, spec.task, recording.id))
        if example is None:
            print(f"warning: {spec.name}: recording {recording.id} supports no question; skipped", file=sys.stderr)
            continue
        if spec.name != spec.task:
            example.id = f"{spec.name}/{recording.id}"
        example.metadata["nominal_duration"] = duration
        clip_annotations(example)
        examples.append(example)
    return examples


def clip_annotations(example: Example) -> None:
    """Reference events outside the audio are reported and clipped to it, never silently kept."""
    duration = example.audio.duration
    clipped, outside = clip_events(example.reference, duration)
    if not outside:
        return
    message = (f"{example.id}: {outside} reference event(s) outside the audio [0, {duration:.3f}] s; "
               "clipped to it, or dropped if they start after its end")
    print(f"warning: {message}", file=sys.stderr)
    example.metadata.setdefault("warnings", []).append(message)
    example.reference = clipped
