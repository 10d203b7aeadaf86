"""Property-based fuzzing (Hypothesis) of what users and models feed the harness (issue 11).

- the answer parser of every task (`baselines.answer_format.parse_answer`), and a parsed answer
  scored as the runner scores it;
- every annotation reader of `bench.data.formats`;
- the suite loader (`bench.suite.load_suite`).

Property: every input gives a result or a recorded failure / a one-line error of the type the
code documents (ValueError naming the file for the readers, ConfigError naming the file for
suites; the parser never raises), never another exception, a hang (a watchdog per example) or a
non-finite time reaching a metric.

Deterministic (derandomize, no example database) with FUZZ_EXAMPLES examples per property,
200 by default; set FRAMEBENCH_FUZZ_EXAMPLES for a longer run, e.g.
``FRAMEBENCH_FUZZ_EXAMPLES=20000 python -m pytest -q tests/test_fuzz.py -s``. With ``-s`` the
outcomes of every property are printed at the end.
"""
from __future__ import annotations

import json
import math
import os
import re
import signal
import string
import tempfile
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from baselines.answer_format import DURATION_KEYS, END_KEYS, FORMATS, START_KEYS, parse_answer
from bench.data import formats
from bench.errors import ConfigError
from bench.runner import WorkItem, score_row
from bench.suite import MAX_DURATION_S, MAX_EXAMPLES, TOP_LEVEL, load_suite
from bench.types import AudioRef, Event, Example, Failure, Prediction

FUZZ_EXAMPLES = int(os.environ.get("FRAMEBENCH_FUZZ_EXAMPLES", "200"))
# Seconds one example may take before it counts as a hang (scoring a row builds pyannote and
# sed_eval objects; a busy CI machine is slow).
WATCHDOG_S = 30

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,  # the watchdog bounds time instead: wall time on shared machines is noisy
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
# Scoring rows is a hundred times slower than parsing; fewer examples for that property.
FUZZ_SCORING = settings(FUZZ, max_examples=max(20, FUZZ_EXAMPLES // 4))

OUTCOMES: dict[str, Counter] = defaultdict(Counter)


@pytest.fixture(scope="module", autouse=True)
def report_outcomes() -> Iterator[None]:
    yield
    for name, counts in sorted(OUTCOMES.items()):
        total = sum(counts.values())
        print(f"\nfuzz {name}: {total} inputs: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))


class Hang(Exception):
    pass


@contextmanager
def watchdog(seconds: float = WATCHDOG_S) -> Iterator[None]:
    def fire(signum: int, frame: Any) -> None:
        raise Hang(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def one_line(message: str) -> bool:
    return bool(message) and "\n" not in message and "\r" not in message


# --- the answer parser -----------------------------------------------------------------------

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1.0, max_value=100.0),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1e8, 1e20, 1e300, 1e308, -0.0, 99999999999999999999, 10**400]),
)
# Times no audio has: they must fail the answer, overflow nothing, and allocate nothing.
HUGE = st.sampled_from([1e8, 1e20, 1.7e308, 1e308, 1e308, 10**400])
TIME_TEXT = st.one_of(
    NUMBERS.map(repr),
    st.sampled_from(["1.5s", "0:01.50", "1:00:01.5", " 2.25 seconds", "soon", "", "NaN", "1e999", "-1", "1,5"]),
)
KEYS = st.sampled_from(START_KEYS + END_KEYS + DURATION_KEYS + ("word", "speaker", "event", "label", "class",
                                                               "text", "spk", "answer", "result", "x"))
LEAF = st.one_of(NUMBERS, TIME_TEXT, st.text(max_size=12), st.none(), st.booleans())
JSON_VALUES = st.recursive(
    LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(KEYS | st.text(max_size=6), inner, max_size=5)),
    max_leaves=30,
)
ITEMS = st.lists(st.dictionaries(KEYS, LEAF, max_size=5), max_size=8)


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, OverflowError):  # pragma: no cover - allow_nan is on; huge ints dump fine
        return repr(value)


