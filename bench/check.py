"""`bench check`: a CI gate comparing a run's aggregate metrics with stored values.

The stored file (results/baselines/NAME.json) declares its own tolerances:

    {"suite": "smoke",
     "tolerances": {"absolute": 0.02, "relative": 0.10, "relative_floor": 0.005, "speed_relative": null},
     "overrides": {"acc@10ms": {"absolute": 0.05}},
     "metrics": {"METHOD": {"TASK": {"DURATION": {"acc@50ms": 0.93, "mae": 0.041, ...}}}}}

Fractions (accuracies, F1, DER, JER, failure rates) are compared with an absolute tolerance,
times in seconds (MAE, RTF, seconds per example) with a relative one (plus a small absolute
floor so a stored 0 does not demand exactly 0). Only a change in the bad direction fails.
Speed is gated only when `speed_relative` is set: wall time on shared machines is noisy.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import ConfigError, DataError
from bench.manifest import git_state, now
from bench.report import aggregate, load_rows
from bench.results import read_results
from bench.types import duration_label

DEFAULT_TOLERANCES = {"absolute": 0.02, "relative": 0.10, "relative_floor": 0.005, "speed_relative": None}
# Columns that describe the group, or raw counts and totals whose meaning the gated rates and
# accuracies already carry (a missing answer lowers accuracy; seconds of speech depend on data).
NOT_GATED = {"task", "method", "duration", "n", "audio_s", "n_ref", "n_hyp", "missing", "extra", "invalid",
             "missed", "false_alarm", "confusion", "total"}
SPEED = ("seconds_per_example", "rtf")
# Substrings of metric names where larger is better; everything else is an error of some kind.
HIGHER_IS_BETTER = ("acc@", "f1", "precision", "recall", "accuracy")
IN_SECONDS = ("mae", "_ae", "seconds", "rtf")


def higher_is_better(metric: str) -> bool:
    return any(s in metric for s in HIGHER_IS_BETTER)


def is_relative(metric: str) -> bool:
    return any(s in metric for s in IN_SECONDS)


def is_speed(metric: str) -> bool:
    return any(metric == s or metric.startswith(s + "/") for s in SPEED)


@dataclass(frozen=True)
class Finding:
    method: str
    task: str
    duration: str
    metric: str
    stored: float | None
    measured: float | None
    allowed: float | None

    def __str__(self) -> str:
        length = self.duration if self.duration == "native" else f"{self.duration}s"
        where = f"{self.method} / {self.task} / {length} / {self.metric}"
        if self.measured is None:
            return f"REGRESSION {where}: missing from the run (stored {self.stored:.4g})"
        return f"REGRESSION {where}: {self.measured:.4g} vs stored {self.stored:.4g} (allowed up to {self.allowed:.4g})"


def measured_metrics(run_dir: Path) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """method -> task -> duration -> metric -> value, from the run's rows."""
    table = aggregate(load_rows(run_dir))
    out: dict[str, Any] = {}
    for record in table.to_dict("records"):
        values = {k: float(v) for k, v in record.items()
                  if k not in NOT_GATED and isinstance(v, (int, float)) and not math.isnan(v)}
        out.setdefault(record["method"], {}).setdefault(record["task"], {})[duration_label(record["duration"])] = values
    return out


def limit(metric: str, stored: float, tolerances: dict[str, Any]) -> float | None:
    """The worst value that still passes, or None when the metric is not gated."""
    if is_speed(metric):
        if tolerances.get("speed_relative") is None:
            return None
        return stored * (1 + tolerances["speed_relative"]) + tolerances["relative_floor"]
    if is_relative(metric):
        return stored * (1 + tolerances["relative"]) + tolerances["relative_floor"]
    return stored - tolerances["absolute"] if higher_is_better(metric) else stored + tolerances["absolute"]


def compare(stored: dict[str, Any], measured: dict[str, Any]) -> list[Finding]:
    tolerances = {**DEFAULT_TOLERANCES, **stored.get("tolerances", {})}
    overrides = stored.get("overrides", {})
    findings = []
    for method, tasks in stored["metrics"].items():
        for task, durations in tasks.items():
            for duration, metrics in durations.items():
                got = measured.get(method, {}).get(task, {}).get(duration)
                for metric, value in metrics.items():
                    bound = limit(metric, value, {**tolerances, **overrides.get(metric, {})})
                    if bound is None:
                        continue
                    new = None if got is None else got.get(metric)
                    worse = new is None or (new < bound if higher_is_better(metric) else new > bound)
                    if worse:
                        findings.append(Finding(method, task, duration, metric, value, new, bound))
    return findings


