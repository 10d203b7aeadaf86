from __future__ import annotations

import math

import pytest

from bench.metrics.alignment import ACCURACY_TOLERANCES_MS, AlignmentMetric

DURATION = 10.0  # a missing reference costs DURATION / 2 = 5 s


def test_order_vs_hungarian_hand_computed() -> None:
    ref, hyp = [1.0, 2.0, 3.0], [3.05, 0.98]
    # order: sorted hyp [0.98, 3.05] pairs with 1.0 and 2.0; 3.0 is missing
    order = AlignmentMetric("order")("f", ref, hyp, DURATION)
    assert order["mae"] == pytest.approx((0.02 + 1.05 + 5.0) / 3)
    assert order["mae_matched"] == pytest.approx((0.02 + 1.05) / 2)
    assert order["acc@20ms"] == pytest.approx(1 / 3)  # |1.0 - 0.98| is 20 ms: inclusive
    assert order["acc@50ms"] == pytest.approx(1 / 3)
    assert (order["missing"], order["extra"]) == (1, 0)
    # hungarian: 0.98 -> 1.0 and 3.05 -> 3.0; 2.0 is missing
    hungarian = AlignmentMetric("hungarian")("f", ref, hyp, DURATION)
    assert hungarian["mae"] == pytest.approx((0.02 + 0.05 + 5.0) / 3)
    assert hungarian["mae_matched"] == pytest.approx(0.035)
    assert hungarian["acc@20ms"] == pytest.approx(1 / 3)
    assert hungarian["acc@50ms"] == pytest.approx(2 / 3)
    assert hungarian["acc@200ms"] == pytest.approx(2 / 3)
    assert (hungarian["missing"], hungarian["extra"], hungarian["n_ref"], hungarian["n_hyp"]) == (1, 0, 3, 2)


def test_sequence_pairs_as_listed() -> None:
    ref, hyp = [1.0, 2.0], [2.1, 0.9]  # the model answered the words in the wrong order
    assert AlignmentMetric("sequence")("f", ref, hyp, DURATION)["mae"] == pytest.approx(1.1)
    assert AlignmentMetric("order")("f", ref, hyp, DURATION)["mae"] == pytest.approx(0.1)


def test_extra_hypotheses_do_not_cost_error() -> None:
    row = AlignmentMetric("hungarian")("f", [1.0], [7.0, 1.0], DURATION)
    assert row["mae"] == 0.0 and row["extra"] == 1 and row["missing"] == 0
    assert all(row[f"acc@{t}ms"] == 1.0 for t in ACCURACY_TOLERANCES_MS)


def test_empty_hypothesis_is_all_missing_with_half_duration_penalty() -> None:
    row = AlignmentMetric()("f", [1.0, 4.0], [], DURATION)
    assert row["mae"] == row["median_ae"] == row["p90_ae"] == 5.0
    assert math.isnan(row["mae_matched"])
    assert row["acc@200ms"] == 0.0 and row["missing"] == 2


def test_missing_is_wrong_even_when_half_duration_is_within_tolerance() -> None:
    row = AlignmentMetric()("f", [0.05], [], 0.2)  # penalty 0.1 s <= 200 ms
    assert row["mae"] == pytest.approx(0.1)
    assert row["acc@200ms"] == 0.0


def test_empty_reference() -> None:
    row = AlignmentMetric()("f", [], [1.0, 2.0], DURATION)
    assert row["n_ref"] == 0 and row["extra"] == 2 and row["missing"] == 0
    assert math.isnan(row["mae"]) and math.isnan(row["acc@50ms"])


@pytest.mark.parametrize(
    "matching, mae, missing",
    [
        ("order", (1.0 + 5.0) / 2, 1),  # the one valid answer pairs with the earliest reference
        ("hungarian", (0.0 + 5.0) / 2, 1),
        ("sequence", (5.0 + 0.0) / 2, 1),  # answer #0 was NaN, so reference #0 is missing
    ],
)
def test_non_finite_hypotheses_count_as_missing(matching: str, mae: float, missing: int) -> None:
    row = AlignmentMetric(matching)("f", [1.0, 2.0], [float("nan"), 2.0, float("inf")], DURATION)
    assert row["mae"] == pytest.approx(mae)
    assert row["missing"] == missing
    assert (row["invalid"], row["extra"]) == (2, 0)


def test_percentiles() -> None:
    ref = [float(i) for i in range(11)]
    hyp = [r + i / 10 for i, r in enumerate(ref)]  # errors 0.0, 0.1, ..., 1.0
    row = AlignmentMetric("sequence")("f", ref, hyp, DURATION)
    assert row["median_ae"] == pytest.approx(0.5)
    assert row["p90_ae"] == pytest.approx(0.9)
    assert row["acc@100ms"] == pytest.approx(2 / 11)


def test_summary_pools_errors_over_files() -> None:
    metric = AlignmentMetric()
    metric("a", [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], DURATION)
    metric("b", [1.0], [2.0], DURATION)
    metric("c", [1.0], [], DURATION)
    total = metric.summary()
    # pooled: (0 + 0 + 0 + 0 + 1 + 5) / 6, not the mean of per-file means (0 + 1 + 5) / 3
    assert total["mae"] == pytest.approx(1.0)
    assert total["mae_matched"] == pytest.approx(0.2)
    assert total["acc@10ms"] == pytest.approx(4 / 6)
    assert (total["n_ref"], total["n_hyp"], total["missing"], total["extra"]) == (6, 5, 1, 0)

    report = metric.report()
    assert list(report.index) == ["a", "b", "c", "TOTAL"]
    assert report.loc["TOTAL", "mae"] == pytest.approx(1.0)
    assert report.loc["b", "mae"] == pytest.approx(1.0)
    assert report.loc["c", "missing"] == 1


def test_rejects_bad_use() -> None:
    with pytest.raises(ValueError, match="unknown matching"):
        AlignmentMetric("nearest")
    metric = AlignmentMetric()
    metric("a", [1.0], [1.0], DURATION)
    with pytest.raises(ValueError, match="already scored"):
        metric("a", [1.0], [1.0], DURATION)
    with pytest.raises(ValueError, match="duration"):
        metric("b", [1.0], [1.0], float("nan"))


def test_hit_rate_ignores_matching_where_accuracy_does_not() -> None:
    from bench.metrics.alignment import AlignmentMetric

    # One missed word (1.0) and one false alarm (3.9): in-order matching shifts every pair between
    # them, but 3 of 4 references still have a prediction within 50 ms.
    metric = AlignmentMetric("order")
    row = metric("f", [1.0, 2.0, 3.0, 4.0], [2.01, 3.02, 3.9, 4.0], duration=5.0)
    assert row["acc@50ms"] == 0.25
    assert row["hit@50ms"] == 0.75
    assert metric("g", [1.0], [], duration=5.0)["hit@50ms"] == 0.0
    assert metric.summary()["hit@50ms"] == 0.6
