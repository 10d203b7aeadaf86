"""The token baseline's answer format: training targets and parsing of generated answers.

The token baseline (paper notes, "Token baseline") answers in JSON text. The same module writes
the training targets (`format_answer`) and reads what the model generated (`parse_answer`), so
the two cannot drift apart.

Formats, one fixed shape per task (compact JSON, fixed key order, times in seconds with exactly
two decimals, i.e. 10 ms):

===============  ==============================================================================
word_single      ``{"start":1.23}``
speaker_onset    ``{"start":1.23}``
event_onset      ``{"start":1.23}``
word_all         ``[{"word":"cat","start":0.31},{"word":"sat","start":0.72}]`` (transcript order)
diarization      ``[{"speaker":"A","start":0.50,"end":2.10},{"speaker":"B","start":1.80,...}]``
event_detection  ``[{"event":"dog","start":0.50,"end":2.10},...]``
===============  ==============================================================================

* Single-answer tasks write one bare object: the query names the word / speaker rank / event
  already, so echoing it only costs tokens. Their events get their label from
  ``example_labels[0]`` when the caller passes it (the label is not part of the answer).
* Span tasks (diarization, event_detection) are sorted by (start, end, label).
* Diarization speakers are anonymous, ``"A"``, ``"B"``, ... (then ``"AA"``, ``"AB"``, ...),
  named in order of first appearance: the model cannot know the voices' names, and DER is
  invariant to a relabelling of speakers.
* Onset tasks never write offsets, so a round trip keeps onsets only (``offset=None``).
* Empty lists are written as ``[]`` (an event_detection clip with none of the listed classes).

Parsing (`parse_answer`) never raises on any text; it tries, in order:

1. **JSON.** Scan each ``[`` / ``{`` left to right and decode with
   ``json.JSONDecoder.raw_decode``; the first value that gives at least one valid event wins,
   whatever prose or markdown fences surround it. A list of items or a single object is
   accepted; so are wrapper objects (``{"answer": [...]}``, up to 3 levels), ``[[...]]``,
   numbers written as strings (``"1.5"``, ``"1.5s"``, ``"0:01.50"``), and, for onset tasks,
   a plain list of numbers (``[0.31, 0.72]``: the "all timestamps" form of the paper; word_all
   labels then come from ``example_labels`` by position and ``words`` is None). Key synonyms
   (case-insensitive): start/onset/time/timestamp/start_time/onset_time;
   end/offset/end_time/offset_time/stop (or ``duration``); labels: word/label/text/token,
   speaker/label/spk/speaker_id/name, event/label/class/event_label/sound.
   A decoded value that yields nothing valid is skipped over whole (its inner brackets are not
   retried), which keeps the scan linear; at most ``MAX_JSON_ATTEMPTS`` brackets are tried
   (anything later is left to step 3). Every valid item of the winning value is kept, also
   for single-answer tasks (the harness counts extra answers; scoring matches by order).
2. **Cut-off list** (generation hit ``max_new_tokens``): when a ``[`` does not decode, its
   complete leading items are decoded one by one (``[{"word":"cat","start":1.2},{"word":"do``
   gives the ``cat`` item). A number that ends exactly at the end of the text is dropped, since
   it may itself be cut (``[0.31, 0.7``). ``recovered=True``.
3. **Key regex**: ``key: value`` pairs anywhere (single-quoted Python dicts, ``start=1.2``,
   ``Start: 1.2``, an object cut before its ``}``), grouped into items (a new item starts when a
   role (start, end, label) repeats), then validated like JSON items. ``recovered=True``.
4. **Bare numbers**, last resort, only for onset tasks, only when the text held no JSON value
   at all and no start-like key: numbers *with a decimal point* (``1.23``; not ``3rd``, ``2``,
   ``-1.5`` or the parts of ``0:01.5``). Single-answer tasks take the first one, word_all all of
   them in order. ``recovered=True``. Span tasks never use this (a bare number has no label and
   no end).

A value that is not a finite, non-negative number (a string like ``"soon"``, ``NaN``,
``Infinity``, ``1e999``, ``true``, ``null``, a list) makes its item invalid; ``-0.0`` is read as
``0.0``. A span whose end is before its start is invalid. Invalid items are dropped and noted in
``ParseResult.dropped``; when no valid item remains (and the answer was not an explicit empty
list) the result has ``Failure("unparsable", ...)`` naming why: the bad values, the keys seen,
and the start of the text. An explicit empty JSON list (``[]``, or a wrapper holding one) is a
valid, empty answer, provided no other bracket or brace lies outside it (so a stray ``[]`` in
garbage is not an answer).

Labels of parsed events: the label the model wrote (key synonyms above; a number is turned into
text), else from ``example_labels`` (single-answer tasks: the first; word_all: by position;
event_detection: only when the query lists a single class), else ``""`` for onset tasks. A
diarization turn without a speaker, or an event_detection span without a class, is invalid.
Event class names are mapped to the query's spelling when they match it up to case, spaces and
underscores ("dog bark" -> "Dog_bark"); other classes are kept as written (false alarms).
``words`` (word_all) lists the word of every object item, valid or not, in order.

Parsed times are kept as written (no rounding); only `format_answer` rounds to 10 ms.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bench.types import Event, Failure

__all__ = [
    "FORMATS",
    "ParseResult",
    "TaskFormat",
    "format_answer",
    "max_new_tokens",
    "parse_answer",
    "speaker_name",
]

START_KEYS = ("start", "onset", "time", "timestamp", "start_time", "onset_time")
END_KEYS = ("end", "offset", "end_time", "offset_time", "stop")
DURATION_KEYS = ("duration",)
_WORD_KEYS = ("word", "label", "text", "token")
_SPEAKER_KEYS = ("speaker", "label", "spk", "speaker_id", "name")
_EVENT_KEYS = ("event", "label", "class", "event_label", "sound")


@dataclass(frozen=True)
class TaskFormat:
    """How one task's answer is written and read."""

    task: str
    single: bool  # one bare {"start": t} object
    spans: bool  # items carry "end" too
    label_key: str | None  # key written for the label; None when the label is not written
    label_keys: tuple[str, ...]  # keys accepted for the label when parsing, in priority order
    item_tokens: int  # generation budget per answer item (see max_new_tokens)


