"""Predicts images, folders, globs or videos with an SFNet model.

Writes, per input, <name>_classes.png (class indices), <name>_color.png (the
classes' palette) and <name>_overlay.png, plus legend.png; the class names and
colours are those the model records (a model.keras trained by sfnet-train, a
preset), Cityscapes' for a 19-class model that records none, or --dataset /
--class-names; with --show-flow, the semantic
flow of each Flow Alignment Module as colour images and arrow plots (paper
Figures 2 and 5). Unreadable inputs are reported at the end; the others are still
written, and the exit status is 1.

    sfnet-predict --model sfnet_r18.keras --input street.jpg --output out/
    sfnet-predict --model sfnet_r18.keras --input "frames/*.png" --output out/ --show-flow
    sfnet-predict --model sfnet_r18.keras --input drive.mp4 --output out/ --every 5
    sfnet-predict --model my_preset/ --input photos/ --output out/
"""

from __future__ import annotations

import argparse
import glob
import os
import sys

from keras_sfnet.names import OUTPUT_KINDS
from keras_sfnet_cli.argument_types import (
    class_names_argument,
    dataset_info_name,
    model_source,
    scales_argument,
    window_argument,
)
from keras_sfnet_cli.command import BACKENDS, UsageError, new_parser, run_command
from keras_sfnet_cli.output_checks import check_writable

__all__ = ["build_parser", "check", "main", "run"]



def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(__doc__, backends=BACKENDS)
    parser.add_argument(
        "--model", required=True, type=model_source,
        help="model: .keras, preset folder, hf:// or kaggle:// handle, or the authors' .pth",
    )  # fmt: skip
    parser.add_argument(
        "--input", required=True, nargs="+", help="image, video, folder or glob (quote it)"
    )
    parser.add_argument("--output", required=True, help="output folder")
    parser.add_argument(
        "--dataset", default=None, metavar="NAME",
        type=lambda text: dataset_info_name(text, ("none",)),
        help="override the model's class names and palette with a dataset's: cityscapes, "
        "camvid, ade20k, pascal_context, ..., or none (class_0, class_1, ...) (default: the "
        "model's own; Cityscapes for a 19-class model that records none)",
    )  # fmt: skip
    parser.add_argument(
        "--class-names", type=class_names_argument, metavar="A,B,...",
        help="the class names, one per class (default: the model's own)",
    )  # fmt: skip
    parser.add_argument(
        "--outputs", default=",".join(OUTPUT_KINDS), help="subset of classes,color,overlay"
    )
    parser.add_argument(
        "--show-flow", action="store_true", help="write semantic-flow colour and arrow images"
    )
    parser.add_argument("--flow-step", type=int, default=16, help="arrow spacing in pixels")
    parser.add_argument("--alpha", type=float, default=0.5, help="overlay colour weight")
    parser.add_argument("--scales", type=scales_argument, default=(1.0,), help="e.g. 0.75,1.0,1.25")
    parser.add_argument("--flip", action="store_true", help="add horizontally flipped views")
    parser.add_argument(
        "--window", type=window_argument, default=None, help="sliding-window tile: SIZE or HxW"
    )
    parser.add_argument(
        "--overlap", type=float, default=1 / 3, help="sliding-window overlap (default: 1/3)"
    )
    parser.add_argument("--every", type=int, default=1, help="predict every N-th video frame")
    parser.add_argument("--max-frames", type=int, default=None, help="at most N frames per video")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def check_inputs(inputs: list[str]) -> None:
    """Each input exists (file or folder) or its glob matches (before TensorFlow loads)."""
    for item in inputs:
        if any(c in item for c in "*?["):
            if not any(os.path.isfile(p) for p in glob.iglob(item, recursive=True)):
                raise UsageError(f"--input: no files match the pattern '{item}'")
        elif not os.path.exists(item):
            raise UsageError(f"--input '{item}' does not exist (not a file, folder or glob)")


def check(args: argparse.Namespace) -> None:
    """The inputs and the output folder (before TensorFlow loads)."""
    check_inputs(args.input)
    check_writable(args.output, directory=True)


def run(args: argparse.Namespace) -> int:
    source = args.input if len(args.input) > 1 else args.input[0]

    from keras_sfnet.data import get_dataset_info
    from keras_sfnet.inference import (
        Segmenter,
        list_inputs,
        load_segmentation_model,
        model_class_info,
        predict_files,
        segmenter_options,
    )

    list_inputs(source)  # the inputs, before the model loads
    if args.dataset is not None and args.dataset.lower() != "none":
        get_dataset_info(args.dataset)  # a known name, before the model loads
    segmenter = Segmenter(
        load_segmentation_model(args.model),
        scales=args.scales,
        flip=args.flip,
        window=args.window,
        overlap=args.overlap,
        **segmenter_options(args.model),
    )
    info = model_class_info(
        args.model, segmenter.num_classes, dataset=args.dataset, class_names=args.class_names
    )
    report = predict_files(
        segmenter,
        source,
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


def main(argv: list[str] | None = None) -> int:
    """`sfnet-predict`: see the module docstring."""
    return run_command(build_parser(), run, argv, check=check)