@st.composite
def answers(draw: st.DrawFn) -> str:
    """Model answers: JSON items with every key synonym and bad values, wrapped in prose or
    fences, cut off, or plain noise."""
    kind = draw(st.sampled_from(["spans", "spans", "near", "near", "items", "value", "text", "kv", "bare"]))
    if kind == "spans":  # well-formed items whose times may be absurd (their sum overflowing)
        item = st.fixed_dictionaries({
            draw(st.sampled_from(["speaker", "event", "label"])): st.sampled_from(["A", "B", "dog", "cat"]),
            "start": HUGE | NUMBERS,
            draw(st.sampled_from(["end", "duration"])): HUGE | NUMBERS,
        })
        body = _dumps(draw(st.lists(item, min_size=1, max_size=6)))
    elif kind == "near":  # the shape every task expects, with keys and values drawn from the bad ones
        item = st.fixed_dictionaries({
            draw(st.sampled_from(["word", "speaker", "event", "label"])): st.sampled_from(["A", "dog", "cat", ""]) | LEAF,
            draw(st.sampled_from(START_KEYS)): NUMBERS | TIME_TEXT | HUGE,
            draw(st.sampled_from(END_KEYS + DURATION_KEYS)): NUMBERS | TIME_TEXT | HUGE,
        })
        body = _dumps(draw(st.lists(item, max_size=6)))
    elif kind == "items":
        body = _dumps(draw(ITEMS))
    elif kind == "value":
        body = _dumps(draw(JSON_VALUES))
    elif kind == "kv":
        pairs = draw(st.lists(st.tuples(KEYS, TIME_TEXT | st.text(max_size=8)), max_size=8))
        sep = draw(st.sampled_from([": ", "=", " : ", ":"]))
        body = ", ".join(f"{k}{sep}{v}" for k, v in pairs)
    elif kind == "bare":
        body = " ".join(draw(st.lists(TIME_TEXT | st.text(max_size=5), max_size=10)))
    else:
        body = draw(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('[]{}":,.0123456789e-'),
                            max_size=200))
    if draw(st.booleans()):
        body = body[: draw(st.integers(min_value=0, max_value=len(body)))]  # generation cut off
    prefix = draw(st.sampled_from(["", "Answer: ", "```json\n", "[[", "{\"answer\": ", "Sure!\n"]))
    suffix = draw(st.sampled_from(["", "\n```", "]]", "}", " Hope this helps.", "\x00\ud800"]))
    return prefix + body + suffix


def check_parsed(task: str, result: Any) -> None:
    assert result.failure is None or isinstance(result.failure, Failure)
    if result.failure is not None:
        assert result.failure.kind == "unparsable" and not result.events
    for e in result.events:
        assert isinstance(e, Event) and isinstance(e.label, str)
        assert math.isfinite(e.onset) and e.onset >= 0, e
        if FORMATS[task].spans:
            assert e.offset is not None and math.isfinite(e.offset) and e.offset >= e.onset, e
        else:
            assert e.offset is None


@pytest.mark.parametrize("task", sorted(FORMATS))
@FUZZ
@given(text=answers(), labels=st.none() | st.lists(st.text(max_size=8), max_size=4))
# Found before (issue 11): always tried, whatever the draw.
@example(text='[{"speaker": "A", "start": 99999999999999999999, "duration": 1e308}]', labels=None)
@example(text='[{"label": "dog", "start": 1e308, "duration": 1e308}]', labels=["dog"])
@example(text='[{"speaker": "A", "start": 1.0, "end": 1e8}]', labels=None)
def test_fuzz_answer_parser_never_raises_and_gives_finite_times(task: str, text: str, labels: list[str] | None) -> None:
    with watchdog():
        result = parse_answer(task, text, labels)
    check_parsed(task, result)
    OUTCOMES[f"parse_answer[{task}]"]["failure" if result.failure else "events" if result.events else "empty"] += 1


DURATION = 10.0
_REFERENCE = {
    "word_single": [Event("cat", 1.0)],
    "speaker_onset": [Event("spk2", 2.0)],
    "event_onset": [Event("dog", 3.0)],
    "word_all": [Event("cat", 1.0), Event("sat", 2.0)],
    "diarization": [Event("spk1", 0.5, 4.0), Event("spk2", 4.5, 9.0)],
    "event_detection": [Event("dog", 1.0, 2.0), Event("cat", 5.0, 7.5)],
}


@st.composite
def span_answers(draw: st.DrawFn, task: str) -> str:
    """Well-formed answers with times anywhere from sensible to absurd."""
    time = st.one_of(st.floats(min_value=0, max_value=2 * DURATION), st.floats(min_value=0, max_value=1e12),
                     st.sampled_from([1e8, 1e20, 1e300, 1e308, 99999999999999999999]))
    fmt = FORMATS[task]
    key = fmt.label_key or "label"
    items = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(time)
        item = {key: draw(st.sampled_from(["A", "B", "dog", "cat", "sat"])), "start": start}
        if fmt.spans:
            item["end" if draw(st.booleans()) else "duration"] = draw(time)
        items.append(item)
    return _dumps(items[0] if fmt.single and items else items)


