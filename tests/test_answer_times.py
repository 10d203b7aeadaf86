"""Issue 11, item 5: huge or infinite times in an answer are out_of_range failures before any
metric sees them, and far-off finite times cost the scorers no memory."""
from __future__ import annotations

import math
import tracemalloc

import pytest

from baselines.answer_format import parse_answer
from bench.metrics.diarization import DiarizationMetric, _snap
from bench.metrics.events import EventMetric
from bench.runner import WorkItem, score_row
from bench.types import Event, Prediction

from activity_examples import DURATION, example


def row_for(task: str, text: str) -> dict:
    parsed = parse_answer(task, text, example(task).metadata.get("labels"))
    prediction = Prediction(events=parsed.events, raw_text=text, failure=parsed.failure)
    return score_row("token-hf", WorkItem(example(task), DURATION, task), prediction, {})


def test_the_issue_answer_is_an_out_of_range_failure_not_a_crash() -> None:
    row = row_for("diarization", '[{"speaker": "A", "start": 99999999999999999999, "duration": 1e308}]')
    assert row["prediction"]["failure"]["kind"] == "out_of_range"
    assert row["prediction"]["events"] == []
    assert row["prediction"]["info"]["out_of_range_events"][0]["onset"] == 1e20  # kept for the record
    assert row["health"]["failed"] and row["health"]["out_of_range"]
    assert row["metrics"]["der"] == 1.0  # scored as an empty answer: all speech missed


@pytest.mark.parametrize("task,text", [
    ("diarization", '[{"speaker": "A", "start": 1.0, "end": 1e8}]'),
    ("diarization", '[{"speaker": "A", "start": 1.0, "end": 3.0}, {"speaker": "B", "start": 1e6, "end": 1e6}]'),
    ("event_detection", '[{"event": "dog", "start": 1.0, "end": 1e8}]'),
    ("event_detection", '[{"event": "dog", "start": 1e300, "end": 1e308}]'),
])
def test_far_off_finite_times_fail_the_answer_without_allocating(task: str, text: str) -> None:
    tracemalloc.start()
    try:
        row = row_for(task, text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert row["prediction"]["failure"]["kind"] == "out_of_range"
    assert row["health"]["out_of_range"]
    assert peak < 200 * 2**20


def test_a_time_past_the_end_within_the_margin_is_still_scored_as_before() -> None:
    row = row_for("diarization", '[{"speaker": "A", "start": 0.5, "end": 4.0}, {"speaker": "B", "start": 4.5, "end": 15.0}]')
    assert row["prediction"]["failure"] is None
    assert row["health"]["out_of_range"] and not row["health"]["failed"]
    assert 0 < row["metrics"]["der"] < 1


def test_parser_refuses_a_start_plus_duration_that_overflows() -> None:
    result = parse_answer("diarization", '[{"speaker": "A", "start": 1e308, "duration": 1e308}]')
    assert result.failure is not None and not result.events
    assert "not a finite number" in result.failure.message


def test_snap_needs_no_grid_and_refuses_infinity() -> None:
    assert _snap([1e8, 0.004, 0.3], 0.01) == [1e8, 0.01, 0.3]
    assert _snap([1e20, 1e308], 0.01) == [1e20, 1e308]
    with pytest.raises(ValueError, match="finite"):
        _snap([1.0, math.inf], 0.01)


def test_scorers_take_far_off_times_from_any_caller() -> None:
    der = DiarizationMetric()("f", [Event("A", 0.0, 5.0)], [Event("x", 1.0, 1e8)], uem=[(0.0, 10.0)])
    assert der["der"] == pytest.approx(1.2)  # cut to the scored region: 1 s missed + 5 s false alarm over 5 s
    metric = EventMetric(labels=["dog"])
    with pytest.raises(ValueError, match="too far off"):
        metric("f", [Event("dog", 0.0, 5.0)], [Event("dog", 1.0, 1e8)], duration=10.0)
    with pytest.raises(ValueError, match="not finite"):
        metric("g", [Event("dog", 0.0, 5.0)], [Event("dog", 1.0, math.inf)], duration=10.0)


def test_a_report_rescoring_an_old_row_with_absurd_times_does_not_blow_up() -> None:
    from bench.runner import scorable
    from bench.tasks import get_task

    # A row written before answers were screened: the raw prediction still holds the 1e8 end.
    task = get_task("event_detection")
    old = Prediction(events=[Event("dog", 1.0, 1e8), Event("cat", 5.0, 7.5)])
    metrics = task.score(task.new_scorers(), example("event_detection"), scorable(old, task.needs_offsets))
    assert metrics["event_f1"] == pytest.approx(2 / 3)  # the cat span; the absurd dog span was left out
