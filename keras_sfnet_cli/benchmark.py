"""Benchmarks SFNet per runtime and prints a Markdown table (see benchmarks/README.md).

    sfnet-benchmark --backbone resnet18 --size 512 1024 --threads 2 \\
        --torch-reference /path/to/SFSegNets [--json out.json]
    sfnet-benchmark --quick   # CI smoke run: 256x512, 2 repeats

Across Keras backends (one worker process per backend and model; inference, a training
step, the first call's tracing/compilation time apart, ratios against the TensorFlow
backend and the authors' PyTorch):

    sfnet-benchmark --backend tensorflow jax torch --models sfnet_r18 sfnet_dfv1 \\
        --size 512 1024 --train-size 512 1024 --train-batch 1 [--torch-reference DIR]
"""

from __future__ import annotations

import argparse
import json
import os

from keras_sfnet.names import BACKENDS
from keras_sfnet_cli.argument_types import existing_path
from keras_sfnet_cli.command import new_parser, run_command
from keras_sfnet_cli.output_checks import check_writable

__all__ = ["build_parser", "check", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    add = parser.add_argument
    add("--backbone", default="resnet18", help="encoder: resnet18, dfnet1, stdc2, ...")
    add("--head", default="v1", choices=("v1", "lite"), help="SFNet (v1) or SFNet-Lite head")
    add("--size", type=int, nargs=2, default=(512, 1024), metavar=("H", "W"), help="input size")
    add("--batch", type=int, default=1, help="images per call")
    add("--threads", type=int, default=2, help="TensorFlow intra-op threads")
    add("--warmup", type=int, default=0, help="extra untimed calls")
    add("--repeats", type=int, default=5, help="timed calls")
    add("--runtimes", nargs="+", default=None, help="a subset of the runtimes (default: all)")
    add("--torch-reference", type=existing_path, default=None, help="SFSegNets checkout")
    add("--no-train", action="store_true", help="skip the training step")
    add("--no-pipeline", action="store_true", help="skip the input pipeline")
    add("--no-warp", action="store_true", help="skip the warp profile")
    add("--quick", action="store_true", help="256x512, 2 repeats, small pipeline")
    add("--json", default=None, help="also write the report as JSON")
    add("--backend", dest="compare", nargs="+", choices=BACKENDS, default=None,
        help="compare these Keras backends instead (one worker process each)")
    add("--models", nargs="+", default=("sfnet_r18", "sfnet_dfv1"),
        help="with --backend: family names (keras_sfnet.list_models())")
    add("--train-size", type=int, nargs=2, default=None, metavar=("H", "W"),
        help="with --backend: training-step crop (default: --size; with --no-train: none)")
    add("--train-batch", type=int, default=1, help="with --backend: training batch")
    return parser


def check(args: argparse.Namespace) -> None:
    """The JSON report's location (before TensorFlow loads)."""
    if args.json:
        check_writable(args.json)


def run_backends(args: argparse.Namespace) -> int:
    """`--backend ...`: `keras_sfnet.benchmark.backend_speed.compare_backends`."""
    from keras_sfnet.benchmark.backend_speed import (
        SpeedConfig,
        compare_backends,
        format_comparison,
    )

    configs = [
        SpeedConfig(
            model=name,
            input_size=tuple(args.size),
            batch_size=args.batch,
            rounds=args.repeats,
            train=not args.no_train,
            train_size=tuple(args.train_size or args.size),
            train_batch=args.train_batch,
            train_rounds=max(2, args.repeats // 2),
            authors_checkout=args.torch_reference,
        )
        for name in args.models
    ]
    # OMP_WAIT_POLICY: torch's OpenMP threads must not spin at their barriers: on a shared
    # machine a spinning thread waits for a descheduled one (10-40x slower calls).
    env = {"OMP_NUM_THREADS": str(args.threads), "TF_NUM_INTRAOP_THREADS": str(args.threads),
           "OMP_WAIT_POLICY": "PASSIVE"}  # fmt: skip
    os.environ.update({k: v for k, v in env.items() if k not in os.environ})
    results = compare_backends(configs, backends=args.compare)
    print(format_comparison(results))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2, default=str)
        print(f"wrote {args.json}")
    return 0 if all("error" not in r for r in results) else 1


def run(args: argparse.Namespace) -> int:
    if args.compare:
        return run_backends(args)
    # torch's OpenMP threads must not spin between runs: runtimes are interleaved.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from keras_sfnet.benchmark import harness

    harness.configure_threads(args.threads)  # before TensorFlow runs anything
    import keras_sfnet.kernels  # noqa: F401  (loads the fused warp when built)
    from keras_sfnet.benchmark import BenchmarkConfig, format_report, run_benchmark

    quick = {}
    if args.quick:
        quick = {
            "input_size": (256, 512),
            "repeats": 2,
            "pipeline_size": (256, 512),
            "pipeline_crop": (256, 256),
        }
    settings = {
        "backbone": args.backbone,
        "head": args.head,
        "input_size": tuple(args.size),
        "batch": args.batch,
        "threads": args.threads,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "runtimes": tuple(args.runtimes or harness.ALL_RUNTIMES),
        "torch_reference": args.torch_reference,
        "train": not args.no_train,
        "pipeline": not args.no_pipeline,
        "warp": not args.no_warp,
    }
    report = run_benchmark(BenchmarkConfig(**{**settings, **quick}))
    print(format_report(report))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2, default=str)
        print(f"wrote {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`sfnet-benchmark`: see the module docstring."""
    return run_command(build_parser(), run, argv, check=check)
