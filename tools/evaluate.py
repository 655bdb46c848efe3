"""Evaluates an SFNet model: per-class IoU table on stdout, scores as JSON.

Whole image, single scale (paper Table 3):
    python tools/evaluate.py --model sfnet_r18.keras --dataset cityscapes \
        --data-root /data/cityscapes --split val
Multi-scale + flip (paper Table 4):
    python tools/evaluate.py ... --scales 0.5,0.75,1.0,1.25,1.5,1.75 --flip
Sliding window (images larger than the model's input):
    python tools/evaluate.py ... --window 1024 --overlap 0.333
Cityscapes test-server submission (labelId PNGs checked for completeness, and
DIR/cityscapes_submission.zip ready for upload; no scores):
    python tools/evaluate.py ... --split test --output DIR
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_sfnet.evaluation import (  # noqa: E402
    evaluate,
    predict_cityscapes_submission,
    write_cityscapes_submission_zip,
)
from keras_sfnet.inference import Segmenter, load_segmentation_model  # noqa: E402
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
        "--dataset",
        default="cityscapes",
        help="cityscapes, camvid, ade20k, pascal_context or folder",
    )
    parser.add_argument("--data-root", required=True, help="dataset folder")
    parser.add_argument("--split", default="val")
    parser.add_argument(
        "--scales", type=scales_argument, default=(1.0,), help="e.g. 0.5,0.75,1.0,1.25,1.5,1.75"
    )
    parser.add_argument("--flip", action="store_true", help="add horizontally flipped views")
    parser.add_argument(
        "--window", type=window_argument, default=None, help="sliding-window tile: SIZE or HxW"
    )
    parser.add_argument(
        "--overlap", type=float, default=1 / 3, help="sliding-window overlap (default 1/3)"
    )
    parser.add_argument(
        "--average", choices=("logits", "probabilities"), default="logits",
        help="what is averaged over views (default: logits, as the authors' eval.py)",
    )  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=1, help="model inputs per call")
    parser.add_argument(
        "--max-images", type=int, default=None, help="evaluate only the first N images"
    )
    parser.add_argument(
        "--predictions-dir", default=None,
        help="also write predictions (Cityscapes: labelId PNGs with the benchmark's names)",
    )  # fmt: skip
    parser.add_argument(
        "--output", default=None,
        help="JSON result file (default: <model name>_<dataset>_<split>.json); with "
        "--split test on cityscapes: the submission folder (PNGs + zip)",
    )  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    verbose = 0 if args.quiet else 1
    segmenter = Segmenter(
        load_segmentation_model(args.model),
        scales=args.scales,
        flip=args.flip,
        window=args.window,
        overlap=args.overlap,
        average=args.average,
        batch_size=args.batch_size,
    )
    if args.split == "test" and args.dataset == "cityscapes":
        folder = args.predictions_dir or args.output
        if not folder:
            print("--split test has no public labels: pass --output DIR for the submission.")
            return 2
        written = predict_cityscapes_submission(
            segmenter, args.data_root, folder, args.split, verbose=verbose
        )
        zip_path = write_cityscapes_submission_zip(args.data_root, folder, split=args.split)
        print(f"Wrote {len(written)} labelId PNGs to {folder} and the server upload {zip_path}")
        return 0
    result = evaluate(
        segmenter,
        dataset=args.dataset,
        data_root=args.data_root,
        split=args.split,
        max_images=args.max_images,
        predictions_dir=args.predictions_dir,
        verbose=verbose,
    )
    print(result.format_table())
    output = args.output
    if output is None:
        stem = os.path.splitext(os.path.basename(args.model))[0]
        output = f"{stem}_{args.dataset}_{args.split}.json"
    result.save_json(output)
    print(f"Wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
