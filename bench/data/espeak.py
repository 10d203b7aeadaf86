"""Speech with exact word timings, synthesised by eSpeak NG through ctypes.

Why eSpeak: the benchmark needs speech whose word boundaries are *known*, not
estimated by a forced aligner.  eSpeak NG reports an ``espeakEVENT_WORD``
event at the first sample of every word it speaks, so the ground truth comes
from the synthesiser itself.  The library and its data ship inside the
``espeakng-loader`` wheel, so nothing has to be installed system-wide.

Timings
-------
* The raw word boundary is the WORD event's ``sample`` field (the sample index
  at eSpeak's native 22050 Hz; ``audio_position`` is the same instant rounded
  down to whole milliseconds, and is only used as a consistency check).
* eSpeak writes exact digital silence for pauses and stop closures, and the
  span between two WORD events often starts with 10-50 ms of it (a short
  inter-word gap, or the closure of an initial /p t k b d g/) and may end with
  the closure of a final stop.  With ``trim_silence=True`` (the default) each
  word's onset is moved forward to its first audible frame and its offset back
  to its last audible frame, both searched only inside the word's own span
  ``[event_i, event_{i+1})``.  A frame is audible when its RMS exceeds
  :data:`SILENCE_DBFS`.  So ``onset`` / ``offset`` mark where the word can be
  heard, and consecutive words never overlap.
* With ``trim_silence=False`` the onset is the event itself and the offset is
  the next word's event (the end of the audio for the last word).

Resampling to the requested rate uses a zero-phase polyphase filter, so times
in seconds are unchanged by it.

Determinism and threads
-----------------------
eSpeak keeps global state, so every call into it is serialised by a module
lock.  Some of that state (the waveform generator's pitch-flutter phase, among
others) survives from one utterance to the next and no API resets it, so the
library is loaded from a private copy, used for one utterance and unloaded
again (about 2-3 ms).  Voice, rate, pitch, volume, range and word gap are set
before every utterance.  Identical arguments therefore give identical samples,
whatever was synthesised before.  Variants with breath noise (f2, f3, f5,
whisper, ...) are rejected because their noise depends on uninitialised memory.
"""

from __future__ import annotations

import _ctypes
import atexit
import contextlib
import ctypes
import ctypes.util
import functools
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.signal import firwin, resample_poly

__all__ = [
    "WordTiming",
    "Speech",
    "SPEAKER_VOICES",
    "SILENCE_DBFS",
    "list_voices",
    "list_variants",
    "synthesize",
]

# --- constants from speak_lib.h -------------------------------------------

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EE_OK = 0

_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1

_PARAM_RATE = 1
_PARAM_VOLUME = 2
_PARAM_PITCH = 3
_PARAM_RANGE = 4
_PARAM_PUNCTUATION = 5
_PARAM_CAPITALS = 6
_PARAM_WORDGAP = 7

RATE_MIN, RATE_MAX = 80, 450

#: Frames quieter than this (RMS, dB relative to int16 full scale) count as
#: silence when trimming.  eSpeak's pauses are exact zeros and speech frames
#: sit above about -60 dBFS, so the exact value is not critical.
SILENCE_DBFS = -66.0
_FRAME_S = 0.001  # trimming resolution

# Buffer length handed to espeak_Initialize, in ms.  The per-buffer event list
# is sized from it; 100 ms leaves ample room for the few WORD events that can
# fall into one buffer.
_BUFFER_MS = 100


