"""Readers and writers for the reference formats the scorers consume.

Every reader returns ``{uri: [Event, ...]}`` (or UEM regions / durations per uri) and raises
``ValueError("<path>:<line>: <problem>")`` on malformed input, so a command line can report
the exact place without a traceback.

- RTTM (NIST): ``SPEAKER uri channel onset duration <NA> <NA> speaker <NA> [<NA>]``;
  label = speaker. Other record types (SPKR-INFO, ...) only register their uri.
- UEM (NIST): ``uri channel onset offset``; a uri may have several scored regions.
- Event TSV (DCASE / sed_eval): ``[filename [scene]] onset offset label``, optional header;
  a row holding only a filename declares a file with no events.
- Word JSON: ``{"uri": [{"word": w, "start": s, "end": e}, ...]}`` or a bare list (uri '').

Word alignments from other tools, read into the same ``{uri: [Event(word, start, end)]}``:
- Praat TextGrid (long or short format, any line endings), one interval tier, through praatio;
- pocketsphinx JSON: an utterance object with ``w: [{"b": begin, "d": duration, "t": word}]``,
  one per line; ``<sil>``, ``<s>``, ``</s>`` and ``[NOISE]`` are dropped, variants ``and(2)`` read ``and``;
- CTM (NIST): ``uri channel start duration word [confidence]``.
"""
from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from pyannote.core import Annotation, Segment, Timeline

from bench.types import Event

PathLike = str | Path

COMMENT_PREFIXES = (";", "#")
# RTTM stores durations, so an offset comes back as onset + duration with binary noise in the
# last bits; rounding to a nanosecond makes written-then-read events compare equal.
RTTM_TIME_DIGITS = 9
DCASE_HEADER = ("filename", "onset", "offset", "event_label")
# NIST RT-09 record types; anything else means the file is not RTTM.
RTTM_TYPES = frozenset({
    "SPEAKER", "SPKR-INFO", "SEGMENT", "NOSCORE", "NO_RT_METADATA", "LEXEME", "NON-LEX",
    "NON-SPEECH", "FILLER", "EDIT", "IP", "SU", "CB", "A/P",
})


def _fail(path: PathLike, line_no: int, message: str) -> ValueError:
    return ValueError(f"{path}:{line_no}: {message}")


