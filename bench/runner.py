"""Runs a suite: tasks x durations x methods, one JSONL row per example, written as it finishes.

A run directory is resumable: rows already in results.jsonl are never redone, so a killed run,
started again with the same command, finishes the rest and every row appears exactly once.
"""
from __future__ import annotations

import math
import os
import shutil
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: runs are not locked
    fcntl = None  # type: ignore[assignment]

from tqdm import tqdm

from bench.audio import Audio, AudioError, load_audio
from bench.errors import ConfigError
from bench.examples import build_examples
from bench.jsonl import JsonlWriter, read_jsonl
from bench.manifest import RunManifest, now
from bench.metrics.health import answer_health
from bench.metrics.speed import SpeedMetric
from bench.method import Method
from bench.registry import get_method
from bench.suite import MAX_DURATION_S, Suite
from bench.tasks import get_task
from bench.types import Event, Example, Failure, Prediction, duration_label

RUNS_DIR = Path("results/runs")
RESULTS = "results.jsonl"
MANIFEST = "manifest.json"
LOCK = ".lock"


def row_key(method: str, example_id: str) -> str:
    return f"{method}|{example_id}"


@dataclass
class WorkItem:
    example: Example
    duration: float  # the suite's nominal duration
    name: str  # the suite's name for the task entry; rows and tables use it


# A time this far outside the audio is not drift but garbage (1e8, 1e20, inf): the answer is an
# out_of_range failure before any metric sees it. The margin is wide so that no answer a model
# could mean (a time past a short clip's end, say) changes how it is scored.
ABSURD_FACTOR = 10.0
ABSURD_SLACK_S = 60.0
# Rows written before screen_times existed may hold such times; a report rescoring them drops
# anything past what screen_times lets through for the longest example a suite may ask.
MAX_SCORABLE_S = ABSURD_FACTOR * MAX_DURATION_S + ABSURD_SLACK_S


def is_absurd(t: float, duration: float) -> bool:
    return not math.isfinite(t) or t < -ABSURD_SLACK_S or t > ABSURD_FACTOR * duration + ABSURD_SLACK_S


def screen_times(prediction: Prediction, duration: float) -> Prediction:
    """`prediction`, or an out_of_range failure when any of its times is absurd (kept in info)."""
    bad = [e for e in prediction.events
           if is_absurd(e.onset, duration) or (e.offset is not None and is_absurd(e.offset, duration))]
    if not bad:
        return prediction
    e = bad[0]
    message = (f"{len(bad)} of {len(prediction.events)} answer(s) with a time not finite or far outside "
               f"the {duration:g} s audio, e.g. {e.label!r} {e.onset:g}-{e.offset if e.offset is not None else ''}")
    info = {**prediction.info, "out_of_range_events": [x.to_dict() for x in prediction.events]}
    return replace(prediction, events=[], failure=Failure("out_of_range", message), info=info)


def score_row(method: str, item: WorkItem, prediction: Prediction, settings: dict[str, Any]) -> dict[str, Any]:
    """Everything the report needs about one answered example."""
    example = item.example
    task = get_task(example.task)
    prediction = screen_times(prediction, example.audio.duration)
    metrics = task.score(task.new_scorers(), example, scorable(prediction, task.needs_offsets))
    health = answer_health(example, prediction, task.answer_count(prediction), task.expected_count(example))
    speed = SpeedMetric()(example.id, prediction.timings, example.audio.duration)
    return {
        "key": row_key(method, example.id), "method": method, "settings": settings,
        "task": item.name, "duration": item.duration,
        "example": example.to_dict(), "prediction": prediction.to_dict(),
        "metrics": metrics, "health": health, "speed": speed,
    }


def _detail(e: BaseException) -> str:
    return " ".join("".join(traceback.format_exception_only(type(e), e)).split())[:500]


