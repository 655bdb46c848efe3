"""Benchmarks SFNet per runtime and prints a Markdown table (see benchmarks/README.md).

Usage:
    python tools/benchmark.py --backbone resnet18 --size 512 1024 --threads 2 \
        --torch-reference /path/to/SFSegNets [--json out.json]
    python tools/benchmark.py --quick   # CI smoke run: 256x512, 2 repeats
"""

import argparse
import json
import logging
import os
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="resnet18", help="resnet18, dfnet1, stdc2, ...")
    parser.add_argument("--head", default="v1", choices=("v1", "lite"))
    parser.add_argument("--size", type=int, nargs=2, default=(512, 1024), metavar=("H", "W"))
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runtimes", nargs="+", default=None, help="subset of the runtimes")
    parser.add_argument("--torch-reference", default=None, help="SFSegNets checkout")
    parser.add_argument("--no-train", action="store_true")
    parser.add_argument("--no-pipeline", action="store_true")
    parser.add_argument("--no-warp", action="store_true")
    parser.add_argument("--quick", action="store_true", help="256x512, 2 repeats, small pipeline")
    parser.add_argument("--json", default=None, help="also write the report as JSON")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    # torch's OpenMP threads must not spin between runs: runtimes are interleaved.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from keras_sfnet.benchmark import harness

    harness.configure_threads(args.threads)  # before TensorFlow runs anything
    import keras_sfnet.kernels  # noqa: F401  (loads the fused warp when built)
    from keras_sfnet.benchmark import BenchmarkConfig, format_report, run_benchmark

    kwargs = {}
    if args.quick:
        kwargs = {
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
    config = BenchmarkConfig(**{**settings, **kwargs})
    report = run_benchmark(config)
    print(format_report(report))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
