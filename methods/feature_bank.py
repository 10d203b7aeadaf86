"""Training, dev and calibration examples with the frozen audio tower's states computed once.

With a frozen pretrained tower (Whisper tiny.en), a training step needs only the tower's output,
which never changes: computing it once per example makes a step ~100x cheaper than running the
tower each time, and every method trained on the same data shares the work. Examples are the
ones `methods.training_data` draws (seed namespaces disjoint from the suites), each asked
once: the training set is `train_examples` fresh draws, in chunks that each have their own rng,
so chunks are built in parallel and a killed build resumes with the chunks it has.

Cache: <cache root>/feature-bank-<key>/{train-NNNN,dev,calibration}.pt; the key covers the data
parameters, seeds, tokenizer, tower weights and the code that makes the examples.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from bench.data.params import fingerprint
from bench.data.sources import cache_root, code_version
from methods.audio_tower import as_numpy_f16, tower, window_states
from methods.training_data import (CALIBRATION_SEED_OFFSET, DEV_SEED_OFFSET, TRAIN_SEED_OFFSET, ExampleMaker,
                                   TrainingExample)

CHUNK = 250


def bank_key(config: Any, backbone: Path, held_out_pools: dict[str, Any]) -> str:
    """What decides the bank's content: data, seeds, tokenizer and tower weights, generator code."""
    digest = hashlib.sha256()
    for name in ("tokenizer.json", "config.json"):
        digest.update((backbone / name).read_bytes())
    # The tower's weights, not the whole model: the text side is random here and trained later.
    from safetensors import safe_open

    with safe_open(str(backbone / "model.safetensors"), "pt") as f:
        for key in sorted(k for k in f.keys() if "audio_tower" in k):
            digest.update(key.encode())
            digest.update(f.get_tensor(key).float().numpy().tobytes())
    code = hashlib.sha256(b"".join((Path(__file__).parent / m).read_bytes()
                                   for m in ("feature_bank.py", "training_data.py", "audio_tower.py"))).hexdigest()
    return fingerprint(list(config.tasks), config.pools, held_out_pools, config.seed, list(config.durations),
                       config.dev_examples, config.calibration_examples, digest.hexdigest(), code, code_version())[:12]