FORMATS: dict[str, TaskFormat] = {
    "word_single": TaskFormat("word_single", True, False, None, _WORD_KEYS, 24),
    "speaker_onset": TaskFormat("speaker_onset", True, False, None, _SPEAKER_KEYS, 24),
    "event_onset": TaskFormat("event_onset", True, False, None, _EVENT_KEYS, 24),
    "word_all": TaskFormat("word_all", False, False, "word", _WORD_KEYS, 32),
    "diarization": TaskFormat("diarization", False, True, "speaker", _SPEAKER_KEYS, 40),
    "event_detection": TaskFormat("event_detection", False, True, "event", _EVENT_KEYS, 48),
}

# Generation budget (max_new_tokens). Per-item budgets are about twice a compact item's length
# in Qwen2-style tokens (digits are single tokens, a word 1-4 tokens), so that a model that adds
# spaces or longer labels is still not cut off; SLACK covers brackets, a fence, end of turn.
SLACK_TOKENS = 16
# Diarization's n_expected counts speakers, not turns; without a duration assume this many turns
# per speaker. With a duration, span tasks budget at least one item per second of audio.
TURNS_PER_SPEAKER = 8
SPANS_PER_SECOND = 1.0

# JSON scanning tries at most this many opening brackets (keeps adversarial text such as
# "[[[[..." cheap; a real answer is found within the first few). Text past that still goes
# through the key regex. Items of a cut-off list are not counted (their recovery is linear).
MAX_JSON_ATTEMPTS = 256
_MAX_DEPTH = 3  # wrapper objects / [[...]] unwrapped at most this deep
_MAX_REASONS = 3  # reasons quoted in a failure message


@dataclass
class ParseResult:
    events: list[Event] = field(default_factory=list)
    # word_all: the words the model emitted, in order (for WER); None when it emitted none
    # in word form (a plain list of numbers) and for the other tasks.
    words: list[str] | None = None
    failure: Failure | None = None
    # True when the answer was not a complete JSON value and a fallback (cut-off list,
    # key regex, bare numbers) found it.
    recovered: bool = False
    # Why items were dropped (invalid values, missing keys), even when others were kept.
    dropped: list[str] = field(default_factory=list)


def _format_of(task: str) -> TaskFormat:
    try:
        return FORMATS[task]
    except KeyError:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(FORMATS)}") from None


# --- writing ------------------------------------------------------------------------------


