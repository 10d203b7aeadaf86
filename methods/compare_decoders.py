"""Which decoder reads a frame head best? Every decoder on a checkpoint's dev set (its own seed
namespace, never a suite's), scored three ways: in-order matching (the harness's headline),
order-free matching (Hungarian) and the hit rate (a prediction within the tolerance, whatever
the matching). A decoder that hears the onsets but places one extra or misses one shows a high
hit rate and a low in-order accuracy.

    python -m methods.compare_decoders checkpoints/frame-ihp checkpoints/frame-binary [--csv out.csv]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import torch

from bench.tasks import get_task
from bench.types import Prediction
from methods.frame_head import FrameHead
from methods.frame_tasks import ACTIVITY_TASKS, DECODERS, DEFAULT_DECODER, answer, frames_inside

COLUMNS = ("acc@50ms", "hungarian/acc@50ms", "hit@50ms", "acc@100ms", "hit@100ms")


@torch.no_grad()
def compare(checkpoint: Path) -> pd.DataFrame:
    from methods.backbone import AudioLM
    from methods.checkpoint import read_meta
    from methods.feature_bank import Bank
    from methods.train import held_out_pools, parse_config

    meta = read_meta(checkpoint)
    config = parse_config(meta["config"])
    lm = AudioLM(checkpoint / "backbone", attention=meta["attention"])
    head, head_meta = FrameHead.load(checkpoint / "head.pt")
    head.eval()
    bank = Bank.for_config(config, checkpoint / "backbone", held_out_pools(config))
    bank.build(1, splits=("dev",))
    outputs = []
    for ex in bank.held_out("dev"):
        if ex.task not in ACTIVITY_TASKS:
            hidden = lm.encode(ex.question, ex.samples, ex.cached).hidden
            outputs.append((ex, frames_inside(head(hidden[None])[0], ex.duration, head.frame_seconds)))
    records = []
    for name, decoder in DECODERS.items():
        scorers: dict[str, dict] = {}
        for ex, output in outputs:
            task = get_task(ex.task)
            # Every onset task scored with both matchings, whatever its own headline uses.
            scorers.setdefault(ex.task, {"": _metric("order"), "hungarian": _metric("hungarian")})
            events = answer(ex.example, output, head.channels, head.frame_seconds, decoder)
            task.score(scorers[ex.task], ex.example, Prediction(events=events))
        for task_name, s in scorers.items():
            row = {"checkpoint": checkpoint.name, "loss": head_meta["loss"], "decoder": name, "task": task_name,
                   "default": name == DEFAULT_DECODER[head_meta["loss"]], "n": len(s[""]._files)}
            summary = {**s[""].summary(), **{f"hungarian/{k}": v for k, v in s["hungarian"].summary().items()}}
            records.append({**row, **{c: summary[c] for c in COLUMNS}})
    return pd.DataFrame(records)


def _metric(matching: str):  # type: ignore[no-untyped-def]
    from bench.metrics.alignment import AlignmentMetric

    return AlignmentMetric(matching=matching)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--csv", type=Path)
    args = parser.parse_args(argv)
    table = pd.concat([compare(c) for c in args.checkpoints], ignore_index=True)
    if args.csv:
        table.to_csv(args.csv, index=False)
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(table.round(3).to_string(index=False))
    return table


if __name__ == "__main__":
    main()
