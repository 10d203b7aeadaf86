"""`python -m bench score`: score reference vs hypothesis files with the benchmark's metrics.

- diarization: RTTM files, optional UEM; DER and JER (fractions) per file and in total.
- words: word JSON files; onset alignment per uri. A uri's duration (for the duration/2
  penalty of a missing word) is the latest time in its reference and hypothesis, since word
  JSON does not carry the audio length.
- events: DCASE/sed_eval event lists; class list = every label in either file.

A uri in the reference without a hypothesis is scored as answered with nothing; a uri only
in the hypothesis is an error (a wrong file or a misspelt id, never silently dropped).
Bad input ends with one line on stderr naming the file (and line) and exit code 2.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from bench.data.formats import read_event_tsv, read_rttm, read_uem, read_word_json
from bench.metrics.alignment import MATCHINGS, AlignmentMetric
from bench.metrics.diarization import DiarizationMetric
from bench.metrics.events import EventMetric
from bench.types import Event

TASKS = ("diarization", "words", "events")


def _non_negative(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _positive(text: str) -> float:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, choices=TASKS)
    parser.add_argument("--reference", required=True, metavar="PATH")
    parser.add_argument("--hypothesis", required=True, metavar="PATH")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    dia = parser.add_argument_group("diarization")
    dia.add_argument("--uem", metavar="PATH", help="scored regions (default: extent of reference and hypothesis)")
    dia.add_argument("--collar", type=_non_negative, default=0.0, metavar="SECONDS",
                     help="forgiveness collar on EACH side of reference boundaries, as md-eval -c (default 0)")
    dia.add_argument("--skip-overlap", action="store_true", help="do not score overlapped reference speech")
    words = parser.add_argument_group("words")
    words.add_argument("--matching", choices=MATCHINGS, default="sequence",
                       help="sequence: i-th word with i-th word as listed (default); "
                            "order: sorted by time; hungarian: minimum total error")
    events = parser.add_argument_group("events")
    events.add_argument("--t-collar", type=_non_negative, default=0.2, metavar="SECONDS")
    events.add_argument("--percentage-of-length", type=_non_negative, default=0.2, metavar="FRACTION")
    events.add_argument("--time-resolution", type=_positive, default=1.0, metavar="SECONDS")


def _pairs(
    args: argparse.Namespace, read: Callable[[str], dict[str, list[Event]]]
) -> tuple[dict[str, list[Event]], dict[str, list[Event]]]:
    reference, hypothesis = read(args.reference), read(args.hypothesis)
    unknown = [uri for uri in hypothesis if uri not in reference]
    if unknown:
        raise ValueError(f"{args.hypothesis}: uri {unknown[0]!r} is not in the reference {args.reference}")
    return reference, {uri: hypothesis.get(uri, []) for uri in reference}


def _score_diarization(args: argparse.Namespace) -> tuple[pd.DataFrame, dict[str, Any]]:
    reference, hypothesis = _pairs(args, read_rttm)
    uem = read_uem(args.uem) if args.uem else None
    metric = DiarizationMetric(collar=args.collar, skip_overlap=args.skip_overlap)
    for uri, events in reference.items():
        if uem is not None and uri not in uem:
            raise ValueError(f"{args.uem}: no scored region for uri {uri!r}")
        metric(uri, events, hypothesis[uri], uem=None if uem is None else uem[uri])
    return metric.report(), {"collar": args.collar, "skip_overlap": args.skip_overlap, "uem": args.uem}


def _score_words(args: argparse.Namespace) -> tuple[pd.DataFrame, dict[str, Any]]:
    reference, hypothesis = _pairs(args, read_word_json)
    metric = AlignmentMetric(matching=args.matching)
    for uri, words in reference.items():
        said = words + hypothesis[uri]
        times = [t for e in said for t in (e.onset, e.offset) if t is not None and math.isfinite(t)]
        metric(uri, [e.onset for e in words], [e.onset for e in hypothesis[uri]], max(times, default=0.0))
    return metric.report(), {"matching": args.matching}


def _score_events(args: argparse.Namespace) -> tuple[pd.DataFrame, dict[str, Any]]:
    reference, hypothesis = _pairs(args, read_event_tsv)
    # The full class list up front keeps per-file segment accuracies comparable.
    labels = sorted({e.label for events in (*reference.values(), *hypothesis.values()) for e in events})
    metric = EventMetric(
        t_collar=args.t_collar,
        percentage_of_length=args.percentage_of_length,
        time_resolution=args.time_resolution,
        labels=labels,
    )
    for uri, events in reference.items():
        metric(uri, events, hypothesis[uri])
    settings = {
        "t_collar": args.t_collar,
        "percentage_of_length": args.percentage_of_length,
        "time_resolution": args.time_resolution,
    }
    return metric.report(), settings


_SCORERS = {"diarization": _score_diarization, "words": _score_words, "events": _score_events}


def _plain(value: Any) -> Any:
    """JSON has no NaN: undefined scores become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    return value


def _plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in row.items()}


def to_json(task: str, report: pd.DataFrame, settings: dict[str, Any]) -> dict[str, Any]:
    rows = report.to_dict(orient="index")
    total = rows.pop("TOTAL")
    return {"task": task, **_plain_row(total), "settings": settings,
            "files": {uri: _plain_row(row) for uri, row in rows.items()}}


def main(args: argparse.Namespace) -> int:
    try:
        report, settings = _SCORERS[args.task](args)
    except OSError as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(to_json(args.task, report, settings), ensure_ascii=False))
    else:
        print(report.to_string(float_format=lambda x: f"{x:.6g}"))
    return 0
