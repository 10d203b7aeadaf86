"""Forced alignment with pocketsphinx (CMU Sphinx), a classical peer for `word_all` and `word_single`.

The transcript is given, so every word's time comes from aligning it to the audio with the
default US-English acoustic model and CMUdict, as `pocketsphinx align` does.

Long audio is aligned span by span.  One forced alignment over minutes of audio is slow (its
cost grows faster than the length) and fails as a whole when the search loses the path anywhere.
So from the start of the audio, a window of `max_chunk_seconds` is decoded with a grammar that
accepts any prefix of the remaining words.  The audio is cut in a quiet pause between two decoded
words that end safely before the window's end, the span up to the cut is force-aligned to its
words (`set_align_text`), and the next window starts at the cut.  The last span is force-aligned
to whatever words remain.

When the decoder loses the path it does not fail, it lags: speech it cannot place goes into
silence and noise fillers, or into a neighbouring word, and every later word comes too late.
Hence the checks, all on loudness (a real pause is quiet):
* a window's words after a loud gap are not kept;
* a span whose exact alignment fails or has a loud gap (before, between or after its words) is
  cut earlier instead (up to three cuts);
* if no cut aligns, or the window's decode is lost early (a loud gap before any cut, at every
  noise level), the span before may have taken a word too few, so the window is decoded again
  allowing it to skip up to SKIP leading words (`info["skipped"]`; they are interpolated);
* a window lost early that skipping does not mend advances by its smallest step, so that a
  fresh window starts soon.

Noise: digital silence makes pocketsphinx fail, so a tiny seeded dither is always added.  Clean
synthetic speech (eSpeak) also often defeats the search unless the audio has a noise floor like
a real recording's; noise at -30 dB re the speech level mostly fixes that, yet shifts the
alignment of real recordings, which have their own floor.  So a failed exact alignment is retried
with louder noise (`noise_floors_db`, `info["retries"]`), and window decodes, whose failures are
silent, always have the noise.  A span no level aligns keeps the window decode's times
(`info["fallback_words"]`), or fails the example when `fallback` is off.

Words the dictionary lacks (`info["oov"]`) are left out of the alignment text (the silence and
noise loops the aligner puts between words absorb them) and share the gap between their aligned
neighbours evenly, as do skipped words and those a fallback did not reach (`info["interpolated"]`).
"""
from __future__ import annotations

import importlib.metadata
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.audio import SAMPLE_RATE, Audio
from bench.method import Method, stage
from bench.types import Event, Example, Failure, Prediction

FRAME_RATE = 100  # pocketsphinx frames per second (its default -frate)
HOP = SAMPLE_RATE // FRAME_RATE
# Upper bound on speech rate, to size the prefix grammar of a window (eSpeak's fastest is 7.5/s).
MAX_WORDS_PER_SECOND = 8.0
SKIP = 5  # leading words a window may skip to catch up with the audio
LOUD = 10 ** (-20 / 20)  # frames within 20 dB of the speech level are speech, not a pause
NON_WORDS = {"<s>", "</s>", "<sil>"}

# (token index, first frame, last frame), frames absolute in the example's audio.
Timed = tuple[int, int, int]


@dataclass(frozen=True)
class Options:
    max_chunk_seconds: float = 30.0
    # Std of the Gaussian dither always added, in full-scale units (1e-4 is about 3 LSB at 16 bit).
    dither: float = 1e-4
    # Noise floors tried in turn when an alignment fails, in dB re the speech level.
    noise_floors_db: tuple[float, ...] = (-30.0, -20.0)
    # Cuts prefer quiet pauses at least this long; failing that, the latest word boundary.
    min_pause_seconds: float = 0.15
    seed: int = 0
    # A span no noise level aligns keeps the window decode's times (True) or fails the example.
    fallback: bool = True

    @classmethod
    def parse(cls, options: dict[str, Any]) -> "Options":
        """Known keys are type-checked; others (run_dir and the like) belong to the harness."""
        kw: dict[str, Any] = {}
        for name in ("max_chunk_seconds", "dither", "min_pause_seconds"):
            if name in options:
                kw[name] = float(_number(options[name], name))
        if "seed" in options:
            if isinstance(options["seed"], bool) or not isinstance(options["seed"], int):
                raise ValueError(f"pocketsphinx option seed must be an integer, got {options['seed']!r}")
            kw["seed"] = options["seed"]
        if "fallback" in options:
            if not isinstance(options["fallback"], bool):
                raise ValueError(f"pocketsphinx option fallback must be true or false, got {options['fallback']!r}")
            kw["fallback"] = options["fallback"]
        if "noise_floors_db" in options:
            floors = options["noise_floors_db"]
            if not isinstance(floors, (list, tuple)) or not floors:
                raise ValueError(f"pocketsphinx option noise_floors_db must be a non-empty list of numbers, "
                                 f"got {floors!r}")
            kw["noise_floors_db"] = tuple(float(_number(v, "noise_floors_db")) for v in floors)
        opts = cls(**kw)
        if opts.max_chunk_seconds < 4.0:
            raise ValueError(f"pocketsphinx option max_chunk_seconds must be at least 4, got {opts.max_chunk_seconds}")
        if opts.dither <= 0.0 or opts.min_pause_seconds < 0.0:
            raise ValueError("pocketsphinx options dither must be positive and min_pause_seconds not negative")
        return opts


