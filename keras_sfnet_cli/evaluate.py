"""Evaluates an SFNet model: per-class IoU table on stdout, scores as JSON.

The JSON goes to --output, by default beside the model:
<model folder>/<model name>_<dataset>_<split>.json.

Whole image, single scale (paper Table 3):
    sfnet-evaluate --model sfnet_r18.keras --dataset cityscapes \\
        --data-root /data/cityscapes --split val
Multi-scale + flip (paper Table 4):
    sfnet-evaluate ... --scales 0.5,0.75,1.0,1.25,1.5,1.75 --flip
Sliding window (images larger than the model's input):
    sfnet-evaluate ... --window 1024 --overlap 0.333
Cityscapes test-server submission (labelId PNGs checked for completeness, and
DIR/cityscapes_submission.zip ready for upload; no scores):
    sfnet-evaluate ... --split test --output DIR
"""

from __future__ import annotations

import argparse
import os

from keras_sfnet_cli.argument_types import existing_path, scales_argument, window_argument
from keras_sfnet_cli.command import UsageError, new_parser, run_command
from keras_sfnet_cli.output_checks import check_writable

__all__ = ["build_parser", "check", "default_output", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument(
        "--model", required=True, type=existing_path,
        help="model file: .keras, or the authors' .pth",
    )  # fmt: skip
    parser.add_argument(
        "--dataset",
        default="cityscapes",
        help="cityscapes, camvid, ade20k, pascal_context, folder, or a driving dataset: "
        "mapillary, mapillary_19, mapillary_v2, mapillary_v2_19, bdd100k, idd, idd_19, kitti",
    )
    parser.add_argument("--data-root", required=True, type=existing_path, help="dataset folder")
    parser.add_argument("--split", default="val", help="dataset split")
    parser.add_argument(
        "--scales", type=scales_argument, default=(1.0,), help="e.g. 0.5,0.75,1.0,1.25,1.5,1.75"
    )
    parser.add_argument("--flip", action="store_true", help="add horizontally flipped views")
    parser.add_argument(
        "--window", type=window_argument, default=None, help="sliding-window tile: SIZE or HxW"
    )
    parser.add_argument(
        "--overlap", type=float, default=1 / 3, help="sliding-window overlap (default: 1/3)"
    )
    parser.add_argument(
        "--average", choices=("logits", "probabilities"), default="logits",
        help="what is averaged over views, logits as the authors' eval.py",
    )  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=1, help="model inputs per call")
    parser.add_argument(
        "--short-side", type=int, default=None,
        help="predict on images resized to this shorter side (e.g. 1080 for Mapillary, as "
        "trained with --short-side); scored at the labels' resolution",
    )  # fmt: skip
    parser.add_argument(
        "--max-images", type=int, default=None, help="evaluate only the first N images"
    )
    parser.add_argument(
        "--predictions-dir", default=None,
        help="also write predictions (Cityscapes: labelId PNGs with the benchmark's names)",
    )  # fmt: skip
    parser.add_argument(
        "--output", default=None,
        help="JSON result file (default: beside the model, <model>_<dataset>_<split>.json); "
        "with --split test on cityscapes: the submission folder (PNGs + zip)",
    )  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def default_output(model: str, dataset: str, split: str) -> str:
    """Where the scores go without --output: beside the model file.

    Example:
    >>> default_output("runs/demo/model.keras", "cityscapes", "val")
    'runs/demo/model_cityscapes_val.json'
    """
    stem = os.path.splitext(os.path.basename(model))[0]
    return os.path.join(os.path.dirname(model), f"{stem}_{dataset}_{split}.json")


def _submission(args: argparse.Namespace) -> bool:
    return args.split == "test" and args.dataset == "cityscapes"


def check(args: argparse.Namespace) -> None:
    """Flag combinations and output locations (before TensorFlow loads)."""
    if _submission(args):
        args.predictions_dir = args.predictions_dir or args.output
        if not args.predictions_dir:
            raise UsageError("--split test has no public labels: pass --output DIR")
    if args.predictions_dir:
        check_writable(args.predictions_dir, directory=True)
    if not _submission(args):
        check_writable(args.output or default_output(args.model, args.dataset, args.split))


def run(args: argparse.Namespace) -> int:
    submission = _submission(args)
    output = args.output or default_output(args.model, args.dataset, args.split)

    from keras_sfnet.data import list_files
    from keras_sfnet.evaluation import (
        evaluate,
        predict_cityscapes_submission,
        write_cityscapes_submission_zip,
    )
    from keras_sfnet.inference import Segmenter, load_segmentation_model

    if not submission:
        list_files(args.dataset, args.data_root, args.split)  # the data, before the model
    segmenter = Segmenter(
        load_segmentation_model(args.model),
        scales=args.scales,
        flip=args.flip,
        window=args.window,
        overlap=args.overlap,
        average=args.average,
        batch_size=args.batch_size,
    )
    verbose = 0 if args.quiet else 1
    if submission:
        written = predict_cityscapes_submission(
            segmenter, args.data_root, args.predictions_dir, args.split, verbose=verbose
        )
        zip_path = write_cityscapes_submission_zip(
            args.data_root, args.predictions_dir, split=args.split
        )
        print(
            f"Wrote {len(written)} labelId PNGs to {args.predictions_dir} and the server "
            f"upload {zip_path}"
        )
        return 0
    result = evaluate(
        segmenter,
        dataset=args.dataset,
        data_root=args.data_root,
        split=args.split,
        max_images=args.max_images,
        predictions_dir=args.predictions_dir,
        short_side=args.short_side,
        verbose=verbose,
    )
    print(result.format_table())
    result.save_json(output)
    print(f"Wrote the scores to {output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`sfnet-evaluate`: see the module docstring."""
    return run_command(build_parser(), run, argv, check=check)
