"""Real corpora: annotation files (or a Hugging Face dataset) and their audio, as recordings.

A suite task takes a `corpus:` instead of generated `data:`:

    - task: diarization
      name: diarization-ami                   # optional; tells two corpora of one task apart
      durations: [native, 120]                # native: each file as it is; else files concatenated
      corpus:
        format: rttm                          # see FORMATS
        annotations: ../data/real/ami/debug.test.rttm   # a file or a glob, relative to the suite
        audio: ../data/real/ami/{uri}.flac    # each uri's audio
        uem: ../data/real/ami/debug.test.uem  # rttm only, optional: the scored regions
        uris: ../data/real/ami/debug.test.lst # optional: only these uris, in this order
        speakers: file                        # rttm: speaker names are per file (default), or global

Every audio file is converted once to 16 kHz mono WAV in the cache (other rates and stereo are
converted, and the row says from what). Problems are reported on stderr and in the recording's
metadata, never silently kept: annotations outside the audio are clipped to it, files whose
audio is missing or unreadable are left out. A diarization turn running past the audio is scored
as written, restricted to the audio by the UEM (`metadata["unclipped_reference"]`), so a clipped
end gets no collar of its own and the run agrees with `bench score` on the original RTTM.

Speaker names are taken as local to their file (`speakerA` of one meeting is not `speakerA` of
the next): a recording concatenated from several files names each speaker `uri/name`, unless the
corpus says `speakers: global` (the same name is the same person in every file).
"""
from __future__ import annotations

import glob
import hashlib
import io
import os
import sys
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
import soundfile as sf

from bench.audio import SAMPLE_RATE, AudioError, load_audio, write_audio
from bench.data import formats
from bench.data.params import fingerprint
from bench.data.recording import Recording, clip_events
from bench.data.sources import SOURCES, _cached, cache_root, code_version, stretched
from bench.types import NATIVE, AudioRef, Event

# format -> (the kind of recording it gives, as tasks name it; its reader, or None for hf)
FORMATS: dict[str, tuple[str, Callable[..., dict[str, list[Event]]] | None]] = {
    "rttm": ("conversation", formats.read_rttm),
    "event_tsv": ("scene", formats.read_event_tsv),
    "textgrid": ("speech", formats.read_textgrid),
    "pocketsphinx": ("speech", formats.read_pocketsphinx_json),
    "ctm": ("speech", formats.read_ctm),
    "word_json": ("speech", formats.read_word_json),
    "hf": ("speech", None),
}
SPEAKER_SCOPES = ("file", "global")
CORPUS_MODULES = ("corpus.py", "hf_dataset.py", "formats.py", "stretch.py", "recording.py", "sources.py")


@dataclass(frozen=True)
class CorpusSpec:
    format: str
    annotations: str = ""  # a file or a glob
    audio: str = ""  # a path template with {uri}
    uem: str = ""  # a file or a glob
    uris: str = ""  # a list of uris, one per line
    tier: str = "words"  # textgrid: the interval tier holding the words
    palette: tuple[str, ...] = ()  # event_tsv: the classes a query lists (default: every label seen)
    # hf: a folder written by save_to_disk, or parquet files (a folder, a file or a glob)
    path: str = ""
    split: str = "train"
    kind: str = ""  # hf: speech, conversation or scene (default speech)
    id_column: str = "id"
    audio_column: str = "audio"
    events_column: str = "words"  # a list of {label_key, onset_key, offset_key} mappings per row
    label_key: str = "word"
    onset_key: str = "start"
    offset_key: str = "end"
    speakers: str = "file"  # conversation corpora: speaker names per file, or global to the corpus

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format: unknown {self.format!r}; known: {', '.join(FORMATS)}")
        if self.speakers not in SPEAKER_SCOPES:
            raise ValueError(f"speakers: expected {' or '.join(SPEAKER_SCOPES)}, got {self.speakers!r}")
        if self.format == "hf":
            if not self.path:
                raise ValueError("path: required for format hf (a save_to_disk folder or parquet files)")
            if self.kind and self.kind not in {"speech", "conversation", "scene"}:
                raise ValueError(f"kind: expected speech, conversation or scene, got {self.kind!r}")
            return
        for name in ("annotations", "audio"):
            if not getattr(self, name):
                raise ValueError(f"{name}: required for format {self.format}")
        if "{uri}" not in self.audio:
            raise ValueError(f"audio: {self.audio!r} must contain {{uri}}")
        if self.uem and self.format != "rttm":
            raise ValueError("uem: only rttm corpora have scored regions")
        if self.kind:
            raise ValueError("kind: only for format hf; other formats decide it")

    @property
    def source(self) -> str:
        """Which tasks can ask about it: those whose `source` is this kind."""
        return self.kind or FORMATS[self.format][0]

    def resolved(self, base: Path) -> "CorpusSpec":
        """Paths relative to `base` (the suite's folder) made absolute."""
        def absolute(value: str) -> str:
            return value if not value or Path(value).is_absolute() else str(base / value)

        return replace(self, **{k: absolute(getattr(self, k)) for k in ("annotations", "audio", "uem", "uris", "path")})


