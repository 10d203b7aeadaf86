"""Our metric adapters must reproduce the scores the peer tools publish for their own fixtures
(tests/data/metrics/README.md). Tolerances are the precision each number is published to."""
from __future__ import annotations

from pathlib import Path

import pytest
import sed_eval

from bench.data.formats import read_durations, read_event_tsv, read_rttm
from bench.metrics.diarization import DiarizationMetric
from bench.metrics.events import EventMetric, psds

FIXTURES = Path(__file__).parent / "data" / "metrics"
DSCORE = FIXTURES / "dscore"
AMI = FIXTURES / "ami-ES2014c"
SED = FIXTURES / "sed_eval"
PSDS = FIXTURES / "psds_eval"


@pytest.fixture(scope="module")
def dscore_turns():
    return read_rttm(DSCORE / "ref.rttm")["FILE1"], read_rttm(DSCORE / "sys.rttm")["FILE1"]


@pytest.mark.parametrize("uem", [[(0.0, 43.0)], None])
def test_dscore_der_and_jer(dscore_turns, uem) -> None:
    ref, hyp = dscore_turns
    metric = DiarizationMetric()
    row = metric("FILE1", ref, hyp, uem=uem)
    # dscore: DER 26.39309 %, JER 33.24631 %
    assert row["der"] == pytest.approx(0.2639309, abs=1e-7)
    assert row["jer"] == pytest.approx(0.3324631, abs=1e-7)
    total = metric.summary()
    assert total["der"] == pytest.approx(0.2639309, abs=1e-7)
    assert total["jer"] == pytest.approx(0.3324631, abs=1e-7)
    assert total["der"] == pytest.approx((total["missed"] + total["false_alarm"] + total["confusion"]) / total["total"])


def test_continuous_time_jer_is_not_dscores(dscore_turns) -> None:
    """Why JER snaps to dscore's 10 ms frames: pyannote's continuous-time JER differs."""
    ref, hyp = dscore_turns
    row = DiarizationMetric(jer_frame_step=None)("FILE1", ref, hyp, uem=[(0.0, 43.0)])
    assert row["der"] == pytest.approx(0.2639309, abs=1e-7)
    assert abs(row["jer"] - 0.3324631) > 1e-4


def test_ami_nist_der() -> None:
    ref = read_rttm(AMI / "ref.rttm")["ES2014c"]
    hyp = read_rttm(AMI / "sys.rttm")["ES2014c"]
    metric = DiarizationMetric(collar=0.25, skip_overlap=True)
    row = metric("ES2014c", ref, hyp)
    assert row["der"] == pytest.approx(0.0716923618, abs=1e-10)
    assert row["missed"] == pytest.approx(0.0, abs=1e-9)
    assert row["false_alarm"] == pytest.approx(0.0, abs=1e-9)
    assert metric.summary()["der"] == pytest.approx(0.0716923618, abs=1e-10)


def test_ami_collar_is_per_side() -> None:
    ref = read_rttm(AMI / "ref.rttm")["ES2014c"]
    hyp = read_rttm(AMI / "sys.rttm")["ES2014c"]
    total_width = DiarizationMetric(collar=0.5, skip_overlap=True)("ES2014c", ref, hyp)
    assert total_width["der"] != pytest.approx(0.0716923618, abs=1e-6)


def _street_metric(**kwargs) -> EventMetric:
    ref = read_event_tsv(SED / "street_fold1_reference.txt")
    hyp = read_event_tsv(SED / "street_fold1_detected.txt")
    metric = EventMetric(**kwargs)
    for uri, events in ref.items():
        metric(uri, events, hyp.get(uri, []))
    return metric


def test_sed_eval_street_segment_based() -> None:
    total = _street_metric(time_resolution=1.0).summary()
    # sed_eval tests/test_sound_event.py::test_dcase_style
    assert total["segment_error_rate"] == pytest.approx(1.0616698292220115, abs=1e-10)
    assert total["segment_accuracy"] == pytest.approx(0.84244791666, abs=1e-10)