class Bank:
    """The cached examples of one training config: `train` (chunks), `dev`, `calibration`."""

    def __init__(self, folder: Path, config: Any, backbone: Path, held_out_pools: dict[str, Any],
                 log: Callable[[str], None] = print) -> None:
        self.folder, self.config, self.backbone, self.held_out_pools, self.log = (
            folder, config, backbone, held_out_pools, log)

    @classmethod
    def for_config(cls, config: Any, backbone: Path, held_out_pools: dict[str, Any],
                   log: Callable[[str], None] = print) -> Bank:
        folder = cache_root() / f"feature-bank-{bank_key(config, backbone, held_out_pools)}"
        return cls(folder, config, backbone, held_out_pools, log)

    @property
    def n_chunks(self) -> int:
        return -(-self.config.train_examples // CHUNK)

    def build(self, workers: int = 1, splits: tuple[str, ...] = ("train", "dev", "calibration")) -> None:
        """Every missing chunk, `workers` processes at a time, then dev and calibration."""
        self.folder.mkdir(parents=True, exist_ok=True)
        todo = [i for i in range(self.n_chunks) if not self._chunk(i).exists()] if "train" in splits else []
        start = time.perf_counter()
        if todo:
            self.log(f"[bank] {self.folder}: building {len(todo)} of {self.n_chunks} chunks of {CHUNK} examples "
                     f"with {workers} worker(s)")
            jobs = [("train", i) for i in todo]
            # The clip pools are generated here, once: forked workers inherit them instead of
            # writing the same cache files side by side.
            self.train_maker()
            if workers > 1:
                with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init,
                                                              initargs=(self,)) as pool:
                    for done, name in enumerate(pool.imap_unordered(_build_job, jobs), 1):
                        self._progress(done, len(jobs), start, name)
            else:
                _worker_init(self)
                for done, job in enumerate(jobs, 1):
                    self._progress(done, len(jobs), start, _build_job(job))
        for split in ("dev", "calibration"):
            if split in splits and not (self.folder / f"{split}.pt").exists():
                _worker_init(self)
                _build_job((split, 0))
        self.log(f"[bank] ready in {time.perf_counter() - start:.0f}s")

    def _progress(self, done: int, total: int, start: float, name: str) -> None:
        elapsed = time.perf_counter() - start
        self.log(f"[bank] {name} ({done}/{total}, {elapsed:.0f}s, eta {elapsed / done * (total - done):.0f}s)")

    def _chunk(self, i: int) -> Path:
        return self.folder / f"train-{i:04d}.pt"

    def train(self) -> list[TrainingExample]:
        return [ex for i in range(self.n_chunks) for ex in _load(self._chunk(i))][: self.config.train_examples]

    def held_out(self, split: str) -> list[TrainingExample]:
        return _load(self.folder / f"{split}.pt")

    def stream(self, rng: random.Random) -> Iterator[TrainingExample]:
        """The training examples in a fresh shuffled order each epoch, endlessly."""
        examples = self.train()
        while True:
            order = list(range(len(examples)))
            rng.shuffle(order)
            for i in order:
                yield examples[i]

    # ------------------------------------------------------------------------------- building

    def train_maker(self) -> ExampleMaker:
        c = self.config
        return _maker(list(c.tasks), c.pool_params(), TRAIN_SEED_OFFSET + c.seed, tuple(c.durations))

    def make(self, split: str, index: int) -> list[TrainingExample]:
        c = self.config
        tasks = list(c.tasks)
        if split == "train":
            maker = self.train_maker()
            rng = random.Random(fingerprint("train-chunk", c.seed, index))
            first = index * CHUNK
            n = min(CHUNK, c.train_examples - first)
            return [maker.make(rng.choice(tasks), rng, f"train/{first + j:07d}") for j in range(n)]
        seed = (DEV_SEED_OFFSET if split == "dev" else CALIBRATION_SEED_OFFSET) + c.seed
        n = c.dev_examples if split == "dev" else c.calibration_examples
        if split == "calibration":
            from methods.frame_tasks import ACTIVITY_TASKS
            tasks = [t for t in tasks if t in ACTIVITY_TASKS]
            if not tasks:
                return []
            n *= len(tasks)
        maker = _maker(tasks, self.held_out_pools, seed, tuple(c.durations))
        return maker.fixed(n, random.Random(seed), split)


_STATE: dict[str, Any] = {}


def _worker_init(bank: Bank) -> None:
    from methods.backbone import AudioLM

    torch.set_num_threads(1)
    if _STATE.get("bank") is not bank:
        _STATE.update(bank=bank, lm=AudioLM(bank.backbone, attention="causal"))


@torch.no_grad()
def _build_job(job: tuple[str, int]) -> str:
    split, index = job
    bank: Bank = _STATE["bank"]
    lm = _STATE["lm"]
    examples = bank.make(split, index)
    for ex in examples:
        inputs, _, _ = lm.inputs(ex.question, ex.samples)
        valid = inputs["feature_attention_mask"].sum(-1).tolist()
        states = [window_states(tower(lm.model), inputs["input_features"][w], int(v)) for w, v in enumerate(valid)]
        ex.input_ids = inputs["input_ids"][0].numpy().astype("int32")
        ex.states = as_numpy_f16(states)
        ex.samples = None
    path = bank._chunk(index) if split == "train" else bank.folder / f"{split}.pt"
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    torch.save(examples, tmp)
    os.replace(tmp, path)
    return path.name


_MAKERS: dict[Any, ExampleMaker] = {}


def _maker(tasks: list[str], pools: dict[str, Any], seed: int, durations: tuple[float, float]) -> ExampleMaker:
    key = (tuple(tasks), fingerprint(pools), seed, durations)
    if key not in _MAKERS:
        _MAKERS[key] = ExampleMaker(tasks, pools, seed, durations)
    return _MAKERS[key]


def _load(path: Path) -> list[TrainingExample]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing; build the feature bank first (Bank.build)")
    return torch.load(path, weights_only=False)