KNOWN_ANSWERS = [  # found before (issue 11, item 5)
    '[{"speaker": "A", "start": 99999999999999999999, "duration": 1e308}]',
    '[{"label": "A", "start": 1.0, "end": 1e8}]',
    '[{"label": "A", "start": 1e6, "end": 1e6}]',
    '[{"label": "A", "start": NaN, "end": Infinity}]',
]


@pytest.mark.parametrize("task", sorted(FORMATS))
@FUZZ_SCORING
@given(data=st.data())
def test_fuzz_scoring_a_parsed_answer_never_raises(task: str, data: st.DataObject) -> None:
    text = data.draw(st.one_of(st.sampled_from(KNOWN_ANSWERS), span_answers(task), span_answers(task), answers(),
                               answers()))
    labels = sorted({e.label for e in _REFERENCE[task]})
    example = Example(f"{task}/x", task, AudioRef("x.wav", 16000, DURATION), "?", _REFERENCE[task],
                      len(labels) if task == "diarization" else len(_REFERENCE[task]), {"labels": labels})
    parsed = parse_answer(task, text, labels)
    prediction = Prediction(events=parsed.events, raw_text=text, failure=parsed.failure)
    with watchdog():
        row = score_row("token-hf", WorkItem(example, DURATION, task), prediction, {})
    json.dumps(row)  # recordable
    kind = (row["prediction"]["failure"] or {}).get("kind") or "scored"
    if kind == "out_of_range":
        assert row["health"]["out_of_range"] and not row["prediction"]["events"]
    for e in row["prediction"]["events"]:  # what the metrics saw
        assert all(math.isfinite(t) and t <= 10 * DURATION + 60 for t in (e["onset"], e["offset"] or 0.0))
    OUTCOMES[f"score_row[{task}]"][kind] += 1


# --- annotation readers ----------------------------------------------------------------------

SAMPLES = {
    "rttm": "SPEAKER f1 1 0.50 1.25 <NA> <NA> spkA <NA> <NA>\nSPKR-INFO f1 1 <NA> <NA> <NA> unknown spkA <NA>\n"
            "SPEAKER f1 1 2.0 0.5 <NA> <NA> spkB <NA> <NA>\n",
    "uem": "f1 1 0.0 30.0\nf2 1 1.5 9.25\n",
    "event_tsv": "filename\tonset\toffset\tevent_label\na.wav\t0.5\t1.5\tdog bark\nb.wav\nc.wav\t2\t3\tcat\n",
    "durations": "filename\tduration\na.wav\t10.0\nb.wav\t12.5\n",
    "word_json": '{"u1": [{"word": "cat", "start": 0.3, "end": 0.6}, {"word": "sat", "start": 0.7}]}\n',
    "pocketsphinx": '{"b":0.0,"d":1.0,"t":"a cat","w":[{"b":0.0,"d":0.2,"t":"<sil>"},{"b":0.2,"d":0.3,"t":"a"},'
                    '{"b":0.5,"d":0.4,"t":"cat(2)"}]}\n',
    "ctm": "u1 1 0.30 0.25 cat 0.9\nu1 1 0.70 0.20 sat\nu1 1 1.0 0.1 <sil>\n",
    "textgrid": 'File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n2\n<exists>\n1\n"IntervalTier"\n'
                '"words"\n0\n2\n3\n0\n0.5\n"hello"\n0.5\n1.0\n""\n1.0\n2\n"world"\n',
    "textgrid_long": 'File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = 2\ntiers? <exists>\n'
                     'size = 1\nitem []:\n    item [1]:\n        class = "IntervalTier"\n        name = "words"\n'
                     '        xmin = 0\n        xmax = 2\n        intervals: size = 2\n        intervals [1]:\n'
                     '            xmin = 0\n            xmax = 0.5\n            text = "hello"\n'
                     '        intervals [2]:\n            xmin = 1.0\n            xmax = 2\n            text = "world"\n',
}
READERS: dict[str, Callable[[Path], Any]] = {
    "rttm": formats.read_rttm,
    "uem": formats.read_uem,
    "event_tsv": formats.read_event_tsv,
    "durations": formats.read_durations,
    "word_json": formats.read_word_json,
    "pocketsphinx": formats.read_pocketsphinx_json,
    "ctm": formats.read_ctm,
    "textgrid": formats.read_textgrid,
    "textgrid_long": formats.read_textgrid,
}
BAD_NUMBERS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "1e308", "1e999", "9" * 400, "-1", "-0.0",
               "1e20", "99999999999999999999", "", "x", "0x10", "1_0", "１", "1e-400"]