def test_sed_eval_street_matches_sed_eval_on_its_own_loader() -> None:
    """Our reader + wrapper give what sed_eval gives on its own parsing of the same files
    (sed_eval publishes no F1 for this pair, so this is a parity check, not a fixture)."""
    ref = sed_eval.io.load_event_list(str(SED / "street_fold1_reference.txt"))
    est = sed_eval.io.load_event_list(str(SED / "street_fold1_detected.txt"))
    labels = ref.unique_event_labels
    segment = sed_eval.sound_event.SegmentBasedMetrics(event_label_list=labels, time_resolution=1.0)
    event = sed_eval.sound_event.EventBasedMetrics(event_label_list=labels, t_collar=0.2, percentage_of_length=0.2)
    for filename in ref.unique_files:
        segment.evaluate(ref.filter(filename=filename), est.filter(filename=filename))
        event.evaluate(ref.filter(filename=filename), est.filter(filename=filename))
    theirs_segment = segment.results_overall_metrics()
    theirs_event = event.results_overall_metrics()

    ours = _street_metric().summary()
    assert ours["segment_f1"] == pytest.approx(theirs_segment["f_measure"]["f_measure"], abs=1e-12)
    assert ours["segment_f1"] == pytest.approx(0.31014823, abs=1e-8)
    assert ours["event_error_rate"] == pytest.approx(theirs_event["error_rate"]["error_rate"], abs=1e-12)
    assert ours["event_f1"] == pytest.approx(theirs_event["f_measure"]["f_measure"], abs=1e-12)


def test_sed_eval_binary_pair() -> None:
    # sed_eval tests/test_sound_event.py::test_binary (its event-based part uses the default
    # percentage_of_length 0.5)
    metric = EventMetric(t_collar=0.2, percentage_of_length=0.5, time_resolution=1.0)
    for name in ("binary1", "binary2"):
        ref = read_event_tsv(SED / f"{name}.txt").get("", [])
        hyp = read_event_tsv(SED / f"{name}_detected.txt").get("", [])
        metric(name, ref, hyp)
    total = metric.summary()
    assert total["segment_accuracy"] == pytest.approx(2 / 3, abs=1e-8)
    assert total["segment_error_rate"] == pytest.approx(1.0, abs=1e-12)
    assert total["segment_f1"] == pytest.approx(2 / 3, abs=1e-8)
    assert total["event_error_rate"] == pytest.approx(1.0, abs=1e-12)
    assert total["event_f1"] == pytest.approx(2 / 3, abs=1e-12)


def test_sed_eval_binary5_files_without_events() -> None:
    ref = read_event_tsv(SED / "binary5.txt")
    hyp = read_event_tsv(SED / "binary5_detected.txt")
    metric = EventMetric(t_collar=0.2, percentage_of_length=0.5)
    for uri, events in ref.items():
        metric(uri, events, hyp.get(uri, []))
    total = metric.summary()
    assert total["event_error_rate"] == pytest.approx(1.5, abs=1e-12)
    assert total["event_f1"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "name, published",
    [
        ("test_1", 0.9142857142857143),
        ("test_2", 0.29047619047619044),
        ("test_3", 0.6238095238095237),
        ("test_4", 0.5),
        ("Y23R6_ppquxs_247.000_257000", 0.6089285714285714),
    ],
)
def test_psds(name: str, published: float) -> None:
    metadata = read_durations(PSDS / "test.metadata")
    value = psds(read_event_tsv(PSDS / f"{name}.gt"), read_event_tsv(PSDS / f"{name}.det"), metadata,
                 dtc=0.5, gtc=0.5, cttc=0.3, alpha_ct=0.0, alpha_st=0.0, max_efpr=100.0)
    assert value == pytest.approx(published, abs=1e-12)