@dataclass
class Entry:
    """One file of the corpus before conversion."""

    uri: str
    events: list[Event]
    audio: str | bytes  # a path, or the encoded bytes of a dataset's audio column
    uem: list[tuple[float, float]] | None = None


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _files(pattern: str, what: str) -> list[Path]:
    paths = sorted(Path(p) for p in glob.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"{what}: no file matches {pattern}")
    return paths


def _read_uris(path: str) -> list[str]:
    return [line.strip() for line in Path(path).read_text(encoding="utf-8-sig").splitlines() if line.strip()]


def entries(spec: CorpusSpec) -> list[Entry]:
    """The corpus's files with their annotations, in a stable order."""
    if spec.format == "hf":
        from bench.data.hf_dataset import hf_entries

        return hf_entries(spec)
    reader = FORMATS[spec.format][1]
    assert reader is not None
    annotations: dict[str, list[Event]] = {}
    for path in _files(spec.annotations, "annotations"):
        found = reader(path, spec.tier) if spec.format == "textgrid" else reader(path)
        for uri, events in found.items():
            annotations.setdefault(uri, []).extend(events)
    uem: dict[str, list[tuple[float, float]]] = {}
    for path in _files(spec.uem, "uem") if spec.uem else []:
        for uri, regions in formats.read_uem(path).items():
            uem.setdefault(uri, []).extend(regions)
    uris = _read_uris(spec.uris) if spec.uris else sorted(annotations)
    if not uris:
        raise ValueError(f"{spec.uris or spec.annotations}: no annotated file (the annotations name no uri)")
    out = []
    for uri in uris:
        audio = audio_path(spec.audio, uri)
        if audio is None:
            warn(f"{spec.uris or spec.annotations}: uri {uri!r} names audio outside the corpus folder "
                 f"{_audio_folder(spec.audio)}; left out")
            continue
        if uri not in annotations:
            # An uri list may name a file with no turn at all, but more often it is a typo or a rename.
            warn(f"{spec.uris or spec.annotations}: uri {uri!r} has no annotation; taken as empty")
        if spec.uem and uri not in uem:
            warn(f"{spec.uem}: uri {uri!r} has no scored region; all of its audio is scored")
        out.append(Entry(uri, sorted(annotations.get(uri, []), key=lambda e: e.onset), audio, uem.get(uri)))
    return out


def _audio_folder(template: str) -> str:
    """The folder a `{uri}` audio template reads from: everything before `{uri}` up to a separator."""
    prefix = template.split("{uri}", 1)[0]
    folder = prefix if prefix.endswith(("/", os.sep)) else os.path.dirname(prefix)
    return os.path.normpath(os.path.abspath(folder or "."))


def audio_path(template: str, uri: str) -> str | None:
    """The audio of `uri`, or None when the uri would leave the template's folder
    (``../x``, an absolute path, a NUL byte): annotations do not choose what is read."""
    if not uri or "\0" in uri or os.path.isabs(uri) or ".." in Path(uri.replace("\\", "/")).parts:
        return None
    path = template.replace("{uri}", uri)
    folder = _audio_folder(template)
    if os.path.commonpath([folder, os.path.normpath(os.path.abspath(path))]) != folder:
        return None
    return path