def record_row(out: JsonlWriter, method: str, item: WorkItem, prediction: Prediction,
               settings: dict[str, Any]) -> bool:
    """Score and write one row. A failure of either is that row's recorded failure
    (`score_error`, the answer kept unscored), never the run's end. False when not even the
    failure could be written (the example is then redone on resume)."""
    try:
        row = score_row(method, item, prediction, settings)
    except Exception as e:
        problem = f"scoring failed: {_detail(e)}"
    else:
        try:
            out.write(row)
            return True
        except Exception as e:  # nothing was written: JsonlWriter encodes the whole line first
            problem = f"the row could not be recorded: {_detail(e)}"
    for keep_text in (True, False):
        fallback = Prediction(raw_text=prediction.raw_text if keep_text else None, timings=prediction.timings,
                              audio_seconds_consumed=prediction.audio_seconds_consumed,
                              failure=Failure("score_error", problem))
        try:
            out.write(score_row(method, item, fallback, settings))
            return True
        except Exception as e:
            last = _detail(e)
    print(f"error: {method} on {item.example.id}: {problem}; and its failure could not be recorded: {last}",
          file=sys.stderr)
    return False


def scorable(prediction: Prediction, needs_offsets: bool) -> Prediction:
    """The answers a metric can take: finite times within what any suite could accept.

    A span that ends at or before its start is kept and scored as the peer scorers score it
    (pyannote.metrics: an empty turn adds nothing; sed_eval: an event with a wrong offset), and
    counted by the `degenerate_span` health flag. The row keeps the raw prediction. (Absurd
    times have already made the answer an out_of_range failure: `screen_times`.)
    """
    def bounded(t: float | None) -> bool:
        return t is not None and math.isfinite(t) and abs(t) <= MAX_SCORABLE_S

    def ok(e: Event) -> bool:
        return bounded(e.onset) and (not needs_offsets or bounded(e.offset))

    return replace(prediction, events=[e for e in prediction.events if ok(e)])


def failed(kind: str, message: str, timings: dict[str, float] | None = None) -> Prediction:
    return Prediction(timings=timings or {}, failure=Failure(kind, message))


def predict_batch(method: Method, items: list[WorkItem]) -> list[Prediction]:
    """Loads audio and asks the method; any failure is recorded per example, never raised."""
    loaded: list[tuple[int, Example, Audio]] = []
    predictions: list[Prediction | None] = [None] * len(items)
    for i, item in enumerate(items):
        start = time.perf_counter()
        try:
            audio = load_audio(item.example.audio.path)
        except AudioError as e:
            predictions[i] = failed("audio_error", str(e), {"load_audio": time.perf_counter() - start})
            continue
        loaded.append((i, item.example, audio))
    if loaded:
        try:
            answers = method.predict_batch([(ex, audio) for _, ex, audio in loaded])
            if len(answers) != len(loaded):
                raise RuntimeError(f"returned {len(answers)} predictions for {len(loaded)} examples")
        except Exception as e:  # a method bug must not end the run or lose finished rows
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            answers = [failed("method_error", detail) for _ in loaded]
        for (i, _, _), answer in zip(loaded, answers):
            predictions[i] = answer
    return [p for p in predictions if p is not None]


def parse_shard(text: str) -> tuple[int, int]:
    """'i/N' (1-based) as (i, N)."""
    try:
        i, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard: expected i/N such as 1/4, got {text!r}") from None
    if not 1 <= i <= n:
        raise ConfigError(f"--shard: expected 1 <= i <= N, got {text!r}")
    return i, n


def shard_items(items: list[WorkItem], shard: tuple[int, int] | None) -> list[WorkItem]:
    """Every N-th example from the i-th: disjoint, covering, and the same on every machine.

    Items are in the suite's order, which depends only on the suite, so shards agree without
    talking to each other; striding mixes short and long examples into every shard.
    """
    if shard is None:
        return items
    i, n = shard
    return items[i - 1 :: n]


def run_suite(suite: Suite, methods: list[str] | None = None, limit: int | None = None,
              out_dir: Path | None = None, fresh: bool = False, argv: list[str] | None = None,
              model: str | None = None, extra_options: dict[str, dict[str, Any]] | None = None,
              shard: tuple[int, int] | None = None) -> Path:
    method_names = methods or list(suite.methods)
    for name in method_names:
        try:
            get_method(name)
        except ConfigError as e:
            raise ConfigError(f"--methods: {e}") from None
    run_dir = out_dir or RUNS_DIR / (suite.name if shard is None else f"{suite.name}.shard{shard[0]}of{shard[1]}")
    if out_dir is None and run_dir.resolve().parent != RUNS_DIR.resolve():
        raise ConfigError(f"{run_dir}: a run folder must lie directly in {RUNS_DIR}; check the suite's name")
    with run_lock(run_dir):
        if fresh:
            discard_run(run_dir)
        return _run_locked(suite, method_names, limit, run_dir, argv, model, extra_options, shard)


