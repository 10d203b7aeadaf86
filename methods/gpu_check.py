"""A prepared check for a machine with a CUDA GPU: training steps and inference in bf16.

    python -m methods.gpu_check [--steps 20] [--examples 8] [--tasks event_onset,event_detection]

Loads the shipped frame-ihp and token checkpoints onto the GPU in bf16, runs a few training
steps of the frame-ihp loss (the loss must be finite and printed per step), then times, on the
same 15 s examples, frame-ihp inference (one prefill + head + decode) against token generation,
with CUDA synchronisation around every timed call. Prints figures; asserts only that CUDA works.
"""
from __future__ import annotations

import argparse
import dataclasses
import random
import time

import numpy as np
import torch

from methods.backbone import AudioLM
from methods.checkpoint import SHIPPED, read_meta
from bench.types import Event
from methods.frame_head import FrameHead
from methods.frame_tasks import DECODERS, answer, frames_inside
from methods.train import Trainer, load_config
from methods.training_data import train_maker


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn):  # type: ignore[no-untyped-def]
    sync()
    start = time.perf_counter()
    result = fn()
    sync()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--examples", type=int, default=8)
    # Scene tasks need no speech synthesis (espeakng-loader) on the GPU machine.
    parser.add_argument("--device", default="cuda", help="cpu rehearses the script where there is no GPU")
    parser.add_argument("--tasks", help="comma-separated tasks (default: those frame-ihp was trained on)")
    args = parser.parse_args()
    device = args.device
    assert device == "cpu" or torch.cuda.is_available(), "no CUDA device"
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    print(f"device: {name}, torch {torch.__version__}")
    dtype = torch.bfloat16

    frame_dir, token_dir = SHIPPED / "frame-ihp", SHIPPED / "token"
    config, _ = load_config("configs/train/frame-ihp.yaml")
    lm = AudioLM(frame_dir / "backbone", attention=read_meta(frame_dir)["attention"], device=device, dtype=dtype)
    head, _ = FrameHead.load(frame_dir / "head.pt")
    head = head.to(device, dtype)
    tasks = args.tasks.split(",") if args.tasks else list(config.tasks)
    config = dataclasses.replace(config, tasks=tuple(tasks))
    small_pools = {s: dataclasses.replace(p, pool_size=8) for s, p in config.pool_params().items()}
    stream = train_maker(tasks, small_pools, config.seed, (15.0, 15.0)).stream(random.Random(0))
    examples = [next(stream) for _ in range(args.examples)]

    trainer = Trainer(config, lm, head)
    params = list(lm.model.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=config.lr)
    lm.model.train()
    for step in range(args.steps):
        optimizer.zero_grad(set_to_none=True)
        (loss, _), seconds = timed(lambda: trainer.loss(examples[step % len(examples)]))
        loss.backward()
        optimizer.step()
        print(f"train step {step + 1}: loss {loss.item():.4f} forward {seconds * 1000:.1f} ms")
        assert torch.isfinite(loss)
    lm.model.eval()

    token_lm = AudioLM(token_dir / "backbone", attention=read_meta(token_dir)["attention"], device=device, dtype=dtype)
    frame_times, token_times = [], []
    for ex in examples:
        def frame() -> list[Event]:
            states = lm.encode(ex.question, ex.samples)
            with torch.no_grad():
                output = head(states.hidden[None])[0].float().cpu()
            output = frames_inside(output, ex.duration, head.frame_seconds)
            return answer(ex.example, output, head.channels, head.frame_seconds, DECODERS["posterior_mode"],
                          head.thresholds.get(ex.task, 0.5))
        events, seconds = timed(frame)
        frame_times.append(seconds)
        (text, n_tokens, _), seconds = timed(lambda: token_lm.generate(ex.question, ex.samples, 64 * ex.n_expected))
        token_times.append(seconds)
        print(f"{ex.task}: frame {frame_times[-1] * 1000:.1f} ms ({len(events)} answers), "
              f"token {token_times[-1] * 1000:.1f} ms ({n_tokens} tokens)")
    # The first call of each warms CUDA up; the median of the rest is the figure.
    f, t = float(np.median(frame_times[1:])), float(np.median(token_times[1:]))
    print(f"median over {len(examples) - 1} examples of 15 s: frame-ihp {f * 1000:.1f} ms, token {t * 1000:.1f} ms, "
          f"speedup {t / f:.1f}x (bf16, {name})")


if __name__ == "__main__":
    main()
