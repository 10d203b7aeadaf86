"""Activity thresholds of a frame head, tuned on held-out examples as DCASE systems tune theirs.

An undertrained or differently trained head rarely puts activity above 0.5, so reading it at
0.5 says more about calibration than about timing. For each activity task the head was trained
on, this picks the threshold on GRID with the best score (lowest DER, highest event F1) over a
calibration set drawn from its own seed namespace, disjoint from training, dev and evaluation.

    python -m bench calibrate CHECKPOINT [--examples 16]

rewrites the checkpoint's head.pt with the thresholds, re-scores its dev set with them and
updates framebench.json and the model card. `bench train` calls the same code before its dev
evaluation.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.tasks import get_task
from bench.types import Prediction
from methods.frame_head import FrameHead
from methods.frame_tasks import ACTIVITY_TASKS, DECODERS, answer, frames_inside
from methods.training_data import TrainingExample, calibration_set

GRID = tuple(round(float(t), 2) for t in np.arange(0.02, 0.62, 0.02))
# task -> (metric, whether higher is better)
OBJECTIVE = {"diarization": ("der", False), "event_detection": ("event_f1", True)}
DEFAULT_EXAMPLES = 16


@torch.no_grad()
def tune(lm: Any, head: FrameHead, examples: list[TrainingExample]) -> dict[str, float]:
    """The best threshold per activity task over `examples` (one prefill each, then only decoding)."""
    outputs: dict[str, list[tuple[TrainingExample, torch.Tensor]]] = {}
    for ex in examples:
        if ex.task in ACTIVITY_TASKS:
            hidden = lm.encode(ex.question, ex.samples, ex.cached).hidden
            output = frames_inside(head(hidden[None])[0].float().cpu(), ex.duration, head.frame_seconds)
            outputs.setdefault(ex.task, []).append((ex, output))
    thresholds = {}
    for task, items in outputs.items():
        metric, higher = OBJECTIVE[task]
        spec = get_task(task)
        scores = []
        for threshold in GRID:
            scorers = spec.new_scorers()
            for ex, output in items:
                events = answer(ex.example, output, head.channels, head.frame_seconds, DECODERS["topn"], threshold)
                spec.score(scorers, ex.example, Prediction(events=events))
            value = spec.summarize(scorers).get(metric)
            value = float("nan") if value is None else float(value)
            scores.append(-np.inf if np.isnan(value) else (value if higher else -value))
        thresholds[task] = GRID[int(np.argmax(scores))]
    return thresholds


def main(checkpoint: Path, n_examples: int | None = None) -> dict[str, float]:
    """Calibrate a trained checkpoint in place; returns the thresholds."""
    from methods.backbone import AudioLM
    from methods.checkpoint import read_meta
    from methods.train import Trainer, dev_examples, held_out_pools, parse_config, write_card

    meta = read_meta(checkpoint)
    if meta.get("method") == "token" or not (checkpoint / "head.pt").exists():
        raise SystemExit(f"{checkpoint}: no frame head to calibrate")
    config = parse_config(meta["config"])
    lm = AudioLM(checkpoint / "backbone", attention=meta["attention"])
    head, head_meta = FrameHead.load(checkpoint / "head.pt")
    head.eval()
    tasks = [t for t in config.tasks if t in ACTIVITY_TASKS]
    n_examples = n_examples or config.calibration_examples
    examples = calibration_set(tasks, held_out_pools(config), config.seed, config.durations, n_examples * len(tasks))
    head.thresholds = tune(lm, head, examples)
    head.save(checkpoint / "head.pt", backbone=head_meta["backbone"], loss=head_meta["loss"], extra=head_meta["extra"])
    meta["thresholds"] = head.thresholds
    meta["calibration"] = calibration_note(n_examples, config.seed)
    meta["dev"] = Trainer(config, lm, head).evaluate(dev_examples(config))
    write_card(checkpoint, meta)
    print(f"{checkpoint}: thresholds {head.thresholds}; dev re-scored")
    return head.thresholds


def calibration_note(n_examples: int, seed: int) -> str:
    from methods.training_data import CALIBRATION_SEED_OFFSET
    return (f"activity thresholds tuned on {n_examples} examples per activity task (seed "
            f"{CALIBRATION_SEED_OFFSET + seed}), grid {GRID[0]}-{GRID[-1]}")
