"""Data sources: generate base clips once, stretch them to the durations a suite names, cache both.

Layout of the cache (default .cache/framebench, or $FRAMEBENCH_CACHE):
    <source>-<params+seed+generator hash>/pool/*.wav + recordings.jsonl          base clips
    <source>-<params+seed+generator hash>/d<duration>/*.wav + recordings.jsonl   stretched recordings
The generator hash covers the source code that makes the audio, so clips cached by an older
version are never mixed with what this version would generate.
Beside each wav lies its reference in the format `bench score` reads: .words.json (speech),
.rttm (conversations) or .tsv (scenes).
Each recording is appended to its folder's manifest once its wav is written, so a killed build
resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import os
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from bench.data import conversations, scenes, speech
from bench.data.params import fingerprint, parse_params
from bench.data.formats import write_event_tsv, write_rttm, write_word_json
from bench.data.recording import Recording
from bench.data.stretch import stretch
from bench.jsonl import JsonlWriter, read_jsonl
from bench.types import Event


@dataclass(frozen=True)
class Source:
    params_type: type
    generate: Callable[..., Recording]
    gap: tuple[float, float]  # seconds of silence between concatenated clips
    id_prefix: str  # base clip i is "<id_prefix><i:04d>"
    # The reference file written beside each wav, in the format `bench score` reads.
    reference_suffix: str
    write_reference: Callable[[Path, dict[str, list[Event]]], None]


SOURCES: dict[str, Source] = {
    "speech": Source(speech.SpeechParams, speech.generate, (0.2, 0.6), "utt", ".words.json", write_word_json),
    "conversation": Source(conversations.ConversationParams, conversations.generate, (0.2, 0.8), "conv",
                           ".rttm", write_rttm),
    # Scenes carry their own background noise; a gap of digital silence would give them away.
    "scene": Source(scenes.SceneParams, scenes.generate, (0.0, 0.0), "scene", ".tsv", write_event_tsv),
}


def cache_root() -> Path:
    return Path(os.environ.get("FRAMEBENCH_CACHE", ".cache/framebench"))


def seeded_rng(*parts: Any) -> random.Random:
    return random.Random(fingerprint(*parts))


def _cached(source: Source, folder: Path, ids: list[str], build: Callable[[int], Recording | None],
            desc: str) -> list[Recording]:
    """Recordings `ids` from the folder's manifest, building (and appending) the missing ones.

    `build` returns None for a recording that cannot be made (a corpus file with broken audio,
    say); it has said why, and it is left out.
    """
    manifest = folder / "recordings.jsonl"
    done = {r["id"]: Recording.from_dict(r) for r in read_jsonl(manifest)}
    missing = [i for i, rid in enumerate(ids) if rid not in done]
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
        with JsonlWriter(manifest) as out:
            for i in tqdm(missing, desc=desc, unit="clip", leave=False):
                recording = build(i)
                if recording is None:
                    continue
                wav = Path(recording.audio.path)
                source.write_reference(wav.with_suffix(source.reference_suffix), {wav.stem: recording.events})
                out.write(recording.to_dict())
                done[recording.id] = recording
    return [done[rid] for rid in ids if rid in done]


def parse_source_params(source: str, raw: dict[str, Any] | None, where: str) -> Any:
    return parse_params(SOURCES[source].params_type, raw, where)


# The modules whose code decides the audio and annotations a source generates.
GENERATOR_MODULES = ("speech.py", "espeak.py", "wordlist.py", "conversations.py", "scenes.py", "stretch.py",
                     "recording.py", "sources.py")


@lru_cache(maxsize=None)
def code_version(modules: tuple[str, ...] = GENERATOR_MODULES) -> str:
    """A hash of the bench/data modules that decide what a cache folder holds."""
    digest = hashlib.sha256()
    for name in modules:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:12]


def _folder(source: str, params: Any, seed: int) -> Path:
    return cache_root() / f"{source}-{fingerprint(params, seed, code_version())}"


def base_pool(source: str, params: Any, seed: int) -> list[Recording]:
    spec = SOURCES[source]
    folder = _folder(source, params, seed) / "pool"
    ids = [f"{spec.id_prefix}{i:04d}" for i in range(params.pool_size)]
    return _cached(spec, folder, ids, lambda i: spec.generate(params, ids[i], seeded_rng(source, params, seed, i), folder),
                   f"generate {source} clips")


def recordings(source: str, params: Any, duration: float, n: int, seed: int) -> list[Recording]:
    """`n` generated recordings of about `duration` seconds (at least one whole base clip each)."""
    pool = base_pool(source, params, seed)
    return stretched(source, pool, _folder(source, params, seed), duration, n, (source, params, seed))


def stretched(source: str, pool: list[Recording], folder: Path, duration: float, n: int,
              key: tuple[Any, ...]) -> list[Recording]:
    """`n` recordings of about `duration` seconds concatenated from `pool`, cached under `folder`.

    The j-th recording depends only on (key, duration, j), so asking for more later reuses the
    ones already built.
    """
    folder = folder / f"d{duration:g}"
    spec = SOURCES[source]
    ids = [f"d{duration:g}/{j:03d}" for j in range(n)]
    return _cached(spec, folder, ids,
                   lambda j: stretch(pool, duration, seeded_rng(*key, duration, j), spec.gap,
                                     folder / f"{j:03d}.wav", ids[j]),
                   f"stretch {source} to {duration:g}s")
