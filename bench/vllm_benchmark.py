"""Parity and throughput of the token baseline on vLLM against transformers, in one run.

    .venv-vllm/bin/python -m bench.vllm_benchmark [--suite suites/smoke.yaml] [--out DIR] [--batch 8]

1. Parity: runs the suite with token-hf, token-vllm and token-vllm-server (resumable, in
   --out) and prints the share of examples whose greedy answers are identical, and every
   difference.
2. Throughput: on the same examples, examples/s and generated tokens/s of transformers at
   batch 1 (token-hf's own loop) and at --batch (`model.generate` on a left-padded batch, which
   runs until its longest answer ends), and of the offline vLLM engine at batch 1 and --batch,
   each after its start-up. Generated tokens are counted by re-tokenizing the answer text, the
   same way for every engine; the batched transformers answers are checked against token-hf's.
Figures are printed, not asserted; run it on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.audio import load_audio
from bench.jsonl import read_jsonl
from bench.registry import get_method
from bench.runner import run_suite
from bench.suite import load_suite
from bench.types import Example

ENGINES = ("token-hf", "token-vllm", "token-vllm-server")


def parity(run_dir: Path) -> None:
    answers: dict[str, dict[str, str | None]] = {}
    for row in read_jsonl(run_dir / "results.jsonl"):
        if row["method"] in ENGINES:
            answers.setdefault(row["example"]["id"], {})[row["method"]] = row["prediction"]["raw_text"]
    for engine in ENGINES[1:]:
        pairs = {k: (a["token-hf"], a[engine]) for k, a in answers.items() if "token-hf" in a and engine in a}
        differ = {k: p for k, p in pairs.items() if p[0] != p[1]}
        share = 1 - len(differ) / len(pairs) if pairs else float("nan")
        print(f"parity {engine} vs token-hf: {len(pairs) - len(differ)}/{len(pairs)} identical answers ({share:.1%})")
        for key, (hf, other) in differ.items():
            print(f"  differs {key}:\n    token-hf: {hf!r}\n    {engine}: {other!r}")


def throughput(examples: list[Example], name: str, options: dict, tokenizer) -> None:  # type: ignore[no-untyped-def]
    method = get_method(name).build(options)
    start = time.perf_counter()
    method.setup()
    setup = time.perf_counter() - start
    batch = [(ex, load_audio(ex.audio.path)) for ex in examples]
    start = time.perf_counter()
    predictions = []
    for i in range(0, len(batch), method.batch_size):
        predictions += method.predict_batch(batch[i : i + method.batch_size])
    seconds = time.perf_counter() - start
    method.close()
    tokens = sum(len(tokenizer.encode(p.raw_text or "", add_special_tokens=False)) for p in predictions)
    print(f"throughput {name} batch {method.batch_size}: {len(batch) / seconds:.2f} examples/s, "
          f"{tokens / seconds:.1f} generated tokens/s ({len(batch)} examples, {tokens} tokens, {seconds:.1f} s; "
          f"start-up {setup:.1f} s apart)")


def hf_batched(examples: list[Example], batch_size: int, reference: dict[str, str | None]) -> None:
    """transformers' own generate on left-padded batches (Qwen2-Audio), greedy, per-example budgets."""
    from baselines.token_answers import PAPER_MAX_NEW_TOKENS, budget
    from methods.backbone import SAMPLE_RATE, AudioLM, windows
    from methods.checkpoint import SHIPPED

    lm = AudioLM(SHIPPED / "token" / "backbone", attention="causal")
    tokenizer = lm.processor.tokenizer
    tokenizer.padding_side = "left"
    start, tokens, identical = time.perf_counter(), 0, 0
    for i in range(0, len(examples), batch_size):
        chunk = [(ex, load_audio(ex.audio.path)) for ex in examples[i : i + batch_size]]
        pieces = [windows(audio.samples) for _, audio in chunk]
        inputs = lm.processor(text=[lm.prompt(ex.query, len(p)) for (ex, _), p in zip(chunk, pieces)],
                              audio=[w for p in pieces for w in p], sampling_rate=SAMPLE_RATE,
                              return_tensors="pt", padding=True)
        budgets = [budget(ex, audio, PAPER_MAX_NEW_TOKENS) for ex, audio in chunk]
        out = lm.model.generate(**inputs, max_new_tokens=max(budgets), do_sample=False)
        for (ex, _), ids, limit in zip(chunk, out[:, inputs["input_ids"].shape[1]:].tolist(), budgets):
            answer = []
            for token in ids[:limit]:
                if token in lm.eos_ids or token == tokenizer.pad_token_id:
                    break
                answer.append(token)
            tokens += len(answer)
            identical += tokenizer.decode(answer, skip_special_tokens=True) == reference.get(ex.id)
    seconds = time.perf_counter() - start
    print(f"throughput transformers generate batch {batch_size}: {len(examples) / seconds:.2f} examples/s, "
          f"{tokens / seconds:.1f} generated tokens/s ({len(examples)} examples, {tokens} tokens, {seconds:.1f} s; "
          f"{identical}/{len(examples)} answers identical to token-hf's)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite", default="suites/smoke.yaml")
    parser.add_argument("--out", default="results/runs/vllm_parity")
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    suite = load_suite(args.suite)
    run_dir = run_suite(suite, list(ENGINES), out_dir=Path(args.out))
    parity(run_dir)

    from methods.checkpoint import SHIPPED
    from methods.loading import load_processor

    tokenizer = load_processor(SHIPPED / "token" / "backbone").tokenizer
    hf_rows = [r for r in read_jsonl(run_dir / "results.jsonl") if r["method"] == "token-hf"]
    examples = [Example.from_dict(r["example"]) for r in hf_rows]
    throughput(examples, "token-hf", {}, tokenizer)
    hf_batched(examples, args.batch, {r["example"]["id"]: r["prediction"]["raw_text"] for r in hf_rows})
    for batch in (1, args.batch):
        throughput(examples, "token-vllm", {"batch_size": batch}, tokenizer)


if __name__ == "__main__":  # vLLM spawns its workers: this guard keeps them from rerunning main
    main()
