"""The token baseline's answer format: targets, parsing, fallbacks, failures, fuzzing, speed."""
from __future__ import annotations

import ast
import importlib.util
import json
import math
import random
import time
from pathlib import Path

import pytest

from baselines.answer_format import (
    FORMATS,
    MAX_JSON_ATTEMPTS,
    ParseResult,
    format_answer,
    max_new_tokens,
    parse_answer,
    speaker_name,
)
from bench.tasks import TASK_NAMES, TASKS
from bench.types import Event

SINGLE = ("word_single", "speaker_onset", "event_onset")
WORDS = ["the", "cat", "sat", "on", "réunion", 'say "hi"', "back\\slash", "说话"]


def r2(t: float) -> float:
    return float(f"{t:.2f}")


def assert_unparsable(result: ParseResult, *needles: str) -> None:
    assert result.events == []
    assert result.failure is not None, result
    assert result.failure.kind == "unparsable"
    for needle in needles:
        assert needle in result.failure.message, (needle, result.failure.message)


def random_events(task: str, rng: random.Random, n: int) -> list[Event]:
    spans = FORMATS[task].spans
    events = []
    for _ in range(n):
        onset = rng.uniform(0, 600)
        offset = onset + rng.uniform(0, 5) if spans or rng.random() < 0.5 else None
        label = rng.choice(WORDS) if task != "diarization" else rng.choice(["Zoë", "bob", "spk 3", "说话人2"])
        events.append(Event(label, onset, offset))
    return events


# --- formats ------------------------------------------------------------------------------


def _declares_offsets(spec: str) -> bool:
    """Whether a task class sets `needs_offsets = True`, read from its source: importing the
    tasks pulls in pyannote and sed_eval (1.5 s), too slow for this file."""
    module, name = spec.split(":")
    origin = importlib.util.find_spec(module).origin
    tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
    [cls] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name]
    for stmt in cls.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "needs_offsets" for t in targets):
            return bool(ast.literal_eval(stmt.value))
    return False  # Task's default


def test_every_task_has_a_format_that_agrees_with_the_task() -> None:
    assert set(FORMATS) == set(TASK_NAMES)
    assert {name for name, spec in TASKS.items() if _declares_offsets(spec)} == {
        name for name, fmt in FORMATS.items() if fmt.spans} == {"diarization", "event_detection"}


@pytest.mark.parametrize("task", SINGLE)
def test_single_answer_target(task: str) -> None:
    assert format_answer(task, [Event("cat", 1.234, 1.9)]) == '{"start":1.23}'
    assert format_answer(task, [Event("cat", 2.0)]) == '{"start":2.00}'
    assert format_answer(task, [Event("cat", -0.0)]) == '{"start":0.00}'


def test_word_all_target_keeps_transcript_order() -> None:
    events = [Event("cat", 0.305, 0.5), Event('say "hi"', 0.72), Event("説", 0.1)]
    assert format_answer("word_all", events) == (
        '[{"word":"cat","start":0.30},{"word":"say \\"hi\\"","start":0.72},{"word":"説","start":0.10}]'
    )