def _number(value: Any, name: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"pocketsphinx option {name} must be a number, got {value!r}")
    return value


def normalize(word: str) -> str:
    """Dictionary form: lower case without surrounding punctuation (CMUdict keeps don't, o'clock)."""
    return re.sub(r"^[^a-z0-9']+|[^a-z0-9']+$", "", word.lower()).strip("'")


class PocketsphinxAlign(Method):
    name = "pocketsphinx_align"

    def __init__(self, options: dict[str, Any]) -> None:
        self.opts = Options.parse(options)
        self.version = importlib.metadata.version("pocketsphinx")

    def setup(self) -> None:
        from pocketsphinx import Decoder

        # lm=None: alignment and grammars need no language model, and loading one takes 0.4 s.
        self.decoder = Decoder(samprate=SAMPLE_RATE, lm=None, loglevel="FATAL")

    def settings(self) -> dict[str, Any]:
        o = self.opts
        return {
            "aligner": f"pocketsphinx {self.version}",
            "model": "en-us + cmudict-en-us (pocketsphinx default)",
            "max_chunk_seconds": o.max_chunk_seconds,
            "dither": o.dither,
            "noise_floors_db": list(o.noise_floors_db),
            "min_pause_seconds": o.min_pause_seconds,
            "seed": o.seed,
            "fallback": o.fallback,
        }

    # -- the method

    def predict(self, example: Example, audio: Audio) -> Prediction:
        try:
            return self._predict(example, audio)
        finally:
            self._samples = self._noise = self._frame_rms = None  # type: ignore[assignment]
            self._pcm = {}  # minutes of audio in three noise levels: do not keep them

    def _predict(self, example: Example, audio: Audio) -> Prediction:
        timings: dict[str, float] = {}
        seconds = audio.duration
        if example.task not in ("word_all", "word_single"):
            return Prediction(failure=Failure("unsupported", f"pocketsphinx aligns words, not {example.task}"))
        transcript = example.metadata.get("transcript")
        if transcript is None and example.task == "word_all":
            transcript = " ".join(example.metadata.get("labels") or [])
        if transcript is None:
            return Prediction(failure=Failure("unsupported", "pocketsphinx: the example has no metadata['transcript']"))
        words = str(transcript).split()
        if not words:
            return Prediction(failure=Failure("method_error", "pocketsphinx: empty transcript"))
        if audio.sample_rate != SAMPLE_RATE:
            return Prediction(failure=Failure("audio_error", f"pocketsphinx needs {SAMPLE_RATE} Hz audio"))

        with stage(timings, "prepare"):
            forms = [normalize(w) for w in words]
            known = [i for i, f in enumerate(forms) if f and self.decoder.lookup_word(f) is not None]
            tokens = [forms[i] for i in known]
            in_dict = set(known)
            self._prepare_noise(audio.samples)
        info: dict[str, Any] = {"oov": [w for i, w in enumerate(words) if i not in in_dict], "segments": 0,
                                "retries": 0, "skipped": 0, "fallback_words": 0, "interpolated": 0}
        if not tokens:
            return Prediction(failure=Failure("method_error", "pocketsphinx: no transcript word is in the dictionary"),
                              timings=timings, audio_seconds_consumed=seconds, info=info)
        try:
            with stage(timings, "align"):
                timed = self._run(tokens, info)
        except Exception as e:  # pocketsphinx raises RuntimeError, ValueError, IndexError
            return Prediction(failure=Failure("method_error", f"pocketsphinx: {type(e).__name__}: {e}"),
                              timings=timings, audio_seconds_consumed=seconds, info=info)
        if not timed:
            return Prediction(failure=Failure("method_error", "pocketsphinx: no word could be aligned"),
                              timings=timings, audio_seconds_consumed=seconds, info=info)

        with stage(timings, "answer"):
            times: list[tuple[float, float] | None] = [None] * len(words)
            for t, sf, ef in timed:
                times[known[t]] = (sf / FRAME_RATE, (ef + 1) / FRAME_RATE)  # ef is the last frame, inclusive
            info["interpolated"] = sum(1 for i in known if times[i] is None)
            events = [Event(w, round(a, 3), round(b, 3)) for w, (a, b) in zip(words, _fill_gaps(times, seconds))]
            if example.task == "word_single":
                picked = _kth(example, words, events)
                if isinstance(picked, Failure):
                    return Prediction(failure=picked, timings=timings, audio_seconds_consumed=seconds, info=info)
                events = [picked]
        return Prediction(events=events, timings=timings, audio_seconds_consumed=seconds, info=info)

    # -- audio

    def _prepare_noise(self, samples: np.ndarray) -> None:
        """Seeded noise for the whole example, so every window and span sees the same samples."""
        self._samples = samples.astype(np.float32, copy=False)
        self._noise = np.random.default_rng(self.opts.seed).standard_normal(len(samples), dtype=np.float32)
        n = len(samples) // HOP
        frames = samples[: n * HOP].reshape(n, HOP)
        self._frame_rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
        self._speech_level = float(np.percentile(self._frame_rms, 90)) if n else 0.0  # most frames are speech
        self._pcm: dict[int, np.ndarray] = {}
        self._level = 0  # the noise level the last span needed (at most 1): the next likely needs it too

    def _pcm_at(self, level: int) -> np.ndarray:
        """16-bit PCM with dither only (level 0) or with the level-th noise floor added too."""
        if level not in self._pcm:
            std = self.opts.dither
            if level > 0:
                std = math.hypot(std, self._speech_level * 10 ** (self.opts.noise_floors_db[level - 1] / 20))
            x = np.rint((self._samples + std * self._noise) * 32768.0)
            self._pcm[level] = np.clip(x, -32768, 32767).astype(np.int16)
        return self._pcm[level]

    def _loud(self, a: int, b: int) -> bool:
        """Whether frames [a, b), a gap between words, hold speech: 0.2 s or more as loud as it."""
        return int(np.count_nonzero(self._frame_rms[max(a, 0) : b] > self._speech_level * LOUD)) >= 20

    # -- decoding

    def _decode(self, start: int, end: int, level: int) -> list[tuple[str, int, int]] | None:
        """Words (word, first frame, last frame) in frames [start, end) with the active search."""
        pcm = self._pcm_at(level)[start * HOP : end * HOP]
        if len(pcm) == 0:  # process_raw raises IndexError on an empty buffer
            return None
        d = self.decoder
        d.reinit_feat()  # the front end keeps noise statistics across utterances: results would depend on history
        d.start_utt()
        try:
            d.process_raw(pcm.tobytes(), full_utt=True)  # full_utt: cepstral mean over the whole span
        finally:
            d.end_utt()  # an utterance left open makes every later search set-up fail
        segs = d.seg()
        if segs is None:
            return None
        out = []
        for s in segs:
            word = re.sub(r"\(\d+\)$", "", s.word)  # pronunciation variants: read(2) -> read
            if word not in NON_WORDS and not word.startswith("["):  # fillers: [NOISE], [SPEECH]
                out.append((word, start + s.start_frame, start + s.end_frame))
        return out

    def _decode_prefix(self, start: int, end: int, tokens: list[str], lo: int, level: int,
                       skip: bool = False) -> list[Timed]:
        """Decode frames [start, end) with a grammar accepting any prefix of tokens[lo:], after
        skipping up to SKIP leading words if `skip`."""
        n_max = int(math.ceil((end - start) / FRAME_RATE * MAX_WORDS_PER_SECOND)) + SKIP
        words = tokens[lo : lo + n_max]
        final = len(words) + 1
        # State i -> i+1 speaks words[i]; every state after a word may end (null transition), and
        # null transitions from the start skip leading words (pocketsphinx hardly weighs them, so
        # skips are offered only when a window's start looks wrong).
        transitions = [(i, i + 1, 1.0, w) for i, w in enumerate(words)]
        transitions += [(i, final, 1.0) for i in range(1, len(words) + 1)]
        transitions += [(0, s, 1e-6) for s in range(1, min(SKIP, len(words) - 1) + 1) if skip]
        self.decoder.add_fsg("prefix", self.decoder.create_fsg("prefix", 0, final, transitions))
        self.decoder.activate_search("prefix")
        segs = self._decode(start, end, level) or []
        # The decoded words are words[s : s + len(segs)] for the s the path took.
        got = [w for w, _, _ in segs]
        for s in range(min(SKIP, len(words)) + 1 if skip else 1):
            if got == words[s : s + len(got)]:
                return [(lo + s + j, sf, ef) for j, (_, sf, ef) in enumerate(segs)]
        return []

    def _cuts(self, start: int, end: int, guard: int, tokens: list[str], lo: int,
              info: dict[str, Any], skip: bool = False) -> tuple[list[Timed], list[int], bool]:
        """Decode a window with the prefix grammar: the decoded words, how many of them may be kept
        before a cut (best first), and whether the decode looks sound.  A window whose words all
        follow a loud gap is decoded again with the next noise level, and in the end lost."""
        attempts = []
        for level in range(1, len(self.opts.noise_floors_db) + 1):
            if level > 1:
                info["retries"] += 1
            attempts.append(self._decode_prefix(start, end, tokens, lo, level, skip))
            counts = self._counts(start, attempts[-1], guard, strict=True)
            if counts:
                return attempts[-1], counts, True
        return attempts[0], self._counts(start, attempts[0], guard, strict=False), False

    def _counts(self, start: int, decoded: list[Timed], guard: int, strict: bool) -> list[int]:
        """Numbers of decoded words to keep before a cut: quiet long pauses first, then the latest.

        The last decoded word is never kept (the window may have cut it short), nor anything
        ending after `guard`; `strict` also drops the words from the first loud gap on, and the
        word before it.
        """
        min_pause = int(self.opts.min_pause_seconds * FRAME_RATE)
        starts = [sf for _, sf, _ in decoded]
        ends = [start - 1] + [ef for _, _, ef in decoded]  # ends[i]: the frame before word i's gap
        keep = len(decoded) - 1
        if strict:
            loud = [i for i in range(len(decoded)) if self._loud(ends[i] + 1, starts[i])]
            keep = min([keep] + [i - 1 for i in loud[:1]])
        # A good cut is a pause the audio confirms: quiet, not speech the decoder put aside.
        cuts = [(starts[n] - ends[n] - 1 >= min_pause and not self._loud(ends[n] + 1, starts[n]), ends[n], n)
                for n in range(1, keep + 1) if ends[n] < guard]
        return [n for _, _, n in sorted(cuts, reverse=True)]

    def _run(self, tokens: list[str], info: dict[str, Any]) -> list[Timed]:
        """Align the tokens span by span (see the module doc)."""
        total = len(self._samples) // HOP
        window = int(self.opts.max_chunk_seconds * FRAME_RATE)
        timed: list[Timed] = []
        start, lo, size = 0, 0, window
        while total - start > size and lo < len(tokens) - 1:
            end = start + size
            guard = end - min(200, size // 4)  # kept words end before this: the window may cut the next
            decoded, counts, sound = self._cuts(start, end, guard, tokens, lo, info)
            if not counts:  # no safe cut in this window: widen it (ends at the audio's end at the latest)
                size = int(size * 1.5)
                continue
            n, cut, got, ok = self._cut(start, decoded, counts, tokens, info)
            if not ok and (got is None or not sound):
                # No cut aligns, or the decode is lost: maybe the last span took a word too few.
                decoded2, counts2, _ = self._cuts(start, end, guard, tokens, lo, info, skip=True)
                if counts2 and decoded2[0][0] > lo:
                    n2, cut2, got2, ok = self._cut(start, decoded2, counts2, tokens, info)
                    if ok:
                        decoded, n, cut, got = decoded2, n2, cut2, got2
            if not ok and not sound:  # the decode is lost early: take the smallest step to a fresh window
                n = min(counts)
                cut = (decoded[n - 1][2] + 1 + decoded[n][1]) // 2
                got = self._align_span(start, cut, tokens, decoded[0][0], decoded[n - 1][0] + 1, info)
            got = got or self._fallback(decoded[:n], info)
            info["skipped"] += decoded[0][0] - lo
            info["segments"] += 1
            timed += got
            start, lo, size = cut, decoded[n - 1][0] + 1, window
        got = self._align_span(start, total, tokens, lo, len(tokens), info)
        if got is None:
            got = self._fallback(self._decode_prefix(start, total, tokens, lo, 1), info)
        info["segments"] += 1
        return timed + got

    def _cut(self, start: int, decoded: list[Timed], counts: list[int], tokens: list[str],
             info: dict[str, Any]) -> tuple[int, int, list[Timed] | None, bool]:
        """The first of three cuts whose span aligns exactly with quiet gaps, as (words kept, cut
        frame, alignment, True); else the first that aligns at all, or the first, with False."""
        # The best cut, then ones keeping at most 60% as many words: a lag that began in the
        # window's second half leaves an earlier cut intact.
        tries = [counts[0]]
        for n in counts[1:]:
            if len(tries) < 3 and n <= 0.6 * tries[-1]:
                tries.append(n)
        results = []
        for n in tries:
            cut = (decoded[n - 1][2] + 1 + decoded[n][1]) // 2  # the middle of the pause
            got = self._align_span(start, cut, tokens, decoded[0][0], decoded[n - 1][0] + 1, info)
            if got is not None and self._quiet_gaps(got, start, cut):
                return n, cut, got, True
            results.append((n, cut, got, False))
        return next((r for r in results if r[2] is not None), results[0])

    def _quiet_gaps(self, got: list[Timed], start: int, end: int) -> bool:
        """Whether no gap of an alignment of frames [start, end), before, between or after its
        words, is loud: a span whose text and audio do not match puts speech aside there."""
        ends = [start - 1] + [ef for _, _, ef in got]
        starts = [sf for _, sf, _ in got] + [end]
        return not any(self._loud(a + 1, b) for a, b in zip(ends, starts))

    def _align_span(self, start: int, end: int, tokens: list[str], lo: int, hi: int,
                    info: dict[str, Any]) -> list[Timed] | None:
        """Force-align frames [start, end) to tokens[lo:hi], with louder noise after a failure."""
        want = tokens[lo:hi]
        for level in range(self._level, len(self.opts.noise_floors_db) + 1):
            if level > self._level:
                info["retries"] += 1
            self.decoder.set_align_text(" ".join(want))
            segs = self._decode(start, end, level)
            # A lost path comes back as None or as a partial segmentation.
            if segs is not None and [w for w, _, _ in segs] == want:
                self._level = min(level, 1)  # louder levels are a rescue, worse for alignment
                return [(lo + j, sf, ef) for j, (_, sf, ef) in enumerate(segs)]
        return None

    def _fallback(self, decoded: list[Timed], info: dict[str, Any]) -> list[Timed]:
        """A span no noise level aligns keeps what the window decode found, or fails the example."""
        if not self.opts.fallback:
            where = f"words {decoded[0][0]}-{decoded[-1][0]}" if decoded else "the transcript"
            raise RuntimeError(f"no noise level aligns {where}")
        info["fallback_words"] += len(decoded)
        return decoded


def _fill_gaps(times: list[tuple[float, float] | None], duration: float) -> list[tuple[float, float]]:
    """Words without a time share the gap between their timed neighbours (or the audio's ends)."""
    out: list[tuple[float, float]] = []
    i = 0
    while i < len(times):
        if times[i] is not None:
            out.append(times[i])  # type: ignore[arg-type]
            i += 1
            continue
        j = i
        while j < len(times) and times[j] is None:
            j += 1
        a = out[-1][1] if out else 0.0
        b = times[j][0] if j < len(times) else duration  # type: ignore[index]
        b = max(a, b)
        n = j - i
        out += [(a + (b - a) * k / n, a + (b - a) * (k + 1) / n) for k in range(n)]
        i = j
    return out


def _kth(example: Example, words: list[str], events: list[Event]) -> Event | Failure:
    """The event of the k-th occurrence of the asked word (word_single)."""
    labels = example.metadata.get("labels") or []
    k = example.metadata.get("k", 1)
    if len(labels) != 1 or not isinstance(k, int) or k < 1:
        return Failure("method_error", f"pocketsphinx: word_single needs labels=[word] and k >= 1, got {labels!r}, {k}")
    target = normalize(labels[0])
    hits = [e for w, e in zip(words, events) if normalize(w) == target]
    if len(hits) < k:
        return Failure("method_error", f"pocketsphinx: {labels[0]!r} occurs {len(hits)} times in the transcript, "
                                       f"asked for occurrence {k}")
    return Event(labels[0], hits[k - 1].onset, hits[k - 1].offset)


def make(options: dict[str, Any]) -> Method:
    return PocketsphinxAlign(options)
