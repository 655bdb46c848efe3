"""Predicts images, folders, globs or videos with an SFNet model.

Writes, per input, `<name>_classes.png` (class indices), `<name>_color.png`
(dataset palette) and `<name>_overlay.png`, plus `legend.png`; with
`--show-flow`, the semantic flow of each Flow Alignment Module as colour images
and arrow plots (paper Figures 2 and 5). Unreadable inputs are reported at the
end; the others are still written, and the exit status is 1.

    python tools/predict.py --model sfnet_r18.keras --input street.jpg --output out/
    python tools/predict.py --model sfnet_r18.keras --input "frames/*.png" --output out/ --show-flow
    python tools/predict.py --model sfnet_r18.keras --input drive.mp4 --output out/ --every 5
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_sfnet.data import DatasetInfo, get_dataset_info  # noqa: E402
from keras_sfnet.inference import Segmenter, load_segmentation_model, predict_files  # noqa: E402
from keras_sfnet.inference.argument_types import (  # noqa: E402
    scales_argument,
    window_argument,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True, help="model file: .keras, or the authors' .pth")
    parser.add_argument(
        "--input", required=True, nargs="+", help="image, video, folder or glob (quote it)"
    )
    parser.add_argument("--output", required=True, help="output folder")
    parser.add_argument(
        "--dataset", default="cityscapes",
        help="palette and class names: cityscapes, camvid, ade20k, pascal_context, or none",
    )  # fmt: skip
    parser.add_argument(
        "--outputs", default="classes,color,overlay", help="subset of classes,color,overlay"
    )
    parser.add_argument(
        "--show-flow", action="store_true", help="write semantic-flow colour and arrow images"
    )
    parser.add_argument("--flow-step", type=int, default=16, help="arrow spacing in pixels")
    parser.add_argument("--alpha", type=float, default=0.5, help="overlay colour weight")
    parser.add_argument("--scales", type=scales_argument, default=(1.0,), help="e.g. 0.75,1.0,1.25")
    parser.add_argument("--flip", action="store_true")
    parser.add_argument(
        "--window", type=window_argument, default=None, help="sliding-window tile: SIZE or HxW"
    )
    parser.add_argument("--overlap", type=float, default=1 / 3)
    parser.add_argument("--every", type=int, default=1, help="predict every N-th video frame")
    parser.add_argument("--max-frames", type=int, default=None, help="at most N frames per video")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def _run(args: argparse.Namespace, segmenter: Segmenter, info: DatasetInfo):
    return predict_files(
        segmenter,
        args.input if len(args.input) > 1 else args.input[0],
        args.output,
        info=info,
        outputs=[o.strip() for o in args.outputs.split(",") if o.strip()],
        show_flow=args.show_flow,
        alpha=args.alpha,
        flow_step=args.flow_step,
        every=args.every,
        max_frames=args.max_frames,
        verbose=0 if args.quiet else 1,
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    segmenter = Segmenter(
        load_segmentation_model(args.model),
        scales=args.scales,
        flip=args.flip,
        window=args.window,
        overlap=args.overlap,
    )
    if args.dataset.lower() == "none":
        info = DatasetInfo(name="predictions", num_classes=segmenter.num_classes)
    else:
        info = get_dataset_info(args.dataset)
    try:
        report = _run(args, segmenter, info)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"Predicted {report.num_predicted} images/frames; wrote {len(report.written)} files "
        f"to {args.output}"
    )
    if report.failures:
        print(f"{len(report.failures)} input(s) failed:", file=sys.stderr)
        for path, reason in report.failures:
            print(f"  {path}: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