def _run_locked(suite: Suite, method_names: list[str], limit: int | None, run_dir: Path,
                argv: list[str] | None, model: str | None, extra_options: dict[str, dict[str, Any]] | None,
                shard: tuple[int, int] | None) -> Path:
    manifest = RunManifest(run_dir, suite)
    session = manifest.start_session(argv or sys.argv, method_names, limit)
    if shard is not None:
        session["shard"] = f"{shard[0]}/{shard[1]}"
        manifest.save()

    items = shard_items([WorkItem(ex, d, spec.name) for spec in suite.tasks for d in spec.durations
                         for ex in build_examples(spec, d, suite.seed, limit)], shard)
    results = run_dir / RESULTS
    done = {row["key"] for row in read_jsonl(results)}

    with JsonlWriter(results) as out:
        for name in method_names:
            spec = get_method(name)
            todo = [it for it in items if it.example.task in spec.tasks and row_key(name, it.example.id) not in done]
            skipped = sorted({it.example.task for it in items} - spec.tasks)
            if skipped:
                print(f"{name}: does not answer {', '.join(skipped)}; skipped", file=sys.stderr)
            if not todo:
                continue
            start = time.perf_counter()
            try:
                # run_dir: where a method may write its own logs (a server it starts, say).
                options = {"run_dir": str(run_dir), **suite.method_options.get(name, {}),
                           **({"model": model} if model else {}), **(extra_options or {}).get(name, {})}
                method = spec.build(options)
                method.setup()
            except Exception as e:
                message = f"{name}: setup failed: {e}"
                print(f"error: {message}", file=sys.stderr)
                session["errors"].append(message)
                manifest.save()
                continue
            session["setup_seconds"][name] = round(time.perf_counter() - start, 3)
            settings = method.settings()
            session.setdefault("method_settings", {})[name] = settings
            manifest.save()
            try:
                with tqdm(total=len(todo), desc=name, unit="ex") as bar:
                    for i in range(0, len(todo), method.batch_size):
                        batch = todo[i : i + method.batch_size]
                        bar.set_postfix_str(f"{batch[0].name} {duration_label(batch[0].duration)}")
                        for item, prediction in zip(batch, predict_batch(method, batch)):
                            record_row(out, name, item, prediction, settings)
                        bar.update(len(batch))
            finally:
                method.close()
    session["finished"] = now()
    manifest.save()
    return run_dir


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold DIR/.lock (created if needed) for as long as this process writes to the run folder.

    A second run (or merge) on the same folder refuses at once instead of duplicating rows or
    deleting the first one's. The lock goes with the process, even a killed one; the file stays.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    handle = (run_dir / LOCK).open("a+")
    try:
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip()
                raise ConfigError(f"{run_dir}: another run is writing to it (process {holder or '?'} holds "
                                  f"{run_dir / LOCK}); wait for it to finish, or give another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock


def is_run(run_dir: Path) -> bool:
    """Whether a folder holds a run of this harness."""
    return (run_dir / RESULTS).is_file() or (run_dir / MANIFEST).is_file()


def discard_run(run_dir: Path) -> None:
    """--fresh: empty a run folder (keeping the lock its caller holds); refuse any other folder."""
    if run_dir.is_symlink() or not run_dir.is_dir():
        raise ConfigError(f"--fresh: {run_dir} is not a folder; not deleting it")
    entries = [p for p in run_dir.iterdir() if p.name != LOCK]
    if not entries:
        return
    if not is_run(run_dir):
        raise ConfigError(f"--fresh: {run_dir} is not a run of this harness (no {RESULTS} or {MANIFEST}); "
                          "not deleting it")
    for p in entries:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def latest_run(runs_dir: Path = RUNS_DIR) -> Path | None:
    manifests = sorted(runs_dir.glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    return manifests[-1].parent if manifests else None