class _EventId(ctypes.Union):
    _fields_ = [
        ("number", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("string", ctypes.c_char * 8),
    ]


class _Event(ctypes.Structure):
    """``espeak_EVENT``: 40 bytes on LP64 (six 4-byte fields, then two 8-byte ones)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based character index
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms
        ("sample", ctypes.c_int),  # sample index at the native rate
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _Voice(ctypes.Structure):
    """``espeak_VOICE``."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, NUL-terminated name)*, then NUL
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


# --- public types -----------------------------------------------------------


@dataclass(frozen=True)
class WordTiming:
    """One spoken word and when it can be heard, in seconds from the clip start."""

    word: str
    onset: float  # seconds: first audible frame at or after eSpeak's WORD event
    offset: float  # seconds: end of the audible part (trailing silence trimmed)


@dataclass
class Speech:
    """A synthesised utterance and the ground-truth timing of each word."""

    samples: np.ndarray  # float32, mono, in [-1, 1]
    sample_rate: int  # 16000 unless asked otherwise (eSpeak itself runs at 22050 Hz)
    words: list[WordTiming]  # one per input word, in order

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


# --- the engine ---------------------------------------------------------------
#
# Why the library is loaded afresh for every utterance: eSpeak's waveform
# generator keeps static state that no API call resets (the pitch-flutter
# phase, the voice-roughness cycle counter, the AGC gain), so the same text
# spoken twice in one process comes out a few samples longer or shorter and
# with different samples.  Unloading the library (dlclose) and loading it
# again re-initialises all of it.  That costs ~2-3 ms, about as long as
# synthesising a sentence.  The library is loaded from a private copy so that
# another module holding the same libespeak-ng.so open (e.g. a phonemizer)
# cannot keep it resident and carry state over.


def _bind(lib: ctypes.CDLL) -> None:
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Terminate.argtypes = []
    lib.espeak_Terminate.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,  # text
        ctypes.c_size_t,  # size
        ctypes.c_uint,  # position
        ctypes.c_int,  # position_type
        ctypes.c_uint,  # end_position
        ctypes.c_uint,  # flags
        ctypes.POINTER(ctypes.c_uint),  # unique_identifier
        ctypes.c_void_p,  # user_data
    ]
    lib.espeak_Synth.restype = ctypes.c_int


