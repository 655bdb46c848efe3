"""Convert an SFNet checkpoint of the authors (PyTorch .pth) into a Keras model.

Reads the .pth without torch and without unpickling arbitrary objects, infers the
architecture (ResNet, DFNet, STDC; SFNet or SFNet-Lite head), classes and deep
supervision from the tensors, and writes
``OUTPUT.keras`` plus ``OUTPUT.weights.h5``.

Example:
    python tools/convert_checkpoint.py sfnet_r18_cityscapes.pth --output models/sfnet_r18
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from keras_sfnet.convert import CheckpointMismatchError, from_official_checkpoint


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path, help="the authors' .pth file")
    parser.add_argument("--output", type=Path, required=True, help="output path without suffix")
    parser.add_argument(
        "--backbone",
        choices=["resnet18", "resnet50", "resnet101", "dfnet1", "dfnet2", "stdc1", "stdc2"],
        default=None,
        help="expected backbone (default: inferred from the tensors)",
    )
    parser.add_argument(
        "--num-classes",
        type=int,
        default=None,
        help="expected number of classes (default: inferred)",
    )
    parser.add_argument("--deep-supervision", choices=["auto", "yes", "no"], default="auto")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    if not args.checkpoint.is_file():
        print(f"error: checkpoint not found: {args.checkpoint}", file=sys.stderr)
        return 2
    deep = {"auto": None, "yes": True, "no": False}[args.deep_supervision]
    try:
        model = from_official_checkpoint(
            args.checkpoint,
            backbone=args.backbone,
            num_classes=args.num_classes,
            deep_supervision=deep,
        )
    except (CheckpointMismatchError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    keras_path = args.output.with_suffix(".keras")
    weights_path = args.output.with_suffix(".weights.h5")
    model.save(keras_path)
    model.save_weights(weights_path)
    print(
        f"{model.backbone_name} SFNet, {model.num_classes} classes, head {model.head}, "
        f"deep supervision {'on' if model.deep_supervision else 'off'}, "
        f"{model.count_params():,} parameters"
    )
    print(f"wrote {keras_path} and {weights_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
