"""The demo: synthetic data -> train SFNet ResNet-18 on CPU -> mIoU -> coloured prediction.

    sfnet-demo --output runs/demo

About 10 minutes on 2 CPU cores. Re-running the command continues from the
checkpoints of an interrupted run (a finished run is only re-evaluated); --fresh
starts over. Writes {output}/model.keras, checkpoints/, logs/, evaluation.json,
demo.json and prediction.png (validation images, truth, prediction, overlay, errors, flow).
"""

from __future__ import annotations

import argparse
import logging

from keras_sfnet_cli.command import new_parser, run_command
from keras_sfnet_cli.help_format import with_default
from keras_sfnet_cli.output_checks import check_writable

__all__ = ["DEMO_STEPS", "build_parser", "check", "main", "run"]

#: `keras_sfnet.training.demo.DEMO_SETTINGS["steps"]`, for --help without TensorFlow
#: (tests/test_command_line.py checks that they agree).
DEMO_STEPS = 600


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(__doc__, verbose_flag=False)
    parser.add_argument("--output", default="runs/demo", help="run folder")
    parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    parser.add_argument("--steps", type=int, help=with_default("training steps", DEMO_STEPS))
    parser.add_argument(
        "--verbose", type=int, choices=(0, 1, 2), help="Keras progress (default: auto)"
    )
    return parser


def check(args: argparse.Namespace) -> None:
    """The run folder (before TensorFlow loads)."""
    check_writable(args.output, directory=True)


def run(args: argparse.Namespace):
    """Runs the demo as `args` say; returns the `keras_sfnet.training.demo.DemoResult`."""
    from keras_sfnet.training.demo import run_demo

    overrides = {}
    if args.steps is not None:
        overrides["steps"] = args.steps
    if args.verbose is not None:
        overrides["verbose"] = args.verbose
    result = run_demo(args.output, fresh=args.fresh, **overrides)
    print(result.summary())
    return result


def main(argv: list[str] | None = None) -> int:
    """`sfnet-demo`: see the module docstring."""
    return run_command(
        build_parser(),
        run,
        argv,
        check=check,
        log_level=logging.INFO,
        log_format="%(asctime)s %(levelname)s %(message)s",
    )
