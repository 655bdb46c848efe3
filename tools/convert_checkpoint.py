"""Convert an SFNet checkpoint of the authors (PyTorch .pth) into a Keras model.

Reads the .pth without torch and without unpickling arbitrary objects, infers the
architecture (ResNet, DFNet, STDC; SFNet or SFNet-Lite head), classes and deep
supervision from the tensors, and writes ``OUTPUT.keras`` plus ``OUTPUT.weights.h5``
and/or a preset folder (``--preset``).

Example:
    python tools/convert_checkpoint.py sfnet_r18_cityscapes.pth --output models/sfnet_r18
    python tools/convert_checkpoint.py sfnet_r18_cityscapes.pth --preset presets/sfnet_r18 \
        --dataset cityscapes
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from keras_sfnet.convert import CheckpointMismatchError, from_official_checkpoint
from keras_sfnet.data import get_dataset_info


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path, help="the authors' .pth file")
    parser.add_argument("--output", type=Path, help="output path without suffix")
    parser.add_argument("--preset", type=Path, help="also write a preset folder here")
    parser.add_argument(
        "--dataset", help="class names and palette for the preset (cityscapes, ...)"
    )
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


def _check_expected(model, num_classes, deep_supervision) -> None:
    """The tool converts exactly: another head is an error (fine-tune with train.py)."""
    if num_classes is not None and num_classes != model.num_classes:
        raise CheckpointMismatchError(
            f"tensor 'head.conv_last.1.weight' has shape ({model.num_classes}, "
            f"{model.decoder_filters}, 1, 1): the checkpoint has {model.num_classes} classes, "
            f"not {num_classes}. To fine-tune to {num_classes} classes, use "
            "`tools/train.py --init-from CHECKPOINT`."
        )
    if deep_supervision is not None and deep_supervision != model.deep_supervision:
        state = "has" if model.deep_supervision else "has no"
        raise CheckpointMismatchError(
            f"the checkpoint {state} deep-supervision heads (head.dsn.*)."
        )


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    if not args.checkpoint.is_file():
        print(f"error: checkpoint not found: {args.checkpoint}", file=sys.stderr)
        return 2
    if args.output is None and args.preset is None:
        print("error: give --output and/or --preset", file=sys.stderr)
        return 2
    deep = {"auto": None, "yes": True, "no": False}[args.deep_supervision]
    try:
        model = from_official_checkpoint(args.checkpoint, backbone=args.backbone)
        _check_expected(model, args.num_classes, deep)
    except (CheckpointMismatchError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.preset is not None:
        info = get_dataset_info(args.dataset) if args.dataset else None
        model.save_to_preset(
            args.preset,
            class_names=info.class_names if info else None,
            palette=info.palette if info else None,
            metadata={"source": args.checkpoint.name, "dataset": args.dataset},
        )
        print(f"wrote preset {args.preset}")
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        keras_path = args.output.with_suffix(".keras")
        weights_path = args.output.with_suffix(".weights.h5")
        model.save(keras_path)
        model.save_weights(weights_path)
        print(f"wrote {keras_path} and {weights_path}")
    print(
        f"{model.backbone_name} SFNet, {model.num_classes} classes, head {model.head}, "
        f"deep supervision {'on' if model.deep_supervision else 'off'}, "
        f"{model.count_params():,} parameters"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
