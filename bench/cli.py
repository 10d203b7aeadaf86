"""Command line: `python -m bench {run,merge,report,score,check,train,calibrate,list}`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.errors import ConfigError


def _names(value: str | None) -> list[str] | None:
    """A comma-separated --methods value as a list; None when not given."""
    return [m.strip() for m in value.split(",") if m.strip()] if value else None


def cmd_run(args: argparse.Namespace) -> int:
    from bench.runner import parse_shard, run_suite
    from bench.suite import load_suite

    shard = parse_shard(args.shard) if args.shard else None
    suite = load_suite(args.suite)
    methods = _names(args.methods)
    extra = {}
    if args.vllm_url:
        from baselines.vllm_server import served_model
        from bench.suite import http_url

        http_url(args.vllm_url, "--vllm-url")  # http(s) only: no file:, ftp:, ...
        served_model(args.vllm_url)  # a wrong URL is a one-line error before any work starts
        extra["token-vllm-server"] = {"url": args.vllm_url}
    run_dir = run_suite(suite, methods, args.limit, Path(args.out) if args.out else None, args.fresh,
                        argv=sys.argv, model=args.model, extra_options=extra, shard=shard)
    print(f"results: {run_dir / 'results.jsonl'}")
    if shard:
        print("next, once every shard is done: python -m bench merge <shard dirs> --out <run dir>")
    else:
        print(f"next: python -m bench report {run_dir}")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from bench.merge import merge_runs

    summary = merge_runs([Path(d) for d in args.run_dirs], Path(args.out))
    print(f"merged into {args.out}: {summary.added} rows added, {summary.duplicates} already there, "
          f"{summary.total} in all")
    print(f"next: python -m bench report {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from bench.report import write_report
    from bench.runner import latest_run

    run_dir = Path(args.run_dir) if args.run_dir else latest_run()
    if run_dir is None:
        raise ConfigError("no run found under results/runs; run `python -m bench run SUITE.yaml` first")
    if not (run_dir / "results.jsonl").exists():
        raise ConfigError(f"{run_dir}: no results.jsonl; not a run directory")
    from bench.results import read_results

    read_results(run_dir)  # a damaged file is a one-line error here, not a traceback in the report
    report = write_report(run_dir, timelines=args.timelines, in_distribution=args.in_distribution)
    print(report.read_text())
    print(f"report: {report}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from bench import score

    return score.main(args)


def cmd_check(args: argparse.Namespace) -> int:
    from bench import check

    methods = _names(args.methods)
    return check.main(Path(args.run_dir), Path(args.against), args.update, methods)


def cmd_train(args: argparse.Namespace) -> int:
    from methods.train import main as train

    checkpoint = train(Path(args.config), Path(args.out) if args.out else None)
    print(f"checkpoint: {checkpoint}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from methods.calibrate import main as calibrate

    calibrate(Path(args.checkpoint), args.examples)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from bench.registry import METHODS
    from bench.tasks import TASK_NAMES, get_task

    print("tasks:")
    for name in TASK_NAMES:
        print(f"  {name:18s} source={get_task(name).source}")
    print("methods:")
    for spec in METHODS.values():
        print(f"  {spec.name:18s} {spec.description}  [tasks: {', '.join(sorted(spec.tasks))}]")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from bench import score

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a suite (resumes an interrupted run in the same --out)")
    run.add_argument("suite", help="suite YAML, e.g. suites/smoke.yaml")
    run.add_argument("--methods", help="comma-separated method names (default: the suite's)")
    run.add_argument("--limit", type=int, help="at most N examples per task and duration")
    run.add_argument("--out", help="run directory (default results/runs/<suite name>)")
    run.add_argument("--fresh", action="store_true", help="discard earlier results in the run directory")
    run.add_argument("--model", help="checkpoint folder for the model methods run (default: the shipped ones)")
    run.add_argument("--vllm-url", help="token-vllm-server attaches to this OpenAI-compatible server "
                                        "(default: it starts its own from the vLLM environment)")
    run.add_argument("--shard", help="i/N: run only the i-th of N disjoint parts (default --out gains .shardIofN)")
    run.set_defaults(func=cmd_run)

    merger = sub.add_parser("merge", help="join run directories (shards) into one; never duplicates a row")
    merger.add_argument("run_dirs", nargs="+", help="run directories, e.g. results/runs/smoke.shard*of2")
    merger.add_argument("--out", required=True, help="the merged run directory (rows already there are kept)")
    merger.set_defaults(func=cmd_merge)

    report = sub.add_parser("report", help="tables and plots of a run (default: the latest run)")
    report.add_argument("run_dir", nargs="?")
    report.add_argument("--timelines", type=int, default=6, help="how many example timelines to plot (one per task)")
    report.add_argument("--in-distribution", type=float, default=15.0, metavar="SECONDS",
                        help="durations up to this are the models' training range, for the findings (default 15)")
    report.set_defaults(func=cmd_report)

    scorer = sub.add_parser("score", help="score reference vs hypothesis files (RTTM, TSV, word JSON)")
    score.add_arguments(scorer)
    scorer.set_defaults(func=cmd_score)

    gate = sub.add_parser("check", help="fail (exit 1) if a run regressed against stored metrics")
    gate.add_argument("run_dir")
    gate.add_argument("--against", required=True, help="stored metrics, e.g. results/baselines/smoke.json")
    gate.add_argument("--update", action="store_true", help="write the file from this run instead of checking")
    gate.add_argument("--methods", help="comma-separated: gate only these stored methods (one checkpoint's run)")
    gate.set_defaults(func=cmd_check)

    trainer = sub.add_parser("train", help="train a model method's checkpoint on generated data")
    trainer.add_argument("config", help="training YAML, e.g. configs/train/frame-ihp.yaml")
    trainer.add_argument("--out", help="checkpoint folder (default checkpoints/<name>)")
    trainer.set_defaults(func=cmd_train)

    calibrator = sub.add_parser("calibrate", help="tune a frame head's activity thresholds on held-out examples")
    calibrator.add_argument("checkpoint", help="checkpoint folder, e.g. checkpoints/frame-ihp")
    calibrator.add_argument("--examples", type=int, default=None,
                            help="calibration examples per activity task (default: the training config's)")
    calibrator.set_defaults(func=cmd_calibrate)

    lister = sub.add_parser("list", help="list tasks and methods")
    lister.set_defaults(func=cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "limit", None) is not None and args.limit < 1:
        print("error: --limit: expected a whole number >= 1", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished rows are saved, run the same command again to resume", file=sys.stderr)
        return 130