TOKENS = ["nan", "NaN", "inf", "-inf", "1e999", "-1", "0", "1e308", "99999999999999999999", "<NA>", "SPEAKER",
          '"', "\t", " ", "\n", "\r\n", "\r", "\x00", "\xff", "\ufeff", "\u2028", "{", "}", "[", "]", ",", ":",
          '"IntervalTier"', '"TextTier"', "intervals: size = 9", "é", "😀", "../", "-0.0", "1.5"]


@st.composite
def annotation_files(draw: st.DrawFn, kind: str) -> bytes:
    """A valid file of the kind, mutated (cut, spliced, tokens inserted), or plain noise."""
    how = draw(st.sampled_from(["mutate", "mutate", "mutate", "noise", "bytes", "valid"]))
    if how == "bytes":
        return draw(st.binary(max_size=300))
    if how == "noise":
        return "".join(draw(st.lists(st.sampled_from(TOKENS) | st.text(max_size=4), max_size=40))).encode(
            "utf-8", "surrogatepass")
    text = SAMPLES[kind]
    for _ in range(0 if how == "valid" else draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 12)))
        op = draw(st.sampled_from(["cut", "replace", "insert", "truncate", "duplicate", "number", "number", "numbers", "deep"]))
        numbers = list(re.finditer(r"-?\d+(?:\.\d+)?", text))
        if op == "number" and numbers:  # a time or count replaced by one that is not finite, huge, negative...
            m = numbers[draw(st.integers(0, len(numbers) - 1))]
            text = text[: m.start()] + draw(st.sampled_from(BAD_NUMBERS)) + text[m.end():]
        elif op == "numbers" and numbers:  # every number at once: 1e308 + 1e308 overflows
            bad = draw(st.sampled_from(BAD_NUMBERS))
            text = re.sub(r"-?\d+(?:\.\d+)?", lambda _: bad, text)
        elif op == "deep":
            text = text[:i] + draw(st.sampled_from(["[", "{", '{"w":[', "(("])) * draw(st.integers(100, 5000)) + text[i:]
        elif op == "cut":
            text = text[:i] + text[j:]
        elif op == "replace":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS) | st.text(max_size=6)) + text[i:]
        elif op == "truncate":
            text = text[:i]
        else:
            text = text[:j] + text[i:j] + text[j:]
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, "replace" if encoding == "latin-1" else "surrogatepass")


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="framebench-fuzz-") as d:
        yield Path(d)


def check_events(found: Any, kind: str) -> None:
    assert isinstance(found, dict)
    for key, values in found.items():
        assert isinstance(key, str)
        if kind == "durations":
            assert isinstance(values, float) and math.isfinite(values)
            continue
        assert isinstance(values, list)
        for v in values:
            if kind == "uem":
                onset, offset = v
                assert math.isfinite(onset) and math.isfinite(offset) and offset >= onset
                continue
            assert isinstance(v, Event) and isinstance(v.label, str)
            assert math.isfinite(v.onset), v
            assert v.offset is None or math.isfinite(v.offset), v


# Found before (issue 11): offsets that overflow, numbers too large for a float, NaN, nesting.
KNOWN_FILES: dict[str, list[bytes]] = {
    "rttm": [b"SPEAKER f1 1 1e308 1e308 <NA> <NA> spkA <NA> <NA>\n"],
    "ctm": [b"u1 1 1e308 1e308 cat\n"],
    "word_json": [b'{"u": [{"word": "a", "start": ' + b"9" * 400 + b"}]}", b"[" * 100_000],
    "pocketsphinx": [b'{"w": [{"b": NaN, "d": 0.1, "t": "a"}]}\n', b'{"w": [{"b": 1e308, "d": 1e308, "t": "a"}]}\n',
                     b'{"w": [{"b": ' + b"9" * 400 + b', "d": 1, "t": "a"}]}\n', b"[" * 100_000 + b"\n"],
    "textgrid": [SAMPLES["textgrid"].rstrip("\n").encode(), SAMPLES["textgrid"].replace("\n0\n0.5\n", "\n0\ninf\n").encode()],
}