def _time(text: str, what: str, path: PathLike, line_no: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _fail(path, line_no, f"{what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise _fail(path, line_no, f"{what} {text!r} is not finite")
    return value


def _span(onset_text: str, duration_text: str, path: PathLike, line_no: int) -> tuple[float, float]:
    """(onset, offset) of a record that stores a duration (RTTM, CTM)."""
    onset = _time(onset_text, "onset", path, line_no)
    duration = _time(duration_text, "duration", path, line_no)
    if duration < 0:
        raise _fail(path, line_no, f"negative duration {duration_text}")
    offset = round(onset + duration, RTTM_TIME_DIGITS)
    if not math.isfinite(offset):
        raise _fail(path, line_no, f"onset {onset_text} + duration {duration_text} is not finite")
    return onset, offset


def _lines(path: PathLike) -> Iterable[tuple[int, str]]:
    """Yield (1-based line number, line without its newline), skipping blanks and comments."""
    # Decoded line by line (not by the text layer's chunks) so a bad byte gets its line number.
    with open(path, "rb") as f:
        for line_no, raw in enumerate(f, start=1):
            try:
                # utf-8-sig drops the byte-order mark some editors put at the start of a file.
                line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                raise _fail(path, line_no, "not UTF-8 text") from None
            if not line.strip() or line.lstrip().startswith(COMMENT_PREFIXES):
                continue
            yield line_no, line


def _fmt(value: float) -> str:
    # repr is the shortest text that reads back as the same float.
    return repr(float(value))


def _check_token(text: str, what: str) -> None:
    if not text or any(c.isspace() for c in text):
        raise ValueError(f"{what} {text!r} must be non-empty and contain no whitespace")


# --- RTTM ---------------------------------------------------------------------------------


def read_rttm(path: PathLike) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = {}
    for line_no, line in _lines(path):
        fields = line.split()
        if len(fields) < 2:
            raise _fail(path, line_no, f"expected an RTTM record, got {line.strip()!r}")
        kind, uri = fields[0], fields[1]
        if kind not in RTTM_TYPES:
            raise _fail(path, line_no, f"unknown RTTM record type {kind!r}")
        events = out.setdefault(uri, [])
        if kind != "SPEAKER":
            continue
        if len(fields) < 8:
            raise _fail(path, line_no, f"SPEAKER record needs at least 8 fields, got {len(fields)}")
        events.append(Event(fields[7], *_span(fields[3], fields[4], path, line_no)))
    return out


def write_rttm(path: PathLike, uri_to_events: Mapping[str, Iterable[Event]]) -> None:
    lines = []
    for uri, events in uri_to_events.items():
        _check_token(uri, "uri")
        for e in events:
            _check_token(e.label, "speaker")
            if e.offset is None:
                raise ValueError(f"speaker turn {e} in {uri!r} has no offset; RTTM needs one")
            duration = round(e.offset - e.onset, RTTM_TIME_DIGITS)
            lines.append(
                f"SPEAKER {uri} 1 {_fmt(e.onset)} {_fmt(duration)} <NA> <NA> {e.label} <NA> <NA>\n"
            )
    Path(path).write_text("".join(lines), encoding="utf-8")


# --- UEM ----------------------------------------------------------------------------------


def read_uem(path: PathLike) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for line_no, line in _lines(path):
        fields = line.split()
        if len(fields) != 4:
            raise _fail(path, line_no, f"UEM record needs 4 fields (uri channel onset offset), got {len(fields)}")
        onset = _time(fields[2], "onset", path, line_no)
        offset = _time(fields[3], "offset", path, line_no)
        if offset < onset:
            raise _fail(path, line_no, f"offset {fields[3]} is before onset {fields[2]}")
        out.setdefault(fields[0], []).append((onset, offset))
    return out


def write_uem(path: PathLike, uri_to_regions: Mapping[str, Iterable[tuple[float, float]]]) -> None:
    lines = []
    for uri, regions in uri_to_regions.items():
        _check_token(uri, "uri")
        lines.extend(f"{uri} 1 {_fmt(on)} {_fmt(off)}\n" for on, off in regions)
    Path(path).write_text("".join(lines), encoding="utf-8")


# --- DCASE / sed_eval event lists ---------------------------------------------------------

# Column layout by field count when a file has no header.
_EVENT_LAYOUTS: dict[int, tuple[str, ...]] = {
    3: ("onset", "offset", "event_label"),
    4: ("filename", "onset", "offset", "event_label"),
    5: ("filename", "scene_label", "onset", "offset", "event_label"),
}


def _split_event_row(line: str) -> list[str]:
    # Labels such as "people speaking" contain spaces, so tabs win when present.
    fields = [f.strip() for f in line.split("\t")] if "\t" in line else line.split()
    while fields and not fields[-1]:
        fields.pop()
    return fields


def _is_header(fields: list[str]) -> bool:
    lowered = {f.lower() for f in fields}
    return "onset" in lowered and "offset" in lowered


def read_event_tsv(path: PathLike) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = {}
    header: list[str] | None = None
    for line_no, line in _lines(path):
        fields = _split_event_row(line)
        if header is None and not out and _is_header(fields):
            header = [f.lower() for f in fields]
            if "event_label" not in header:
                raise _fail(path, line_no, "header has no 'event_label' column")
            continue
        if len(fields) == 1:
            out.setdefault(fields[0], [])
            continue
        if header is not None:
            if len(fields) > len(header):
                raise _fail(path, line_no, f"{len(fields)} fields but the header names {len(header)}")
            row = dict(zip(header, fields))
        elif len(fields) in _EVENT_LAYOUTS:
            row = dict(zip(_EVENT_LAYOUTS[len(fields)], fields))
        else:
            raise _fail(
                path, line_no, f"expected 3, 4 or 5 fields ([filename [scene]] onset offset label), got {len(fields)}"
            )
        uri = row.get("filename", "")
        onset = _time(row.get("onset", ""), "onset", path, line_no)
        offset = _time(row.get("offset", ""), "offset", path, line_no)
        label = row.get("event_label", "")
        if not label:
            raise _fail(path, line_no, "missing event label")
        if offset < onset:
            raise _fail(path, line_no, f"offset {offset} is before onset {onset}")
        out.setdefault(uri, []).append(Event(label, onset, offset))
    return out


def write_event_tsv(path: PathLike, file_to_events: Mapping[str, Iterable[Event]]) -> None:
    lines = ["\t".join(DCASE_HEADER) + "\n"]
    for uri, events in file_to_events.items():
        events = list(events)
        if any(c in uri for c in "\t\n"):
            raise ValueError(f"filename {uri!r} contains a tab or newline")
        if not events:
            lines.append(f"{uri}\n")
        for e in events:
            if e.offset is None:
                raise ValueError(f"event {e} in {uri!r} has no offset; the DCASE format needs one")
            if not e.label or any(c in e.label for c in "\t\n"):
                raise ValueError(f"event label {e.label!r} is empty or contains a tab or newline")
            lines.append(f"{uri}\t{_fmt(e.onset)}\t{_fmt(e.offset)}\t{e.label}\n")
    Path(path).write_text("".join(lines), encoding="utf-8")


def read_durations(path: PathLike) -> dict[str, float]:
    """Read a ``filename<TAB>duration`` table (psds_eval metadata), header optional."""
    out: dict[str, float] = {}
    for line_no, line in _lines(path):
        fields = _split_event_row(line)
        if [f.lower() for f in fields] == ["filename", "duration"]:
            continue
        if len(fields) != 2:
            raise _fail(path, line_no, f"expected 2 fields (filename duration), got {len(fields)}")
        out[fields[0]] = _time(fields[1], "duration", path, line_no)
    return out


# --- word JSON ----------------------------------------------------------------------------


def _words_from_json(path: PathLike, uri: str, items: object) -> list[Event]:
    if not isinstance(items, list):
        raise ValueError(f"{path}: uri {uri!r}: expected a list of words")
    events = []
    for i, item in enumerate(items):
        where = f"{path}: uri {uri!r}, word #{i}"
        if not isinstance(item, dict) or "word" not in item or "start" not in item:
            raise ValueError(f"{where}: expected an object with 'word' and 'start'")
        try:
            onset = float(item["start"])
            end = item.get("end")
            offset = None if end is None else float(end)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{where}: 'start'/'end' must be numbers") from None
        if not math.isfinite(onset) or (offset is not None and not math.isfinite(offset)):
            raise ValueError(f"{where}: 'start'/'end' must be finite")
        events.append(Event(str(item["word"]), onset, offset))
    return events


def read_word_json(path: PathLike) -> dict[str, list[Event]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    except RecursionError:
        raise ValueError(f"{path}: invalid JSON: nested too deep") from None
    if isinstance(data, list):
        return {"": _words_from_json(path, "", data)}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object of uri -> words, or a list of words")
    return {str(uri): _words_from_json(path, str(uri), items) for uri, items in data.items()}


def write_word_json(path: PathLike, uri_to_words: Mapping[str, Iterable[Event]]) -> None:
    data = {
        uri: [
            {"word": e.label, "start": e.onset, **({} if e.offset is None else {"end": e.offset})}
            for e in events
        ]
        for uri, events in uri_to_words.items()
    }
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# --- word alignments from other tools ------------------------------------------------------

# What aligners write between words: silence, sentence marks, fillers and noises.
NON_WORDS = frozenset({"", "sil", "sp", "spn", "<sil>", "<s>", "</s>", "<unk>", "[noise]", "++garbage++"})


def is_word(label: str) -> bool:
    label = label.strip().lower()
    return label not in NON_WORDS and not (label.startswith("[") and label.endswith("]"))


def _base_word(token: str) -> str:
    """pocketsphinx marks pronunciation variants as word(2); the word is what a reference means."""
    return token[: token.index("(")] if token.endswith(")") and "(" in token else token


def _textgrid_text(path: PathLike) -> str:
    """The file's text as praatio reads it (UTF-16 when it has that BOM, else UTF-8)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise ValueError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("utf-16")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 or UTF-16 text") from None


# Short format: a quoted string (quotes doubled inside) or any other run of non-space characters.
_TG_TOKEN = re.compile(r'"(?:[^"]|"")*"|[^\s"]+')
_TG_LONG_SIZE = re.compile(r"^[ \t]*(?:intervals|points)[ \t]*:[ \t]*size[ \t]*=[ \t]*(\S+)", re.MULTILINE)


def _declared_sizes(data: str) -> list[str] | None:
    """How many intervals (or points) each tier declares, in file order; None for praatio's JSON.

    Decided the way praatio decides the format: short when it says so or has no ``item [``.
    """
    if data.lstrip().startswith("{"):
        return None
    if "ooTextFile short" in data or "item [" not in data:
        sizes = []
        for m in re.finditer(r'"(?:IntervalTier|TextTier)"', data):
            # class, name, xmin, xmax, size
            tokens = _TG_TOKEN.findall(data, m.start(), m.start() + 4096)[:5]
            sizes.append(tokens[4] if len(tokens) == 5 else "")
        return sizes
    return _TG_LONG_SIZE.findall(data)


def read_textgrid(path: PathLike, tier: str = "words") -> dict[str, list[Event]]:
    """The words of one interval tier; the uri is the file's stem.

    praatio's short-format parser silently drops the last interval of a file without a final
    newline, and stops at the first malformed entry; so the newline is added here, and a file
    whose tiers hold other than the number of entries they declare (``intervals: size``) is
    refused with its path.
    """
    from praatio import textgrid  # imported here: only corpus suites need it
    from praatio.utilities import textgrid_io

    data = _textgrid_text(path)
    if not data.endswith(("\n", "\r")):
        data += "\n"
    try:
        parsed = textgrid_io.parseTextgridStr(data, includeEmptyIntervals=True)
        declared = _declared_sizes(data)
        if declared is not None:
            read = [(t["name"], len(list(t["entries"]))) for t in parsed["tiers"]]
            if len(declared) != len(read):
                raise ValueError(f"{len(declared)} tier size(s) declared, {len(read)} tier(s) read")
            for (name, n), size in zip(read, declared):
                if size != str(n):
                    raise ValueError(f"tier {name!r} declares {size or 'no'} entries, {n} were read")
        with tempfile.TemporaryDirectory(prefix="framebench-textgrid-") as tmp:
            # praatio reads files only; the copy carries the final newline.
            copy = Path(tmp) / "grid.TextGrid"
            copy.write_text(data, encoding="utf-16")  # what praatio tries first
            grid = textgrid.openTextgrid(str(copy), includeEmptyIntervals=False)
    except Exception as e:  # praatio raises several types for malformed files
        raise ValueError(f"{path}: not a readable TextGrid: {' '.join(str(e).split())[:200]}") from None
    if tier not in grid.tierNames:
        raise ValueError(f"{path}: no tier {tier!r}; tiers: {', '.join(grid.tierNames)}")
    entries = grid.getTier(tier).entries
    if entries and not hasattr(entries[0], "end"):
        raise ValueError(f"{path}: tier {tier!r} is a point tier; words need an interval tier")
    words = [Event(e.label.strip(), float(e.start), float(e.end)) for e in entries if is_word(e.label)]
    if not all(math.isfinite(w.onset) and math.isfinite(w.offset) for w in words):
        raise ValueError(f"{path}: tier {tier!r} has a time that is not finite")
    return {Path(path).stem: words}


def read_pocketsphinx_json(path: PathLike) -> dict[str, list[Event]]:
    """Word segments of the utterances in a pocketsphinx JSON file; the uri is the file's stem."""
    words: list[Event] = []
    shape = "expected an utterance with 'w': [{'b': begin, 'd': duration, 't': word}]"
    for line_no, line in _lines(path):
        try:
            utterance = json.loads(line)
            segments = [(float(seg["b"]), float(seg["d"]), str(seg["t"])) for seg in utterance["w"]]
        except json.JSONDecodeError as e:
            raise _fail(path, line_no, f"invalid JSON: {e.msg}") from None
        except RecursionError:
            raise _fail(path, line_no, "invalid JSON: nested too deep") from None
        except (KeyError, TypeError, ValueError, OverflowError):
            raise _fail(path, line_no, shape) from None
        for begin, duration, token in segments:
            end = round(begin + duration, RTTM_TIME_DIGITS)
            if not (math.isfinite(begin) and math.isfinite(end)) or duration < 0:
                raise _fail(path, line_no, f"word {token[:40]!r}: begin {begin:g} and duration {duration:g} "
                                           "must be finite, the duration >= 0")
            if is_word(token):
                words.append(Event(_base_word(token), begin, end))
    return {Path(path).stem: sorted(words, key=lambda e: e.onset)}


def read_ctm(path: PathLike) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = {}
    for line_no, line in _lines(path):
        fields = line.split()
        if len(fields) < 5:
            raise _fail(path, line_no, f"CTM record needs 5 fields (uri channel start duration word), got {len(fields)}")
        span = _span(fields[2], fields[3], path, line_no)
        words = out.setdefault(fields[0], [])
        if is_word(fields[4]):
            words.append(Event(fields[4], *span))
    return out


# --- pyannote conversions -----------------------------------------------------------------


def to_annotation(events: Iterable[Event], uri: str) -> Annotation:
    annotation = Annotation(uri=uri)
    for track, e in enumerate(events):
        if e.offset is None:
            raise ValueError(f"event {e} in {uri!r} has no offset; a speaker turn needs one")
        # One track per event keeps overlapping turns of the same speaker distinct.
        annotation[Segment(e.onset, e.offset), track] = e.label
    return annotation


def to_timeline(regions: Iterable[tuple[float, float]], uri: str) -> Timeline:
    # Overlapping or repeated regions are one scored region: time is never scored twice.
    return Timeline([Segment(on, off) for on, off in regions], uri=uri).support()
