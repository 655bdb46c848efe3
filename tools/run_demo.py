"""The demo: synthetic data -> train SFNet ResNet-18 on CPU -> mIoU -> coloured prediction.

    python tools/run_demo.py --output runs/demo

About 10 minutes on 2 CPU cores. Re-running the command continues from the
checkpoints of an interrupted run (a finished run is only re-evaluated);
`--fresh` starts over. Writes `{output}/model.keras`, `checkpoints/`, `logs/`,
`evaluation.json`, `demo.json` and `prediction.png` (validation image, ground
truth, prediction, overlay).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_sfnet.training.demo import DEMO_SETTINGS, DemoResult, run_demo  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--output", default="runs/demo", help="run folder")
    parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    parser.add_argument("--steps", type=int, default=DEMO_SETTINGS["steps"], help="training steps")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), help="Keras progress bar")
    return parser


def main(argv: list[str] | None = None) -> DemoResult:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    overrides = {}
    if args.steps != DEMO_SETTINGS["steps"]:
        overrides["steps"] = args.steps
    if args.verbose is not None:
        overrides["verbose"] = args.verbose
    result = run_demo(args.output, fresh=args.fresh, **overrides)
    training = result.training
    done = training.step - training.initial_step
    if done == 0:
        print(
            f"Nothing trained in this call: {training.output} already holds the finished run "
            f"({training.step} steps; --fresh starts over)."
        )
    elif training.initial_step:
        print(
            f"Resumed at step {training.initial_step} and trained {done} more steps to "
            f"{training.step} in {training.wall_time:.0f} s ({training.wall_time / done:.2f} s/step)."
        )
    else:
        print(
            f"Trained {training.step} steps in {training.wall_time:.0f} s "
            f"({training.wall_time / done:.2f} s/step, including start-up)."
        )
    print(f"Validation mIoU {result.miou:.3f}, pixel accuracy {result.pixel_accuracy:.3f}")
    for name, iou in sorted(result.per_class_iou.items(), key=lambda kv: -kv[1]):
        print(f"  {name:>14s} {iou:.3f}")
    print(f"Prediction: {result.prediction_path}; model: {training.model_path}")
    print(f"Total {result.wall_time:.0f} s")
    return result


if __name__ == "__main__":
    main()