def _content_key(spec: CorpusSpec, items: list[Entry]) -> str:
    """What the converted files depend on beyond the spec: the annotations and the audio files."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(repr((item.uri, [e.to_dict() for e in item.events], item.uem)).encode())
        if isinstance(item.audio, bytes):
            digest.update(hashlib.sha256(item.audio).digest())
        else:
            try:
                stat = Path(item.audio).stat()
                digest.update(repr((item.audio, stat.st_size, stat.st_mtime_ns)).encode())
            except OSError:
                digest.update(item.audio.encode())  # missing: reported when it is converted
    return digest.hexdigest()[:12]


def convert(spec: CorpusSpec, item: Entry, recording_id: str, out: Path) -> Recording | None:
    """`item` as a 16 kHz mono WAV with its annotations checked against the audio."""
    source = io.BytesIO(item.audio) if isinstance(item.audio, bytes) else item.audio
    where = f"{spec.format} corpus, uri {item.uri!r}"
    try:
        info = sf.info(source)
        if isinstance(source, io.BytesIO):
            source.seek(0)
        audio = load_audio(source)
    except (AudioError, RuntimeError, OSError) as e:
        warn(f"{where}: audio unreadable ({' '.join(str(e).split())}); left out")
        return None
    bad = int(audio.samples.size - np.count_nonzero(np.isfinite(audio.samples)))
    if bad:
        warn(f"{where}: audio has {bad} sample(s) that are not finite numbers (NaN or infinity); left out")
        return None
    write_audio(out, audio.samples, SAMPLE_RATE)
    metadata: dict[str, Any] = {"source": "corpus", "corpus": spec.format, "uri": item.uri}
    if (info.samplerate, info.channels) != (SAMPLE_RATE, 1):
        metadata["converted_from"] = f"{info.samplerate} Hz, {info.channels} channel(s)"
    events, outside = clip_events(item.events, audio.duration)
    if outside:
        message = (f"{where}: {outside} annotation(s) outside the audio [0, {audio.duration:.3f}] s; "
                   "clipped to it, or dropped if they start after its end")
        warn(message)
        metadata["warnings"] = [message]
    if item.uem is not None:
        metadata["uem"] = [[min(on, audio.duration), min(off, audio.duration)] for on, off in item.uem]
    if outside and spec.source == "conversation":
        # Scored as written, within the audio by the UEM (the file's, cut at its end, or the
        # whole audio): clipping would add a reference boundary at the audio's end, and with it
        # a collar no other scorer puts there.
        metadata["unclipped_reference"] = [e.to_dict() for e in item.events]
    if spec.source == "conversation":
        metadata["speakers"] = sorted({e.label for e in events})
    return Recording(recording_id, AudioRef(str(out), SAMPLE_RATE, audio.duration), events, metadata)


@lru_cache(maxsize=8)
def corpus_pool(spec: CorpusSpec) -> tuple[list[Recording], Path]:
    """Every readable file of the corpus, converted, and the cache folder they live in.

    Cached per process: a suite asks once per duration, and reading a dataset (and hashing its
    audio) again for each would repeat the same work.
    """
    items = entries(spec)
    folder = cache_root() / f"corpus-{fingerprint(spec, _content_key(spec, items), code_version(CORPUS_MODULES))}"
    source = SOURCES[spec.source]
    pool = _cached(source, folder / "pool", [item.uri for item in items],
                   lambda i: convert(spec, items[i], items[i].uri, folder / "pool" / f"{i:04d}.wav"),
                   f"convert {spec.format} corpus")
    if spec.source == "scene":
        palette = list(spec.palette) or sorted({e.label for r in pool for e in r.events})
        for recording in pool:
            recording.metadata["palette"] = palette
    if not pool:
        raise ValueError(f"{spec.annotations or spec.path}: no file of the corpus has readable audio")
    return pool, folder


def corpus_recordings(spec: CorpusSpec, duration: float, n: int, seed: int) -> list[Recording]:
    """The first `n` files as they are (NATIVE), or `n` recordings concatenated from them."""
    pool, folder = corpus_pool(spec)
    if duration == NATIVE:
        return pool[:n]
    if spec.source == "conversation" and spec.speakers == "file":
        pool = [per_file_speakers(r) for r in pool]
    return stretched(spec.source, pool, folder, duration, n, ("corpus", spec, seed))


def per_file_speakers(recording: Recording) -> Recording:
    """`recording` with each speaker named `uri/name`, so that files concatenated into one
    recording never merge two people who only share a file-local name (speakerA)."""
    uri = recording.metadata.get("uri", recording.id)

    def name(label: str) -> str:
        return f"{uri}/{label}"

    metadata = {**recording.metadata, "speakers": sorted(name(s) for s in recording.metadata.get("speakers", []))}
    metadata.pop("unclipped_reference", None)
    return replace(recording, events=[replace(e, label=name(e.label)) for e in recording.events], metadata=metadata)
