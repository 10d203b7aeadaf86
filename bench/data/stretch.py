"""Length stretching: long-form examples built by concatenating base clips, annotations shifted."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from bench.audio import SAMPLE_RATE, load_audio, write_audio
from bench.data.recording import Recording
from bench.types import AudioRef, Event


def draw_clips(pool: list[Recording], duration: float, rng: random.Random,
               gap: tuple[float, float]) -> list[tuple[Recording, float]]:
    """(clip, start time) pairs whose total length is as near `duration` as whole clips allow.

    Clips are drawn without replacement until the pool runs out, then the pool is reshuffled,
    so minutes-long audio repeats material no more than it must.
    """
    chosen: list[tuple[Recording, float]] = []
    cursor, bag = 0.0, []
    while cursor < duration or not chosen:
        if not bag:
            bag = list(pool)
            rng.shuffle(bag)
        clip = bag.pop()
        if chosen:
            cursor += rng.uniform(*gap)
        chosen.append((clip, cursor))
        cursor += clip.audio.duration
    # The last clip may overshoot by most of its length; keep it only if that lands nearer.
    if len(chosen) > 1 and duration - chosen[-1][1] < cursor - duration:
        chosen.pop()
    return chosen


def stretch(pool: list[Recording], duration: float, rng: random.Random, gap: tuple[float, float],
            out_path: Path, recording_id: str) -> Recording:
    """Concatenate clips from `pool` to about `duration` seconds (clips are never cut)."""
    plan = draw_clips(pool, duration, rng, gap)
    end = plan[-1][1] + plan[-1][0].audio.duration
    mix = np.zeros(int(round(end * SAMPLE_RATE)) + 1, dtype=np.float32)
    events: list[Event] = []
    # Corpus files may score only part of their audio (UEM); the gaps between clips are not scored.
    scored = any("uem" in clip.metadata for clip, _ in plan)
    uem: list[list[float]] = []
    for clip, start in plan:
        samples = load_audio(clip.audio.path).samples
        i = int(round(start * SAMPLE_RATE))
        mix[i : i + len(samples)] += samples[: len(mix) - i]
        shift = i / SAMPLE_RATE
        events += [Event(e.label, round(e.onset + shift, 4), None if e.offset is None else round(e.offset + shift, 4))
                   for e in clip.events]
        if scored:
            regions = clip.metadata.get("uem", [[0.0, clip.audio.duration]])
            uem += [[round(on + shift, 4), round(off + shift, 4)] for on, off in regions]
    write_audio(out_path, mix, SAMPLE_RATE)
    base = plan[0][0].metadata
    metadata = {
        "source": base.get("source"),
        "base_clips": [clip.id for clip, _ in plan],
        "stretch_factor": round(len(mix) / SAMPLE_RATE / float(np.mean([c.audio.duration for c, _ in plan])), 3),
        "target_duration": duration,
    }
    if scored:
        metadata["uem"] = uem
    for key in ("speakers", "palette"):
        if key in base:
            values = [v for clip, _ in plan for v in clip.metadata.get(key, [])]
            metadata[key] = list(dict.fromkeys(values)) if key == "palette" else sorted(set(values))
    audio = AudioRef(str(out_path), SAMPLE_RATE, len(mix) / SAMPLE_RATE)
    return Recording(recording_id, audio, sorted(events, key=lambda e: e.onset), metadata)