def test_diarization_target_is_anonymous_in_order_of_first_appearance() -> None:
    turns = [
        Event("zoe", 3.0, 4.0),
        Event("bob", 0.5, 2.1),
        Event("amy", 1.8, 2.5),
        Event("bob", 5.0, 6.0),
    ]
    assert format_answer("diarization", turns) == (
        '[{"speaker":"A","start":0.50,"end":2.10},{"speaker":"B","start":1.80,"end":2.50},'
        '{"speaker":"C","start":3.00,"end":4.00},{"speaker":"A","start":5.00,"end":6.00}]'
    )
    assert "bob" not in format_answer("diarization", turns)
    assert [speaker_name(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_event_detection_target_sorted_by_time() -> None:
    events = [Event("dog", 2.0, 3.0), Event("speech", 0.5, 2.1)]
    assert format_answer("event_detection", events) == (
        '[{"event":"speech","start":0.50,"end":2.10},{"event":"dog","start":2.00,"end":3.00}]'
    )
    assert format_answer("event_detection", []) == "[]"


def test_targets_are_valid_json_with_fixed_key_order() -> None:
    rng = random.Random(0)
    for task in TASK_NAMES:
        events = random_events(task, rng, 1 if task in SINGLE else 5)
        text = format_answer(task, events)
        assert " " not in text.replace('say "hi"', "").replace("spk 3", "")  # compact
        value = json.loads(text)
        items = [value] if isinstance(value, dict) else value
        for item in items:
            keys = list(item)
            assert keys[-1 if not FORMATS[task].spans else -2] == "start"
            assert all(len(s.split(".")[1]) == 2 for s in _times(text))
        assert format_answer(task, events) == text  # deterministic


def _times(text: str) -> list[str]:
    import re

    return re.findall(r'"(?:start|end)":([0-9.]+)', text)


@pytest.mark.parametrize(
    "task, events, match",
    [
        ("word_single", [], "exactly one"),
        ("word_single", [Event("a", 1.0), Event("b", 2.0)], "exactly one"),
        ("diarization", [Event("a", 1.0)], "offsets"),
        ("word_all", [Event("a", -1.0)], "non-negative"),
        ("word_all", [Event("a", math.nan)], "finite"),
        ("event_detection", [Event("a", 1.0, math.inf)], "finite"),
        ("nope", [Event("a", 1.0)], "unknown task"),
    ],
)
def test_format_rejects_what_cannot_be_a_target(task: str, events: list[Event], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        format_answer(task, events)


# --- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("task", TASK_NAMES)
def test_round_trip(task: str) -> None:
    rng = random.Random(task)
    for trial in range(30):
        n = 1 if task in SINGLE else rng.randint(0 if FORMATS[task].spans else 1, 12)
        events = random_events(task, rng, n)
        labels = [events[0].label] if task in SINGLE else None
        result = parse_answer(task, format_answer(task, events), labels)
        assert result.failure is None and not result.recovered and result.dropped == []
        if task in SINGLE or task == "word_all":
            expected = [Event(e.label, r2(e.onset), None) for e in events]
        else:
            ordered = sorted(events, key=lambda e: (e.onset, e.offset, e.label))
            names: dict[str, str] = {}
            for e in ordered:
                names.setdefault(e.label, speaker_name(len(names)))
            expected = [Event(names[e.label] if task == "diarization" else e.label,
                              r2(e.onset), r2(e.offset)) for e in ordered]
        assert result.events == expected
        if task == "word_all":
            assert result.words == [e.label for e in events]
        else:
            assert result.words is None


def test_round_trip_time_rounding_is_exact_to_10ms() -> None:
    rng = random.Random(1)
    for _ in range(500):
        t = rng.uniform(0, 10_000)
        [event] = parse_answer("event_onset", format_answer("event_onset", [Event("x", t)])).events
        assert event.onset == r2(t)
        assert abs(event.onset - t) <= 0.005 + 1e-9


def test_single_answer_label_comes_from_the_example() -> None:
    assert parse_answer("word_single", '{"start":1.00}', ["cat"]).events == [Event("cat", 1.0)]
    assert parse_answer("speaker_onset", '{"start":1.00}').events == [Event("", 1.0)]
    # A label the model emitted wins over the query's.
    assert parse_answer("word_single", '{"word":"dog","start":1}', ["cat"]).events == [Event("dog", 1.0)]


# --- accepted variations ------------------------------------------------------------------


def test_prose_around_json() -> None:
    text = 'Sure! The word starts at: [{"word": "cat", "start": 1.23}] Hope this helps'
    result = parse_answer("word_single", text, ["cat"])
    assert result.events == [Event("cat", 1.23)]
    assert result.failure is None and not result.recovered


def test_markdown_code_fence() -> None:
    text = 'Here you go:\n```json\n[\n  {"word": "the", "start": 0.12},\n  {"word": "cat", "start": 0.5}\n]\n```\n'
    result = parse_answer("word_all", text)
    assert result.events == [Event("the", 0.12), Event("cat", 0.5)]
    assert result.words == ["the", "cat"]
    assert not result.recovered


def test_single_object_and_list_are_both_accepted() -> None:
    for text in ('{"start": 1.5}', '[{"start": 1.5}]', '[1.5]', '[[{"start": 1.5}]]',
                 '{"answer": {"start": 1.5}}', '{"result": [{"start": 1.5}]}'):
        result = parse_answer("event_onset", text, ["dog"])
        assert result.events == [Event("dog", 1.5)], text
        assert not result.recovered
    result = parse_answer("diarization", '{"speaker": "A", "start": 0.5, "end": 1}')
    assert result.events == [Event("A", 0.5, 1.0)]


def test_numbers_as_strings() -> None:
    for value, expected in (('"1.5"', 1.5), ('" 2 "', 2.0), ('"1.5s"', 1.5), ('"1.5 seconds"', 1.5),
                            ('"0:01.50"', 1.5), ('"1:02.5"', 62.5), ('"1:00:00"', 3600.0), ("3", 3.0),
                            ("1e1", 10.0), ("-0.0", 0.0), ('".5"', 0.5)):
        result = parse_answer("word_single", '{"start": %s}' % value)
        assert result.failure is None, (value, result.failure)
        assert result.events[0].onset == expected, value
    [event] = parse_answer("word_single", '{"start": -0.0}').events
    assert math.copysign(1.0, event.onset) == 1.0  # negative zero reads as plain zero
    result = parse_answer("diarization", '[{"speaker": 1, "start": "0.5", "end": "2.10"}]')
    assert result.events == [Event("1", 0.5, 2.1)]


@pytest.mark.parametrize("key", ["start", "onset", "time", "timestamp", "Start", " START_TIME "])
def test_start_key_synonyms(key: str) -> None:
    result = parse_answer("word_all", json.dumps([{"text": "cat", key: 0.5}, {"label": "dog", key: 1}]))
    assert result.events == [Event("cat", 0.5), Event("dog", 1.0)]


def test_span_key_synonyms_and_duration() -> None:
    text = ('[{"label": "dog", "onset": 0.5, "offset": 1.5}, {"class": "cat", "time": 2, "end_time": 3},'
            ' {"sound": "bird", "start": 4, "duration": 0.5}]')
    result = parse_answer("event_detection", text)
    assert result.events == [Event("dog", 0.5, 1.5), Event("cat", 2.0, 3.0), Event("bird", 4.0, 4.5)]


def test_plain_list_of_floats_for_all_timestamps() -> None:
    result = parse_answer("word_all", "[0.12, 0.5, 0.98]", ["the", "cat", "sat"])
    assert result.events == [Event("the", 0.12), Event("cat", 0.5), Event("sat", 0.98)]
    assert result.words is None  # no words were emitted: no WER
    result = parse_answer("word_all", "[0.12, 0.5, 0.98, 1.5]", ["the", "cat"])
    assert [e.label for e in result.events] == ["the", "cat", "", ""]


def test_event_labels_take_the_query_spelling() -> None:
    text = '[{"event": "dog bark", "start": 1, "end": 2}, {"event": "Speech", "start": 3, "end": 4}]'
    result = parse_answer("event_detection", text, ["Dog_bark", "speech"])
    assert [e.label for e in result.events] == ["Dog_bark", "speech"]
    # A class outside the query is kept as written (scored as a false alarm).
    result = parse_answer("event_detection", '[{"event": "car", "start": 1, "end": 2}]', ["dog"])
    assert [e.label for e in result.events] == ["car"]


def test_explicit_empty_list_is_an_empty_answer_not_a_failure() -> None:
    for text in ("[]", "```json\n[]\n```", 'No such events: {"events": []}'):
        result = parse_answer("event_detection", text, ["dog"])
        assert result.events == [] and result.failure is None, text
    assert parse_answer("word_all", "[]").words == []
    # A stray [] inside garbage is not an answer.
    assert_unparsable(parse_answer("event_detection", "x] [] {{ ]"))


def test_first_usable_json_value_wins_over_earlier_junk() -> None:
    text = 'Format: {} or [] ... answer: {"note": "x"} then [{"start": 2.5}] and later [{"start": 9.0}]'
    result = parse_answer("word_single", text)
    assert result.events == [Event("", 2.5)]
    assert not result.recovered


def test_invalid_items_are_dropped_and_reported() -> None:
    text = ('[{"word": "a", "start": 0.5}, {"word": "b", "start": "soon"},'
            ' {"word": "c", "start": NaN}, {"word": "d", "start": 2}]')
    result = parse_answer("word_all", text)
    assert result.failure is None
    assert result.events == [Event("a", 0.5), Event("d", 2.0)]
    assert result.words == ["a", "b", "c", "d"]  # what the model said, for WER
    assert len(result.dropped) == 2
    assert "item 2" in result.dropped[0] and "soon" in result.dropped[0]
    assert "item 3" in result.dropped[1] and "NaN" in result.dropped[1]


def test_span_end_before_start_and_missing_label() -> None:
    result = parse_answer("diarization", '[{"speaker": "A", "start": 2, "end": 1}, {"start": 1, "end": 2}]')
    assert_unparsable(result, "end 1 is before start 2", "no label", "speaker")


# --- fallbacks ----------------------------------------------------------------------------


def test_cut_off_mid_item_recovers_complete_items() -> None:
    text = '[{"word": "cat", "start": 1.2}, {"word": "dog", "start": 1.75}, {"word": "do'
    result = parse_answer("word_all", text)
    assert result.events == [Event("cat", 1.2), Event("dog", 1.75)]
    assert result.words == ["cat", "dog"]
    assert result.recovered and result.failure is None


def test_long_cut_off_list_recovers_every_complete_item() -> None:
    events = [Event(f"w{i}", i * 0.25) for i in range(3000)]  # minutes of speech
    text = format_answer("word_all", events)
    result = parse_answer("word_all", text[: text.rindex("{") + 5])
    assert result.recovered and result.events == events[:-1]


def test_cut_off_number_at_the_end_is_not_trusted() -> None:
    result = parse_answer("word_all", "[0.12, 0.5, 0.9", ["a", "b", "c"])
    assert result.events == [Event("a", 0.12), Event("b", 0.5)]
    assert result.recovered
    result = parse_answer("diarization", '[{"speaker":"A","start":0.50,"end":2.10},{"speaker":"B","start":1.8')
    assert result.events == [Event("A", 0.5, 2.1)] and result.recovered


def test_cut_off_single_object_and_python_style_dicts_use_the_key_regex() -> None:
    result = parse_answer("word_single", '{"start": 1.23', ["cat"])
    assert result.events == [Event("cat", 1.23)] and result.recovered
    text = "[{'word': 'the', 'start': 0.1}, {'word': 'cat', 'start': 0.5}]"
    result = parse_answer("word_all", text)
    assert result.events == [Event("the", 0.1), Event("cat", 0.5)]
    assert result.words == ["the", "cat"] and result.recovered
    result = parse_answer("event_detection", "event: dog, start: 1.5, end: 2.5\nevent: cat, start=3, end=4")
    assert result.events == [Event("dog", 1.5, 2.5), Event("cat", 3.0, 4.0)] and result.recovered


def test_bare_numbers_in_prose_are_the_last_resort_for_onset_tasks() -> None:
    text = "The 2nd occurrence of 'cat' starts at 1.23 seconds and ends at 1.5."
    result = parse_answer("word_single", text, ["cat"])
    assert result.events == [Event("cat", 1.23)] and result.recovered
    result = parse_answer("word_all", "the 0.12, cat 0.50 and sat 0.98.", ["the", "cat", "sat"])
    assert result.events == [Event("the", 0.12), Event("cat", 0.5), Event("sat", 0.98)]
    # Not integers, ordinals, clock parts, negatives or versions.
    for text in ("at 2 seconds", "the 3rd one", "at 0:01", "at -1.5", "v1.2.3"):
        assert_unparsable(parse_answer("word_single", text), "no JSON answer")


def test_bare_numbers_are_never_used_for_span_tasks_or_next_to_json() -> None:
    assert_unparsable(parse_answer("diarization", "Speaker A talks from 0.5 to 2.1."), "start/end")
    assert_unparsable(parse_answer("event_detection", "dog 0.5 2.1"), "start/end")
    # A start key with a bad value is an answer we could not read, not prose to mine.
    assert_unparsable(parse_answer("word_single", "start: soon, maybe 1.5 or so"), "soon")
    # JSON was there but unusable: numbers in it must not be read as a timestamp.
    assert_unparsable(parse_answer("word_single", 'Answer: {"begin_time": 1.2} i.e. 1.2 s'), "begin_time")


# --- failures -----------------------------------------------------------------------------


def test_wrong_keys_name_the_keys_seen() -> None:
    result = parse_answer("word_single", '{"begin_time": 1.2, "word": "cat"}')
    assert_unparsable(result, "no start time key", "'begin_time'", "'word'", "start, onset, time, timestamp")
    result = parse_answer("word_all", '[{"w": "cat", "t0": 1.2}, {"w": "dog", "t0": 2}]')
    assert_unparsable(result, "item 1", "item 2", "'t0'")
    assert_unparsable(parse_answer("word_single", "{}"), "empty object")
    assert_unparsable(parse_answer("diarization", '[{"speaker": "A", "start": 1}]'), "no end time key", "'start'")


@pytest.mark.parametrize(
    "value, needle",
    [
        ('"soon"', '"soon" is not a number'),
        ("NaN", "NaN is not a finite number"),
        ("Infinity", "Infinity is not a finite number"),
        ("-Infinity", "-Infinity is not a finite number"),
        ('"NaN"', '"NaN" is not a number'),
        ('"inf"', '"inf" is not a number'),
        ("1e999", "not a finite number"),
        ("1" * 400, "too large"),
        ("true", "true is a boolean"),
        ("false", "false is a boolean"),
        ("null", "null is not a number"),
        ("[1.5]", "[1.5] is not a number"),
        ('{"s": 1}', "is not a number"),
        ("-1.5", "-1.5 is negative"),
    ],
)
def test_non_numbers_are_unparsable_with_the_reason(value: str, needle: str) -> None:
    result = parse_answer("word_single", '{"start": %s}' % value)
    assert_unparsable(result, '"start"', needle)


def test_nested_garbage() -> None:
    for text in ('[[[[[{"start": [[1]]}]]]]]', '{"a": {"b": {"c": {"d": {"start": 1}}}}}', '[{"x": [{}]}, [[]], 5]'):
        result = parse_answer("diarization", text)
        assert_unparsable(result)
        assert len(result.failure.message) > 20
    assert_unparsable(parse_answer("word_all", "[" * 5000 + "]" * 4999))  # recursion is caught


@pytest.mark.parametrize("text", ["", "   \n\t", "\n"])
def test_empty_answer(text: str) -> None:
    assert_unparsable(parse_answer("word_all", text), "empty answer")


@pytest.mark.parametrize("task", TASK_NAMES)
def test_pure_prose(task: str) -> None:
    result = parse_answer(task, "I'm sorry, I cannot determine that from the audio.")
    assert_unparsable(result, "no JSON answer", "I'm sorry")
    assert not result.recovered


def test_unknown_task_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        parse_answer("nope", "[]")


# --- robustness ---------------------------------------------------------------------------


def _check_invariants(task: str, text: str) -> None:
    result = parse_answer(task, text, ["cat", "dog"])
    assert isinstance(result, ParseResult)
    if result.failure is not None:
        assert result.failure.kind == "unparsable" and result.failure.message
        assert result.events == []
    for e in result.events:
        assert isinstance(e.label, str)
        assert math.isfinite(e.onset) and e.onset >= 0
        if FORMATS[task].spans:
            assert e.offset is not None and math.isfinite(e.offset) and e.offset >= e.onset
        else:
            assert e.offset is None


def test_fuzz_never_raises() -> None:
    rng = random.Random(1234)
    alphabet = list('[]{}",:.-+eE0123456789 \n\tstartendwordspeakerNaInfity\\\'truefalsnul`') + ["é", "说", "\x00"]
    seeds = [format_answer(t, random_events(t, rng, 1 if t in SINGLE else 4)) for t in TASK_NAMES]
    for i in range(1500):
        task = TASK_NAMES[i % len(TASK_NAMES)]
        if i % 3 == 0:  # random characters
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))
        else:  # a real answer with random cuts, insertions and deletions
            chars = list(rng.choice(seeds))
            for _ in range(rng.randint(1, 6)):
                op, at = rng.random(), rng.randrange(len(chars) + 1)
                if op < 0.4:
                    chars.insert(at, rng.choice(alphabet))
                elif op < 0.8 and chars:
                    del chars[min(at, len(chars) - 1)]
                else:
                    chars = chars[:at]
            text = "".join(chars)
        _check_invariants(task, text)


def test_fuzz_arbitrary_unicode_and_non_strings() -> None:
    rng = random.Random(99)
    for _ in range(300):
        text = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(0, 60)))
        if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        _check_invariants(rng.choice(TASK_NAMES), text)
    assert parse_answer("word_all", None).failure.kind == "unparsable"  # type: ignore[arg-type]


