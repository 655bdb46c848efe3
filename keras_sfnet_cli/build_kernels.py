"""Builds the fused flow-warp TensorFlow op into keras_sfnet/kernels/.

Compiles the CPU kernel (and the CUDA one where nvcc is found) with the compiler
TensorFlow was built with; prints the library's path.

    python tools/build_kernels.py [--native] [--cpu-only | --cuda] [--output-dir DIR]
"""

from __future__ import annotations

import argparse
import logging
import sys

from keras_sfnet_cli.command import new_parser, run_command

__all__ = ["build_parser", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument("--output-dir", default=None, help="(default: the package folder)")
    parser.add_argument("--native", action="store_true", help="compile with -march=native")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--cpu-only", action="store_true", help="never build the CUDA kernel")
    group.add_argument("--cuda", action="store_true", help="fail if the CUDA kernel fails")
    return parser


def run(args: argparse.Namespace) -> int:
    from keras_sfnet.kernels.build import build_kernels

    cuda = False if args.cpu_only else (True if args.cuda else None)
    try:
        path = build_kernels(args.output_dir, native=args.native, cuda=cuda)
    except RuntimeError as error:  # a compiler failure: the message is the compiler's
        print(f"error: build failed: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python tools/build_kernels.py`: see the module docstring."""
    return run_command(build_parser(), run, argv, log_level=logging.INFO, log_format="%(message)s")