def _finite(value: Any, where: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DataError(f"{where}: expected a finite number, got {_short(value)}")
    if minimum is not None and value < minimum:
        raise DataError(f"{where}: expected a number >= {minimum:g}, got {value!r}")
    return float(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _tolerances(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise DataError(f"{where}: expected a mapping of tolerance name to number")
    unknown = set(value) - set(DEFAULT_TOLERANCES)
    if unknown:
        raise DataError(f"{where}: unknown {sorted(unknown)}; expected {sorted(DEFAULT_TOLERANCES)}")
    for name, number in value.items():
        if not (name == "speed_relative" and number is None):
            _finite(number, f"{where}.{name}", minimum=0.0)


def _read_json(path: Path, missing: str) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {missing}") from None
    except IsADirectoryError:
        raise DataError(f"{path}: a folder, not a JSON file") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise DataError(f"{path}: malformed JSON: {e}") from None
    except RecursionError:
        raise DataError(f"{path}: malformed JSON: nested too deep") from None


def load_baseline(path: Path) -> dict[str, Any]:
    """The stored file, checked: every stored metric a finite number (a NaN or -Infinity would
    pass any run), tolerances finite and >= 0."""
    stored = _read_json(path, "no such baseline; create it with --update")
    if not isinstance(stored, dict) or not isinstance(stored.get("metrics"), dict):
        raise DataError(f"{path}: metrics: expected a mapping method -> task -> duration -> metric")
    _tolerances(stored.get("tolerances", {}), f"{path}: tolerances")
    overrides = stored.get("overrides", {})
    if not isinstance(overrides, dict):
        raise DataError(f"{path}: overrides: expected a mapping metric -> tolerances")
    for metric, tolerances in overrides.items():
        _tolerances(tolerances, f"{path}: overrides.{metric}")
    for method, tasks in stored["metrics"].items():
        where = f"{path}: metrics.{method}"
        if not isinstance(tasks, dict):
            raise DataError(f"{where}: expected a mapping task -> duration -> metric")
        for task, durations in tasks.items():
            if not isinstance(durations, dict):
                raise DataError(f"{where}.{task}: expected a mapping duration -> metric")
            for duration, metrics in durations.items():
                if not isinstance(metrics, dict):
                    raise DataError(f"{where}.{task}.{duration}: expected a mapping metric -> value")
                for metric, value in metrics.items():
                    _finite(value, f"{where}.{task}.{duration}.{metric}")
    return stored


def update_baseline(run_dir: Path, path: Path) -> dict[str, Any]:
    """Write the run's metrics, keeping the tolerances a previous file declared."""
    previous = load_baseline(path) if path.exists() else {}
    manifest = _read_json(run_dir / "manifest.json", "no manifest.json; not a run directory")
    if not isinstance(manifest, dict):
        raise DataError(f"{run_dir / 'manifest.json'}: expected a JSON object")
    stored = {
        "suite": manifest.get("suite"),
        "created": now(),
        "from_commit": git_state().get("commit"),
        "tolerances": previous.get("tolerances", DEFAULT_TOLERANCES),
        "overrides": previous.get("overrides", {}),
        "metrics": measured_metrics(run_dir),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=1, sort_keys=False) + "\n")
    return stored


def main(run_dir: Path, against: Path, update: bool, methods: list[str] | None = None) -> int:
    if not (run_dir / "results.jsonl").exists():
        raise ConfigError(f"{run_dir}: no results.jsonl; not a run directory")
    read_results(run_dir)  # a damaged file is a one-line error here, not a traceback in aggregate
    if update:
        stored = update_baseline(run_dir, against)
        count = sum(len(m) for t in stored["metrics"].values() for d in t.values() for m in d.values())
        print(f"wrote {against}: {count} metrics")
        return 0
    stored = load_baseline(against)
    if methods:
        unknown = [m for m in methods if m not in stored["metrics"]]
        if unknown:
            raise ConfigError(f"--methods: {', '.join(unknown)} not in {against}; "
                              f"it stores {', '.join(stored['metrics'])}")
        stored["metrics"] = {m: stored["metrics"][m] for m in methods}
    findings = compare(stored, measured_metrics(run_dir))
    for finding in findings:
        print(finding)
    checked = sum(len(m) for t in stored["metrics"].values() for d in t.values() for m in d.values())
    print(f"{len(findings)} regression(s) in {checked} stored metrics against {against}")
    return 1 if findings else 0