ADVERSARIAL = {
    "random": lambda rng: "".join(rng.choice('[]{}":,.0123456789 abcstartend\n\\') for _ in range(100_000)),
    "open_brackets": lambda rng: "[" * 100_000,
    "nested_objects": lambda rng: '{"a":' * 20_000,
    "nested_lists_of_numbers": lambda rng: "[1," * 33_000,
    "unterminated_string_in_brackets": lambda rng: "[" * 900 + '"' + "x" * 99_000,
    "digits": lambda rng: "1" * 100_000,
    "spaces_before_colon": lambda rng: "start" + " " * 100_000 + ":",
    "many_keys": lambda rng: 'start: "soon", ' * 6_000,
    "many_bare_numbers": lambda rng: "1.2 " * 25_000,
    "many_empty_lists": lambda rng: "[] x " * 20_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_100kb_garbage_parses_fast(name: str) -> None:
    text = ADVERSARIAL[name](random.Random(0))
    assert len(text) >= 90_000
    for task in ("word_all", "diarization"):
        start = time.perf_counter()
        _check_invariants(task, text)
        elapsed = time.perf_counter() - start
        # A guard against quadratic or worse parsing (minutes on 100 KB), not a speed target:
        # linear parsing takes ~0.3 s here, and a CPU shared with other runs can triple that.
        assert elapsed < 5.0, f"{name}/{task}: {elapsed:.2f} s"


def test_json_scan_is_bounded() -> None:
    # Past MAX_JSON_ATTEMPTS broken brackets the scan gives up instead of going quadratic.
    text = "[x " * (MAX_JSON_ATTEMPTS + 10) + '[{"start": 1.5}]'
    result = parse_answer("word_single", text)  # found by the key regex instead
    assert result.events == [Event("", 1.5)] and result.recovered
    text = "[x " * 50 + '[{"start": 1.5}]'
    result = parse_answer("word_single", text)
    assert result.events == [Event("", 1.5)] and not result.recovered


# --- generation budget --------------------------------------------------------------------


@pytest.mark.parametrize("task", TASK_NAMES)
def test_max_new_tokens_scales_and_covers_the_target(task: str) -> None:
    budgets = [max_new_tokens(task, n) for n in (1, 2, 10, 100)]
    assert budgets == sorted(budgets) and budgets[0] < budgets[-1]
    assert max_new_tokens(task, 0) == max_new_tokens(task, 1)
    rng = random.Random(task)
    for n in (1, 10, 200):
        events = random_events(task, rng, 1 if task in SINGLE else n)
        target = format_answer(task, events)
        items = 1 if task in SINGLE else n
        # A compact target is at most about one token per 2 characters (digits are 1 token).
        budget = max_new_tokens(task, items if task != "diarization" else max(1, items // 8))
        assert budget >= len(target) / 2, (task, n, budget, len(target))


def test_max_new_tokens_values() -> None:
    assert max_new_tokens("word_single", 1) == 16 + 24
    assert max_new_tokens("word_all", 50) == 16 + 32 * 50
    assert max_new_tokens("diarization", 2) == 16 + 40 * 2 * 8
    # Span tasks: at least one item per second of audio when the duration is known.
    assert max_new_tokens("event_detection", 3, duration_s=600) == 16 + 48 * 600
    assert max_new_tokens("event_detection", 3, duration_s=1) == 16 + 48 * 3
    assert max_new_tokens("word_all", 1000, cap=4096) == 4096
    with pytest.raises(ValueError):
        max_new_tokens("nope", 1)
