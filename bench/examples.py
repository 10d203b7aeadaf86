"""From a suite's task spec to concrete examples: recordings from a data source, then questions."""
from __future__ import annotations

import sys

from bench.data.sources import recordings, seeded_rng
from bench.suite import TaskSpec
from bench.tasks import get_task
from bench.types import Event, Example


def build_examples(spec: TaskSpec, duration: float, seed: int, limit: int | None = None) -> list[Example]:
    task = get_task(spec.task)
    n = min(spec.examples_at(duration), limit) if limit else spec.examples_at(duration)
    examples = []
    for recording in recordings(task.source, spec.data, duration, n, seed):
        example = task.make_example(recording, seeded_rng(seed, spec.task, recording.id))
        if example is None:
            print(f"warning: {spec.task}: recording {recording.id} supports no question; skipped", file=sys.stderr)
            continue
        example.metadata["nominal_duration"] = duration
        clip_annotations(example)
        examples.append(example)
    return examples


def clip_annotations(example: Example) -> None:
    """Reference events outside the audio are reported and clipped to it, never silently kept."""
    duration = example.audio.duration
    outside = [e for e in example.reference if e.onset < 0 or e.onset > duration
               or (e.offset is not None and e.offset > duration)]
    if not outside:
        return
    message = (f"{example.id}: {len(outside)} reference event(s) outside the audio [0, {duration:.3f}] s; "
               "clipped to it, or dropped if they start after its end")
    print(f"warning: {message}", file=sys.stderr)
    example.metadata.setdefault("warnings", []).append(message)
    example.reference = [
        Event(e.label, min(max(e.onset, 0.0), duration), None if e.offset is None else min(max(e.offset, 0.0), duration))
        for e in example.reference if e.onset <= duration
    ]
