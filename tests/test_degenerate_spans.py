"""Issue 11, item 2: zero-length and reversed answer spans (offset <= onset) are counted in the
answer's health and scored as pyannote.metrics / sed_eval score them, never dropped silently."""
from __future__ import annotations

import math

import pytest

from bench.metrics.diarization import DiarizationMetric
from bench.metrics.events import EventMetric
from bench.metrics.health import HealthMetric
from bench.runner import WorkItem, score_row
from bench.types import Event, Prediction

from activity_examples import DURATION, example


def row(task: str, events: list[Event]) -> dict:
    return score_row("m", WorkItem(example(task), DURATION, task), Prediction(events=events), {})


def test_an_event_answer_made_only_of_zero_length_spans_is_scored_and_flagged() -> None:
    answer = [Event("dog", 1.0, 1.0), Event("cat", 5.0, 5.0)]
    r = row("event_detection", answer)
    # What sed_eval itself says of these spans: every onset right, every offset wrong.
    ex = example("event_detection")
    peer = EventMetric(labels=["dog", "cat"])("x", ex.reference, answer, duration=DURATION)
    assert r["metrics"]["event_f1"] == peer["event_f1"] == 0.0  # not "-" (NaN, as an empty answer)
    assert r["metrics"]["onset_only_f1"] == pytest.approx(peer["onset_only_f1"]) == 1.0
    assert r["health"]["degenerate_span"] and r["health"]["degenerate_spans"] == 2
    empty = row("event_detection", [])
    assert math.isnan(empty["metrics"]["event_f1"]) and not empty["health"]["degenerate_span"]


def test_a_reversed_span_is_flagged_and_scored_as_sed_eval_does() -> None:
    r = row("event_detection", [Event("dog", 1.0, 0.5), Event("cat", 5.0, 7.5)])
    peer = EventMetric(labels=["dog", "cat"])("x", example("event_detection").reference,
                                              [Event("dog", 1.0, 0.5), Event("cat", 5.0, 7.5)], duration=DURATION)
    assert r["metrics"]["event_f1"] == pytest.approx(peer["event_f1"]) == pytest.approx(0.5)
    assert r["health"]["degenerate_spans"] == 1


def test_diarization_zero_length_turns_count_as_pyannote_counts_them_and_are_flagged() -> None:
    answer = [Event("A", 0.5, 4.0), Event("B", 6.0, 6.0)]
    r = row("diarization", answer)
    peer = DiarizationMetric()("x", example("diarization").reference, answer, uem=[(0.0, DURATION)])
    assert r["metrics"]["der"] == pytest.approx(peer["der"], abs=1e-12)
    assert r["health"]["degenerate_span"] and r["health"]["degenerate_spans"] == 1


def test_health_summary_has_the_rate_and_takes_rows_written_before_the_flag() -> None:
    metric = HealthMetric()
    flags = dict(failed=False, unparsable=False, out_of_range=False, unordered=False, wrong_count=False,
                 duplicates=False)
    metric("a", {**flags, "degenerate_span": True})
    metric("b", flags)  # an old row
    assert metric.summary()["degenerate_span_rate"] == 0.5