def _fmt_time(t: float) -> str:
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
        raise ValueError(f"times must be finite and non-negative, got {t!r}")
    return f"{float(t) + 0.0:.2f}"  # + 0.0 turns -0.0 into 0.0


def _fmt_label(label: str) -> str:
    return json.dumps(str(label), ensure_ascii=False)


def speaker_name(i: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA", 27 -> "AB", ... (spreadsheet column names)."""
    name = ""
    i += 1
    while i > 0:
        i, r = divmod(i - 1, 26)
        name = chr(ord("A") + r) + name
    return name


def format_answer(task: str, events: list[Event]) -> str:
    """The answer text the token baseline is trained to generate for `events`.

    Raises ValueError for an unknown task, a single-answer task given other than one event,
    a span task given an event without offset, or a negative / non-finite time.
    """
    fmt = _format_of(task)
    if fmt.single:
        if len(events) != 1:
            raise ValueError(f"{task} answers exactly one event, got {len(events)}")
        return '{"start":%s}' % _fmt_time(events[0].onset)
    if not fmt.spans:  # word_all: transcript order, as given
        items = ['{"%s":%s,"start":%s}' % (fmt.label_key, _fmt_label(e.label), _fmt_time(e.onset))
                 for e in events]
        return "[" + ",".join(items) + "]"
    for e in events:
        if e.offset is None:
            raise ValueError(f"{task} needs offsets; event {e!r} has none")
    ordered = sorted(events, key=lambda e: (e.onset, e.offset, str(e.label)))
    if task == "diarization":
        names: dict[str, str] = {}
        for e in ordered:
            names.setdefault(e.label, speaker_name(len(names)))
        labels = [names[e.label] for e in ordered]
    else:
        labels = [e.label for e in ordered]
    items = ['{"%s":%s,"start":%s,"end":%s}'
             % (fmt.label_key, _fmt_label(label), _fmt_time(e.onset), _fmt_time(e.offset))
             for label, e in zip(labels, ordered)]
    return "[" + ",".join(items) + "]"


def max_new_tokens(task: str, n_expected: int, duration_s: float | None = None,
                   cap: int | None = None) -> int:
    """Generation budget: SLACK_TOKENS + the task's per-item budget x the number of items.

    Items = n_expected (at least 1) for onset tasks. For span tasks n_expected is not the item
    count (diarization: speakers, so x TURNS_PER_SPEAKER; event_detection: the number of
    reference events, which the query does not state), so with `duration_s` the budget also
    covers SPANS_PER_SECOND items per second of audio. No cap by default (the paper used 4096):
    long-audio suites would otherwise measure truncation, not the model; pass `cap` to bound it.
    """
    fmt = _format_of(task)
    items = max(int(n_expected), 1)
    if fmt.spans:
        if task == "diarization":
            items *= TURNS_PER_SPEAKER
        if duration_s is not None and math.isfinite(duration_s) and duration_s > 0:
            items = max(items, math.ceil(duration_s * SPANS_PER_SECOND))
    budget = SLACK_TOKENS + fmt.item_tokens * items
    return budget if cap is None else min(budget, int(cap))


# --- reading ------------------------------------------------------------------------------


class _NonFinite:
    """What the decoder returns for the NaN / Infinity / -Infinity literals Python's json allows."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_DECODER = json.JSONDecoder(parse_constant=_NonFinite)
_OPEN = re.compile(r"[\[{]")
_WS = re.compile(r"\s*")
# An empty list counts as an answer only when no other bracket lies around it (not "[]" in garbage).
_OUTSIDE_JSON = re.compile(r"[\[\]{}]")
# A time written as a string: 1.5, .5, 1e1, 1.5s, 1.5 seconds, 0:01.5, 1:00:01.5. Bounded
# quantifiers: no backtracking blow-up.
_NUM_STR = re.compile(
    r"([-+]?(?:\d{1,15}(?:\.\d{0,15})?|\.\d{1,15})(?:[eE][-+]?\d{1,3})?)"
    r"[ \t]{0,3}(?:s|sec|secs|second|seconds)?"
)
_CLOCK_STR = re.compile(r"(?:(\d{1,3}):)?(\d{1,3}):(\d{1,2}(?:\.\d{1,15})?)")
# `key: value` / `key = value` pairs for the regex fallback. Every quantifier is bounded, so the
# work per starting position is constant and a scan is linear in the text length.
_KV = re.compile(
    r"""(?<![A-Za-z0-9_])["']?([A-Za-z_][A-Za-z0-9_]{0,30})["']?[ \t]{0,8}[:=][ \t]{0,8}"""
    r"""("(?:[^"\\\n]|\\.){0,200}"|'[^'\n]{0,200}'|[^\s,;{}\[\]"']{1,100})"""
)
# Bare decimal numbers for the last-resort fallback: not part of a word, a clock time, a version
# or a negative number; a sentence's full stop after it is fine.
_BARE = re.compile(r"(?<![\w.:\-])(\d{1,6}\.\d{1,6})(?!\d|\.\d|:\d)")


class _Item(NamedTuple):
    label: str | None
    onset: float
    offset: float | None


def _short(value: Any, limit: int = 40) -> str:
    if isinstance(value, _NonFinite):
        return value.name
    try:
        s = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # pragma: no cover - decoded JSON always dumps
        s = repr(value)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _to_time(value: Any) -> tuple[float | None, str | None]:
    """A JSON value as a time in seconds, or why it is not one."""
    if isinstance(value, bool):
        return None, f"{_short(value)} is a boolean, not a number"
    if isinstance(value, _NonFinite):
        return None, f"{value.name} is not a finite number"
    if isinstance(value, int):
        try:
            x = float(value)
        except OverflowError:
            return None, f"{_short(value)} is too large"
    elif isinstance(value, float):
        x = value
    elif isinstance(value, str):
        s = value.strip()
        m = _NUM_STR.fullmatch(s)
        if m:
            x = float(m.group(1))
        else:
            c = _CLOCK_STR.fullmatch(s)
            if not c:
                return None, f"{_short(value)} is not a number"
            x = int(c.group(1) or 0) * 3600 + int(c.group(2)) * 60 + float(c.group(3))
    elif value is None:
        return None, "null is not a number"
    else:
        return None, f"{_short(value)} is not a number"
    if not math.isfinite(x):
        return None, f"{_short(value)} is not a finite number"
    if x < 0:
        return None, f"{_short(value)} is negative"
    return x + 0.0, None  # -0.0 -> 0.0


def _label_of(keys: dict[str, Any], fmt: TaskFormat) -> str | None:
    for k in fmt.label_keys:
        v = keys.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return str(v)
    return None


def _keys_seen(keys: dict[str, Any]) -> str:
    if not keys:
        return "none (empty object)"
    shown = ", ".join(repr(k) for k in list(keys)[:8])
    return shown + (f" and {len(keys) - 8} more" if len(keys) > 8 else "")


def _dict_item(d: dict[str, Any], fmt: TaskFormat) -> tuple[_Item | None, str | None, str | None]:
    """(item, reason it is invalid, label it names)."""
    keys = {str(k).strip().lower(): v for k, v in d.items()}
    label = _label_of(keys, fmt)
    start_key = next((k for k in START_KEYS if k in keys), None)
    if start_key is None:
        return None, (f"no start time key (expected one of {', '.join(START_KEYS[:4])}); "
                      f"keys seen: {_keys_seen(keys)}"), label
    onset, why = _to_time(keys[start_key])
    if onset is None:
        return None, f'"{start_key}": {why}', label
    offset = None
    if fmt.spans:
        end_key = next((k for k in END_KEYS if k in keys), None)
        dur_key = next((k for k in DURATION_KEYS if k in keys), None)
        if end_key is not None:
            offset, why = _to_time(keys[end_key])
            if offset is None:
                return None, f'"{end_key}": {why}', label
        elif dur_key is not None:
            duration, why = _to_time(keys[dur_key])
            if duration is None:
                return None, f'"{dur_key}": {why}', label
            offset = onset + duration
            if not math.isfinite(offset):  # 1e308 + 1e308
                return None, f'"{dur_key}": start + duration is not a finite number', label
        else:
            return None, (f"no end time key (expected one of {', '.join(END_KEYS[:2])}); "
                          f"keys seen: {_keys_seen(keys)}"), label
        if offset < onset:
            return None, f"end {offset:g} is before start {onset:g}", label
    return _Item(label, onset, offset), None, label


def _norm_label(s: str) -> str:
    return " ".join(s.replace("_", " ").lower().split())


@dataclass
class _Outcome:
    events: list[Event] = field(default_factory=list)
    words: list[str] | None = None
    reasons: list[str] = field(default_factory=list)
    empty: bool = False  # an explicit empty list
    starts: int = 0  # items that named a start time (regex fallback: whether to go on)


def _collect(items: list[Any], fmt: TaskFormat, labels: list[str] | None) -> _Outcome:
    out = _Outcome()
    words: list[str] = []
    any_dict = False
    canon = {_norm_label(str(x)): str(x) for x in labels or []}
    for i, raw in enumerate(items):
        where = f"item {i + 1}" if len(items) > 1 else "the item"
        if isinstance(raw, dict):
            any_dict = True
            item, why, label = _dict_item(raw, fmt)
            if label is not None:
                words.append(label)
            if item is not None or not (why or "").startswith("no start"):
                out.starts += 1
        elif fmt.spans:
            item, why = None, f"{_short(raw)} is not an object with start and end"
        elif isinstance(raw, list):
            item, why = None, f"{_short(raw)} is a list, not a time"
        else:
            onset, why = _to_time(raw)
            item = None if onset is None else _Item(None, onset, None)
            out.starts += 1
        if item is None:
            out.reasons.append(f"{where}: {why}")
            continue
        label = item.label
        if label is None:
            if fmt.single:
                label = str(labels[0]) if labels else ""
            elif fmt.task == "word_all":
                label = str(labels[i]) if labels and i < len(labels) else ""
            elif fmt.task == "event_detection" and labels and len(labels) == 1:
                label = str(labels[0])
            else:
                keys = ", ".join(fmt.label_keys[:2])
                out.reasons.append(f"{where}: no label (expected one of {keys})")
                continue
        if fmt.task in ("event_detection", "event_onset") and canon:
            label = canon.get(_norm_label(label), label)
        out.events.append(Event(label, item.onset, item.offset))
    if fmt.task == "word_all" and any_dict:
        out.words = words
    return out


def _has_start(d: dict[str, Any]) -> bool:
    return any(str(k).strip().lower() in START_KEYS for k in d)


def _interpret(value: Any, fmt: TaskFormat, labels: list[str] | None, depth: int = 0) -> _Outcome:
    if isinstance(value, dict):
        if not _has_start(value) and depth < _MAX_DEPTH:
            for v in value.values():  # a wrapper: {"answer": [...]}, {"result": {...}}
                if isinstance(v, (list, dict)):
                    sub = _interpret(v, fmt, labels, depth + 1)
                    if sub.events or sub.empty:
                        return sub
        items: list[Any] = [value]
    elif isinstance(value, list):
        if len(value) == 1 and isinstance(value[0], list) and depth < _MAX_DEPTH:
            return _interpret(value[0], fmt, labels, depth + 1)
        items = value
    else:  # pragma: no cover - the scan only starts at [ or {
        items = [value]
    if not items:
        out = _Outcome(empty=True)
        if fmt.task == "word_all":
            out.words = []
        return out
    return _collect(items, fmt, labels)


def _recover_list(text: str, i: int) -> tuple[list[Any], int]:
    """The complete leading items of a list at text[i] that does not decode (cut off).

    Linear: each item is decoded once, moving forward; the first item that fails ends it.
    """
    items: list[Any] = []
    n = len(text)
    j = _WS.match(text, i + 1).end()
    while j < n:
        try:
            value, end = _DECODER.raw_decode(text, j)
        except Exception:
            break
        if end >= n and not isinstance(value, (dict, list, str)):
            break  # a number (or literal) at the very end may itself be cut: 1.2 of 1.25
        items.append(value)
        j = _WS.match(text, end).end()
        if j < n and text[j] == ",":
            j = _WS.match(text, j + 1).end()
            continue
        break
    return items, j


def _unquote(v: str) -> str:
    if v.startswith('"'):
        try:
            return json.loads(v)
        except Exception:
            return v[1:-1]
    if v.startswith("'"):
        return v[1:-1]
    return v


def _kv_items(text: str, fmt: TaskFormat) -> tuple[list[dict[str, Any]], list[str]]:
    """Pseudo-objects from `key: value` pairs, and the unrecognised keys seen."""
    roles: dict[str, str] = {k: "start" for k in START_KEYS}
    roles.update({k: "end" for k in END_KEYS + DURATION_KEYS})
    roles.update({k: "label" for k in fmt.label_keys})
    items: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    current_roles: set[str] = set()
    other: list[str] = []
    for m in _KV.finditer(text):
        key = m.group(1).lower()
        role = roles.get(key)
        if role is None:
            if key not in other and len(other) < 8:
                other.append(key)
            continue
        if role in current_roles:
            items.append(current)
            current, current_roles = {}, set()
        current[key] = _unquote(m.group(2))
        current_roles.add(role)
    if current:
        items.append(current)
    return items, other


def _fail(message: str, text: str) -> ParseResult:
    snippet = text.strip()[:60]
    return ParseResult(failure=Failure("unparsable", f"{message} (answer starts {snippet!r})"))


def _summarize(reasons: list[str]) -> str:
    head = "; ".join(reasons[:_MAX_REASONS])
    more = len(reasons) - _MAX_REASONS
    return head + (f"; and {more} more invalid item(s)" if more > 0 else "")


def parse_answer(task: str, text: str, example_labels: list[str] | None = None) -> ParseResult:
    """Events from a generated answer; see the module docstring for the rules.

    `example_labels` are the labels the query names (`Example.metadata["labels"]`): the label of
    single-answer tasks, word_all's words by position for a plain list of numbers, and the
    canonical spelling of event classes. Never raises on any `text` (ValueError for an unknown
    task only).
    """
    fmt = _format_of(task)
    try:
        return _parse(fmt, text, list(example_labels) if example_labels else None)
    except Exception as e:  # pragma: no cover - a bug; still an answer, not a crash
        return ParseResult(failure=Failure("unparsable", f"parser error {type(e).__name__}: {e}"))


def _parse(fmt: TaskFormat, text: str, labels: list[str] | None) -> ParseResult:
    if not isinstance(text, str):
        return ParseResult(failure=Failure("unparsable", f"answer is {type(text).__name__}, not text"))
    if not text.strip():
        return ParseResult(failure=Failure("unparsable", "empty answer"))

    # 1-2. JSON values, and complete items of a cut-off list.
    attempts = MAX_JSON_ATTEMPTS
    json_reasons: list[str] = []
    decoded_any = False
    empty: _Outcome | None = None
    pos = 0
    while attempts > 0:
        m = _OPEN.search(text, pos)
        if m is None:
            break
        i = m.start()
        attempts -= 1
        try:
            value, end = _DECODER.raw_decode(text, i)
        except Exception:  # JSONDecodeError, RecursionError, int too long, ...
            if text[i] == "[":
                items, stop = _recover_list(text, i)
                if items:
                    decoded_any = True
                    out = _collect(items, fmt, labels)
                    if out.events:
                        return ParseResult(out.events, out.words, None, True, out.reasons)
                    json_reasons.extend(out.reasons)
                    pos = max(stop, i + 1)
                    continue
            pos = i + 1
            continue
        decoded_any = True
        out = _interpret(value, fmt, labels)
        if out.events:
            return ParseResult(out.events, out.words, None, False, out.reasons)
        if (out.empty and empty is None and _OUTSIDE_JSON.search(text, 0, i) is None
                and _OUTSIDE_JSON.search(text, end) is None):
            empty = out
        json_reasons.extend(out.reasons)
        pos = end
    if empty is not None:
        return ParseResult([], empty.words, None, False, json_reasons)

    # 3. key: value pairs.
    kv, other_keys = _kv_items(text, fmt)
    kv_out = _collect(kv, fmt, labels) if kv else _Outcome()
    if kv_out.events:
        return ParseResult(kv_out.events, kv_out.words, None, True, kv_out.reasons)

    # 4. Bare decimal numbers, onset tasks only, when nothing structured was there.
    if not fmt.spans and not decoded_any and kv_out.starts == 0:
        numbers = [float(m.group(1)) for m in _BARE.finditer(text)]
        if numbers:
            if fmt.single:
                numbers = numbers[:1]
            out = _collect(numbers, fmt, labels)
            if out.events:
                return ParseResult(out.events, None, None, True, out.reasons)

    if json_reasons:
        return _fail(f"no valid item in the JSON answer: {_summarize(json_reasons)}", text)
    if kv_out.reasons:
        return _fail(f"no valid item: {_summarize(kv_out.reasons)}", text)
    if decoded_any:
        return _fail("the JSON in the answer holds no answer items", text)
    what = ("no start/end keys" if fmt.spans
            else "no start-like key and no timestamp (a number with a decimal point)")
    seen = f"; keys seen: {', '.join(repr(k) for k in other_keys)}" if other_keys else ""
    return _fail(f"no JSON answer, {what} found{seen}", text)