@pytest.mark.parametrize("kind", sorted(READERS))
@FUZZ
@given(data=st.data())
def test_fuzz_annotation_readers_give_events_or_a_one_line_error(kind: str, scratch: Path, data: st.DataObject) -> None:
    known = KNOWN_FILES.get(kind)
    content = data.draw(st.one_of(st.sampled_from(known), *[annotation_files(kind)] * 4) if known
                        else annotation_files(kind))
    path = scratch / f"fuzz.{kind}"
    path.write_bytes(content)
    try:
        with watchdog():
            found = READERS[kind](path)
    except ValueError as e:  # the documented error: "<path>[:<line>]: <problem>"
        assert str(e).startswith(str(path)) and one_line(str(e)), repr(str(e))
        OUTCOMES[f"reader[{kind}]"]["ValueError"] += 1
        return
    check_events(found, kind)
    OUTCOMES[f"reader[{kind}]"]["read"] += 1


# --- the suite loader ------------------------------------------------------------------------

SUITE_SCALARS = st.one_of(
    st.sampled_from(["native", "..", ".", "oracle", "uniform", "word_all", "diarization", "event_detection",
                     "token-vllm-server", "file:///etc/passwd", "http://127.0.0.1:8000", "", "a/b"]),
    st.integers(min_value=-5, max_value=10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 5, 10, 40, 600, MAX_DURATION_S, MAX_DURATION_S + 1, MAX_EXAMPLES + 1, 10**30, 1e9]),
    st.booleans(), st.none(), st.text(max_size=8),
)
SUITE_KEYS = st.sampled_from(sorted(TOP_LEVEL) + ["task", "data", "corpus", "pool_size", "url", "format",
                                                  "annotations", "audio", "examples", "durations", "bogus"])
SUITE_VALUES = st.recursive(
    SUITE_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(SUITE_KEYS | SUITE_SCALARS, inner, max_size=4)),
    max_leaves=25,
)


@st.composite
def suites(draw: st.DrawFn) -> str:
    how = draw(st.sampled_from(["structured", "structured", "plausible", "text", "bomb"]))
    if how == "text":
        pieces = list(string.printable) + ["&a ", "*a", "é", "\ud800", "!!python/object ", "- ", ": ", "{", "["]
        return "".join(draw(st.lists(st.sampled_from(pieces), max_size=200)))
    if how == "bomb":
        depth, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        lines = ["durations: [5]", "methods: [oracle]", "tasks: [word_all]", "method_options:", "  oracle:",
                 "    l0: &l0 [x, x]"]
        for i in range(1, depth):
            lines.append(f"    l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
        return "\n".join(lines) + "\n"
    if how == "plausible":
        raw: dict[str, Any] = {
            "durations": draw(st.lists(SUITE_SCALARS, min_size=1, max_size=3)),
            "examples": draw(SUITE_SCALARS | st.dictionaries(SUITE_SCALARS, SUITE_SCALARS, max_size=3)),
            "methods": draw(st.lists(st.sampled_from(["oracle", "uniform", "nope"]), min_size=1, max_size=2)),
            "tasks": draw(st.lists(st.sampled_from(sorted(_REFERENCE)) | st.dictionaries(SUITE_KEYS, SUITE_VALUES, max_size=4),
                                   min_size=1, max_size=3)),
        }
        if draw(st.booleans()):
            raw["method_options"] = draw(st.dictionaries(st.sampled_from(["oracle", "token-vllm-server"]),
                                                         st.dictionaries(SUITE_KEYS, SUITE_VALUES, max_size=3), max_size=2))
        if draw(st.booleans()):
            raw["name"] = draw(SUITE_SCALARS)
    else:
        raw = draw(st.dictionaries(SUITE_KEYS, SUITE_VALUES, max_size=8))
    try:
        return yaml.safe_dump(raw, allow_unicode=True)
    except yaml.YAMLError:  # pragma: no cover - safe_dump takes every value drawn here
        return "{}"


@FUZZ
@given(text=suites())
def test_fuzz_suite_loader_gives_a_suite_or_a_one_line_config_error(scratch: Path, text: str) -> None:
    path = scratch / "fuzz-suite.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        with watchdog():
            suite = load_suite(path)
    except ConfigError as e:
        assert str(e).startswith(str(path)) and one_line(str(e)), repr(str(e))
        OUTCOMES["load_suite"]["ConfigError"] += 1
        return
    assert suite.name not in ("", ".", "..") and "/" not in suite.name
    for spec in suite.tasks:
        for d in spec.durations:
            assert math.isfinite(d) and 0 <= d <= MAX_DURATION_S
            assert 1 <= spec.examples_at(d) <= MAX_EXAMPLES
    json.dumps(suite.raw, default=str)  # the fingerprint's walk is bounded too
    OUTCOMES["load_suite"]["loaded"] += 1