class _Engine:
    """Process-wide eSpeak state.  Use only while holding ``_LOCK``."""

    def __init__(self) -> None:
        import espeakng_loader

        self.data_path: str = espeakng_loader.get_data_path()
        self._src_lib: str = espeakng_loader.get_library_path()
        self._lib_copy: str | None = None
        variant_dir = os.path.join(self.data_path, "voices", "!v")
        self.variants: dict[str, bool] = {}  # name -> deterministic
        for name in sorted(os.listdir(variant_dir)):
            self.variants[name] = not _has_breath(os.path.join(variant_dir, name))
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, int, int, int]] = []
        self._callback = _SynthCallback(self._on_synth)  # C keeps only a pointer
        # eSpeak's noise generators call libc rand(); reseeding it before each
        # utterance keeps any voice that draws on it reproducible.
        try:
            self._srand = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").srand
        except OSError:  # pragma: no cover - exotic platforms
            self._srand = None
        self.native_rate = 0

    # -- library lifetime

    def _open(self) -> ctypes.CDLL:
        if self._lib_copy is None or not os.path.exists(self._lib_copy):
            self._lib_copy = _private_copy(self._src_lib)
        return ctypes.CDLL(self._lib_copy)

    @contextlib.contextmanager
    def _loaded(self):
        lib = self._open()
        try:
            _bind(lib)
            rate = lib.espeak_Initialize(
                _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, self.data_path.encode(), 0
            )
            if rate <= 0:
                raise RuntimeError(f"espeak_Initialize failed (data path {self.data_path!r})")
            self.native_rate = rate
            try:
                lib.espeak_SetSynthCallback(self._callback)
                yield lib
            finally:
                lib.espeak_Terminate()
        finally:
            handle = lib._handle
            del lib
            _ctypes.dlclose(handle)

    # -- callbacks

    def _on_synth(self, wav, n, events) -> int:
        if wav and n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        if events:
            i = 0
            while True:
                ev = events[i]
                if ev.type == _EVENT_LIST_TERMINATED:
                    break
                self._events.append((ev.type, ev.text_position, ev.sample, ev.audio_position))
                i += 1
        return 0

    # -- operations

    def list_voices(self) -> list[str]:
        tags: set[str] = set()
        with self._loaded() as lib:
            voices = lib.espeak_ListVoices(None)
            i = 0
            while voices[i]:
                v = voices[i].contents
                i += 1
                langs = _parse_languages(v.languages)
                ident = (v.identifier or b"").decode("utf-8", "replace")
                if not langs or not (langs[0] == "en" or langs[0].startswith("en-")):
                    continue
                # Name voices by their file name (lower case): that is what
                # espeak_SetVoiceByName accepts ('en', 'en-gb-scotland', ...);
                # the language tag is not always accepted ('en-gb' is not).
                name = ident.rsplit("/", 1)[-1].lower()
                if name != "en-shaw":  # the Shavian alphabet, not Latin script
                    tags.add(name)
        return sorted(tags)

    def _check_voice(self, voice: str) -> None:
        base, plus, variant = voice.partition("+")
        if not base:
            raise ValueError(f"empty eSpeak voice name in {voice!r}")
        if plus:
            if variant not in self.variants:
                # eSpeak silently ignores unknown variants; be strict instead.
                raise ValueError(f"unknown eSpeak voice variant {variant!r} in {voice!r}")
            if not self.variants[variant]:
                raise ValueError(
                    f"eSpeak variant {variant!r} adds breath noise, which eSpeak does not "
                    "generate reproducibly (it depends on uninitialised memory); use another"
                )

    def run(self, text: str, voice: str, rate: int, pitch: int):
        self._check_voice(voice)
        self._chunks, self._events = [], []
        try:
            with self._loaded() as lib:
                if lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                    raise ValueError(f"unknown eSpeak voice {voice!r}")
                for param, value in (
                    (_PARAM_RATE, rate),
                    (_PARAM_PITCH, pitch),
                    (_PARAM_VOLUME, 100),
                    (_PARAM_RANGE, 50),
                    (_PARAM_PUNCTUATION, 0),
                    (_PARAM_CAPITALS, 0),
                    (_PARAM_WORDGAP, 0),
                ):
                    lib.espeak_SetParameter(param, value, 0)
                if self._srand is not None:
                    self._srand(1)
                buf = text.encode("utf-8") + b"\0"
                err = lib.espeak_Synth(buf, len(buf), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
                if err != _EE_OK:
                    raise RuntimeError(f"espeak_Synth failed with error {err}")
            pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            return pcm, self._events
        finally:
            self._chunks, self._events = [], []


def _private_copy(src: str) -> str:
    """A copy of the library that no other module will dlopen, so dlclose unloads it.

    Kept in the user's cache directory under a name derived from the source
    file, so every process reuses one copy; falls back to a temporary
    directory (removed at exit), and to ``src`` itself if neither location
    can hold a loadable library (e.g. a read-only home and a noexec /tmp).
    """
    st = os.stat(src)
    tag = hashlib.sha1(f"{os.path.realpath(src)}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()
    name = f"libespeak-ng-{tag[:16]}.so"
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for d in (os.path.join(cache, "framebench"), None):
        tmp = part = None
        try:
            if d is None:
                d = tmp = tempfile.mkdtemp(prefix="framebench-espeak-")
            else:
                os.makedirs(d, exist_ok=True)
            path = os.path.join(d, name)
            # Reused only when its bytes are the source's: a copy of the same size but other
            # content (damaged, or planted in the user's cache) is replaced.
            if not (os.path.exists(path) and os.path.getsize(path) == st.st_size
                    and _sha256(path) == _sha256(src)):
                fd, part = tempfile.mkstemp(dir=d, suffix=".part")
                os.close(fd)
                shutil.copyfile(src, part)
                os.replace(part, path)  # atomic: concurrent processes write the same bytes
                part = None
            probe = ctypes.CDLL(path)  # loadable from there?
            _ctypes.dlclose(probe._handle)
            if tmp is not None:
                atexit.register(_remove_private_copy, tmp, os.getpid())
            return path
        except OSError:
            if part is not None and os.path.exists(part):
                os.remove(part)
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
    # Deterministic only as long as nothing else in the process loads it too.
    return src


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _has_breath(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return any(line.split()[:1] == ["breath"] for line in f)
    except OSError:
        return False


def _remove_private_copy(tmp: str, pid: int) -> None:
    if os.getpid() == pid:  # not in a forked child that inherited the handler
        shutil.rmtree(tmp, ignore_errors=True)


def _parse_languages(addr: int | None) -> list[str]:
    """Decode espeak_VOICE.languages: (priority byte, NUL-terminated name)* then NUL."""
    out: list[str] = []
    if not addr:
        return out
    while ctypes.c_ubyte.from_address(addr).value != 0:
        name = ctypes.string_at(addr + 1)
        out.append(name.decode("utf-8", "replace"))
        addr += 2 + len(name)
    return out


_LOCK = threading.Lock()
_ENGINE: _Engine | None = None


def _after_fork_in_child() -> None:
    # A thread of the parent may have held the lock at fork time.
    global _LOCK
    _LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


# --- public functions ---------------------------------------------------------


def list_voices() -> list[str]:
    """English eSpeak voices (language tags such as 'en-us', 'en-gb-scotland'), sorted.

    These share one English dictionary, so any of them reads an English word
    list with the same word segmentation; they differ in accent.  Each can be
    combined with a variant from :func:`list_variants`, as in ``'en-us+m3'``.
    Voices of other languages are left out: they read English spelling with
    their own rules, which is not a plausible English speaker.
    """
    with _LOCK:
        return _engine().list_voices()


def list_variants() -> list[str]:
    """eSpeak voice variants usable as ``voice+variant`` (e.g. ``'m3'``, ``'f4'``, ``'linda'``).

    Variants with breath noise (``f2``, ``f3``, ``f5``, ``whisper``, ...) are
    left out: eSpeak's breath generator reads uninitialised memory, so their
    samples differ from one process to the next, and :func:`synthesize`
    rejects them.
    """
    with _LOCK:
        eng = _engine()
        return [v for v, ok in eng.variants.items() if ok and " " not in v]


#: Voices that sound like different speakers: each pairs a different English
#: accent with a different variant (sex, pitch range, formant scaling), so no
#: two share an accent or a variant.  Tests check that each one synthesises,
#: is deterministic and differs from the others.
SPEAKER_VOICES: tuple[str, ...] = (
    "en-us+m3",  # American, male
    "en-us-nyc+m7",  # New York, male
    "en-gb-x-rp+m1",  # Received Pronunciation, male, low
    "en-gb-scotland+m4",  # Scottish, male
    "en+f1",  # British, female
    "en-029+linda",  # Caribbean, female, high
    "en-gb-x-gbclan+Annie",  # Lancaster, female, wide pitch range
    "en-gb-x-gbcwmd+f4",  # West Midlands, female, slight echo
)


def synthesize(
    text: str,
    voice: str = "en-us",
    rate: int = 175,
    pitch: int = 50,
    sample_rate: int = 16000,
    *,
    trim_silence: bool = True,
) -> Speech:
    """Speak ``text`` (space-separated lowercase words) and time every word.

    ``voice`` is an eSpeak voice name, optionally with ``+variant``; ``rate`` is
    in words per minute (80-450); ``pitch`` is 0-100 (50 = the voice's own).

    Raises ``ValueError`` when eSpeak does not emit exactly one WORD event per
    word, at that word's first character -- digits, abbreviations and some
    multi-word dictionary entries break the mapping, and a timing for the
    wrong word would silently corrupt the ground truth.
    """
    words = text.split()
    if not words:
        raise ValueError("synthesize() needs at least one word")
    if not RATE_MIN <= rate <= RATE_MAX:
        raise ValueError(f"rate must be in [{RATE_MIN}, {RATE_MAX}] words/min, got {rate}")
    if not 0 <= pitch <= 100:
        raise ValueError(f"pitch must be in [0, 100], got {pitch}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    norm = " ".join(words)

    with _LOCK:
        eng = _engine()
        pcm, events = eng.run(norm, voice, rate, pitch)
        native = eng.native_rate

    word_events = [e for e in events if e[0] == _EVENT_WORD]
    if len(word_events) != len(words):
        raise ValueError(
            f"eSpeak emitted {len(word_events)} WORD events for {len(words)} words in "
            f"{norm!r} (voice {voice!r}); numbers, abbreviations and some word pairs "
            "are not spoken one event per word"
        )
    starts, pos = [], 0
    for w in words:
        starts.append(pos + 1)  # eSpeak's text_position is 1-based
        pos += len(w) + 1
    for w, start, (_, text_pos, sample, audio_ms) in zip(words, starts, word_events):
        if text_pos != start:
            raise ValueError(
                f"eSpeak's WORD events do not line up with the words of {norm!r} "
                f"(voice {voice!r}): expected {w!r} at character {start}, got {text_pos}"
            )
        if abs(sample * 1000.0 / native - audio_ms) > 1.0 + 1e-6:
            raise RuntimeError(  # would mean the espeak_EVENT layout is wrong
                f"inconsistent WORD event: sample {sample} vs audio_position {audio_ms} ms"
            )

    bounds = [e[2] for e in word_events] + [len(pcm)]
    if bounds[0] < 0 or any(b >= a for a, b in zip(bounds[1:], bounds[:-1])):
        raise RuntimeError(f"WORD events out of order or outside the audio: {bounds}")

    x = pcm.astype(np.float32) / 32768.0
    spans = [(bounds[i], bounds[i + 1]) for i in range(len(words))]
    if trim_silence:
        spans = _trim(x, spans, native)

    timings = [
        WordTiming(word=w, onset=a / native, offset=b / native) for w, (a, b) in zip(words, spans)
    ]

    if sample_rate != native:
        frac = Fraction(sample_rate, native)
        up, down = frac.numerator, frac.denominator
        x = resample_poly(x, up, down, window=_resample_filter(up, down)).astype(np.float32)
    np.clip(x, -1.0, 1.0, out=x)
    return Speech(samples=x, sample_rate=sample_rate, words=timings)


@functools.lru_cache(maxsize=8)
def _resample_filter(up: int, down: int) -> np.ndarray:
    """The low-pass filter resample_poly would design itself (Kaiser, beta 5), built once."""
    max_rate = max(up, down)
    h = firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0)).astype(np.float32)
    h.setflags(write=False)
    return h


def _trim(x: np.ndarray, spans: list[tuple[int, int]], rate: int) -> list[tuple[int, int]]:
    """Shrink each ``[start, end)`` sample span to its first and last audible frame."""
    frame = max(1, int(round(_FRAME_S * rate)))
    thr = 10.0 ** (SILENCE_DBFS / 20.0)
    out = []
    for start, end in spans:
        seg = x[start:end]
        n = len(seg) // frame
        if n == 0:
            out.append((start, end))
            continue
        body = seg[: n * frame].reshape(n, frame)
        rms = np.sqrt(np.mean(body.astype(np.float64) ** 2, axis=1))
        loud = np.flatnonzero(rms > thr)
        if len(seg) > n * frame:  # a short last frame still counts
            tail = seg[n * frame :].astype(np.float64)
            if np.sqrt(np.mean(tail**2)) > thr:
                loud = np.append(loud, n)
        if len(loud) == 0:  # nothing audible: keep eSpeak's span
            out.append((start, end))
            continue
        a = start + int(loud[0]) * frame
        b = min(end, start + (int(loud[-1]) + 1) * frame)
        out.append((a, b))
    return out
