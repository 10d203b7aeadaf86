"""Method registry: name -> factory, and the tasks each method answers.

Factories are named as "module:function" strings so that listing or validating methods never
imports heavy dependencies (torch, vllm) that only some methods need. To add a method, write
a module with a factory `make(options: dict) -> Method` and add a line to METHODS.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from bench.errors import ConfigError
from bench.method import Method
from bench.tasks import TASK_NAMES


@dataclass(frozen=True)
class MethodSpec:
    name: str
    factory: str  # "module:function"
    tasks: frozenset[str]
    description: str

    def build(self, options: dict[str, Any] | None = None) -> Method:
        module_name, func_name = self.factory.split(":")
        method = getattr(importlib.import_module(module_name), func_name)(dict(options or {}))
        method.name = self.name
        return method


ALL_TASKS = frozenset(TASK_NAMES)

METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in [
        MethodSpec("oracle", "bench.reference_methods:make_oracle", ALL_TASKS,
                   "returns the reference; scores perfectly (a test of the metrics)"),
        MethodSpec("uniform", "bench.reference_methods:make_uniform", ALL_TASKS,
                   "evenly spaced guesses over the audio (the floor)"),
        MethodSpec("token-hf", "baselines.token_hf:make", ALL_TASKS,
                   "the audio LM generates a JSON answer with transformers (greedy)"),
        MethodSpec("frame-binary", "methods.frame_method:make_binary", ALL_TASKS,
                   "frame head trained with binary cross-entropy, top-n decoding"),
        MethodSpec("frame-ihp", "methods.frame_method:make_ihp", ALL_TASKS,
                   "frame head trained with the inhomogeneous Poisson loss, posterior-mode decoding"),
        MethodSpec("frame-joint", "methods.frame_method:make_joint", ALL_TASKS,
                   "LM loss + IHP head trained jointly, posterior-mode decoding"),
    ]
}


def get_method(name: str) -> MethodSpec:
    if name not in METHODS:
        raise ConfigError(f"unknown method {name!r}; known: {', '.join(sorted(METHODS))}")
    return METHODS[name]
