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

from keras_sfnet.names import AVERAGE_MODES
from keras_sfnet_cli.argument_types import (
    class_names_argument,
    dataset_info_name,
    existing_path,
    model_source,
    scales_argument,
    window_argument,
)
from keras_sfnet_cli.command import UsageError, new_parser, run_command
from keras_sfnet_cli.output_checks import check_writable

__all__ = ["build_parser", "check", "default_output", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument(
        "--model", required=True, type=model_source,
        help="model: .keras, preset folder, hf:// or kaggle:// handle, or the authors' .pth",
    )  # fmt: skip
    parser.add_argument(
        "--dataset",
        default=None,
        metavar="NAME",
        type=lambda text: dataset_info_name(text, ("folder",)),
        help="cityscapes, camvid, ade20k, pascal_context, folder, or a driving dataset: "
        "mapillary, mapillary_19, mapillary_v2, mapillary_v2_19, bdd100k, idd, idd_19, kitti "
        "(default: the one the model was trained on, as its model.keras or preset records; "
        "else cityscapes)",
    )
    parser.add_argument(
        "--class-names", type=class_names_argument, metavar="A,B,...",
        help="--dataset folder: the class names of the table (default: the model's own)",
    )  # fmt: skip
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
        "--average", choices=AVERAGE_MODES, default="logits",
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


def _recorded_dataset(model: str) -> str | None:
    """The training dataset a `.keras` file or preset folder records (read without TensorFlow)."""
    import json
    import zipfile

    try:
        if os.path.isdir(model):
            with open(os.path.join(model, "metadata.json"), encoding="utf-8") as f:
                return json.load(f).get("dataset")
        if model.lower().endswith(".keras") and zipfile.is_zipfile(model):
            with zipfile.ZipFile(model) as archive:
                return json.loads(archive.read("keras_sfnet_classes.json")).get("dataset")
    except (OSError, KeyError, ValueError):
        return None
    return None


def check(args: argparse.Namespace) -> None:
    """Flag combinations and output locations (before TensorFlow loads)."""
    if args.dataset is None:
        args.dataset = _recorded_dataset(args.model) or "cityscapes"
    if _submission(args):
        args.predictions_dir = args.predictions_dir or args.output
        if not args.predictions_dir:
            raise UsageError("--split test has no public labels: pass --output DIR")
    if args.predictions_dir:
        check_writable(args.predictions_dir, directory=True)
    if not _submission(args):
        check_writable(args.output or default_output(args.model, args.dataset, args.split))


def run(args: argparse.Namespace) -> int:
    if args.dataset is None:
        args.dataset = _recorded_dataset(args.model) or "cityscapes"
    submission = _submission(args)
    output = args.output or default_output(args.model, args.dataset, args.split)

    from keras_sfnet.data import list_files
    from keras_sfnet.evaluation import (
        evaluate,
        predict_cityscapes_submission,
        write_cityscapes_submission_zip,
    )
    from keras_sfnet.inference import (
        Segmenter,
        load_model_classes,
        load_segmentation_model,
        segmenter_options,
    )

    if not submission:
        list_files(args.dataset, args.data_root, args.split)  # the data, before the model
    segmenter = Segmenter(
        load_segmentation_model(args.model),
        **segmenter_options(args.model),
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
    info = None
    if args.dataset == "folder":
        # The class names of the table: given, else those the model records.
        from keras_sfnet.data import DatasetInfo

        recorded = load_model_classes(args.model)
        names = args.class_names or (recorded.class_names if recorded is not None else None)
        if names is not None and len(names) != segmenter.num_classes:
            raise ValueError(
                f"The model predicts {segmenter.num_classes} classes. Received "
                f"{len(names)} class names: {list(names)}"
            )
        info = DatasetInfo(
            name="folder",
            num_classes=segmenter.num_classes,
            class_names=names,
            ignore_index=recorded.ignore_index if recorded is not None else 255,
        )
    elif args.class_names:
        raise UsageError("--class-names is for --dataset folder (built-in datasets name theirs)")
    result = evaluate(
        segmenter,
        info=info,
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
