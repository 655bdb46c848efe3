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

from keras_sfnet.training.demo import DemoResult, run_demo  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--output", default="runs/demo", help="run folder")
    parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    parser.add_argument("--steps", type=int, help="training steps (default: the demo's 360)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), help="Keras progress bar")
    return parser


def main(argv: list[str] | None = None) -> DemoResult:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    overrides = {}
    if args.steps is not None:
        overrides["steps"] = args.steps
    if args.verbose is not None:
        overrides["verbose"] = args.verbose
    result = run_demo(args.output, fresh=args.fresh, **overrides)
    training = result.training
    print(
        f"Trained SFNet ResNet-18 for {training.step} steps (this call: {training.wall_time:.0f} s)."
    )
    print(f"Validation mIoU {result.miou:.3f}, pixel accuracy {result.pixel_accuracy:.3f}")
    for name, iou in sorted(result.per_class_iou.items(), key=lambda kv: -kv[1]):
        print(f"  {name:>14s} {iou:.3f}")
    print(f"Prediction: {result.prediction_path}; model: {training.model_path}")
    print(f"Total {result.wall_time:.0f} s")
    return result


if __name__ == "__main__":
    main()
