"""Convert an SFNet checkpoint of the authors (PyTorch .pth) into a Keras model.

Reads the .pth without torch and without unpickling arbitrary objects, infers the
architecture (ResNet, DFNet, STDC; SFNet or SFNet-Lite head), classes and deep
supervision from the tensors, and writes OUTPUT.keras plus OUTPUT.weights.h5
(--output) and/or a preset folder (--preset: config, weights, preprocessor, metadata).
The conversion is exact: to fine-tune to other classes, use sfnet-train --init-from.

Example:
    sfnet-convert sfnet_r18_cityscapes.pth --output models/sfnet_r18
    sfnet-convert sfnet_r18_cityscapes.pth --preset presets/sfnet_r18 --dataset cityscapes
    python tools/convert_checkpoint.py sfnet_r18_cityscapes.pth --output models/sfnet_r18
"""

from __future__ import annotations

import argparse
from pathlib import Path

from keras_sfnet_cli.argument_types import existing_path
from keras_sfnet_cli.command import BACKENDS, UsageError, new_parser, run_command
from keras_sfnet_cli.output_checks import check_writable

__all__ = ["build_parser", "check", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(__doc__, backends=BACKENDS)
    parser.add_argument("checkpoint", type=existing_path, help="the authors' .pth file")
    parser.add_argument("--output", type=Path, help="output path without suffix")
    parser.add_argument("--preset", type=Path, help="write a preset folder here")
    parser.add_argument(
        "--dataset", help="class names and palette for the preset (cityscapes, ...)"
    )
    parser.add_argument(
        "--backbone",
        default=None,
        help="expected backbone, e.g. resnet18 (default: inferred from the tensors)",
    )
    parser.add_argument(
        "--num-classes",
        type=int,
        default=None,
        help="expected number of classes (default: inferred)",
    )
    parser.add_argument(
        "--deep-supervision",
        choices=["auto", "yes", "no"],
        default="auto",
        help="expect auxiliary heads (auto: what the checkpoint holds)",
    )
    return parser


def check(args: argparse.Namespace) -> None:
    """The output files (before TensorFlow loads and the conversion runs)."""
    if args.output is None and args.preset is None:
        raise UsageError("give --output and/or --preset")
    if args.output is not None:
        check_writable(args.output.with_suffix(".keras"), args.output.with_suffix(".weights.h5"))
    if args.preset is not None:
        check_writable(args.preset, directory=True)


def _check_expected(model, num_classes, deep_supervision) -> None:
    """The tool converts exactly: another head is an error (fine-tune with sfnet-train)."""
    from keras_sfnet.weights.official import CheckpointMismatchError

    if num_classes is not None and num_classes != model.num_classes:
        raise CheckpointMismatchError(
            f"the checkpoint has {model.num_classes} classes, not {num_classes} (tensor "
            f"'head.conv_last.1.weight'). To fine-tune to {num_classes} classes, use "
            "`sfnet-train --init-from CHECKPOINT --num-classes N`."
        )
    if deep_supervision is not None and deep_supervision != model.deep_supervision:
        state = "has" if model.deep_supervision else "has no"
        raise CheckpointMismatchError(f"the checkpoint {state} deep-supervision heads (head.dsn.*).")


def run(args: argparse.Namespace) -> int:
    from keras_sfnet.data import get_dataset_info
    from keras_sfnet.weights.dispatch import from_official_checkpoint

    deep = {"auto": None, "yes": True, "no": False}[args.deep_supervision]
    model = from_official_checkpoint(args.checkpoint, backbone=args.backbone)
    _check_expected(model, args.num_classes, deep)
    if args.preset is not None:
        info = get_dataset_info(args.dataset) if args.dataset else None
        model.save_to_preset(
            args.preset,
            class_names=info.class_names if info else None,
            palette=info.palette if info else None,
            metadata={"source": Path(args.checkpoint).name, "dataset": args.dataset},
        )
        print(f"wrote preset {args.preset}")
    if args.output is not None:
        keras_path = args.output.with_suffix(".keras")
        weights_path = args.output.with_suffix(".weights.h5")
        args.output.parent.mkdir(parents=True, exist_ok=True)
        model.save(keras_path)
        model.save_weights(weights_path)
        print(f"wrote {keras_path} and {weights_path}")
    print(
        f"{model.backbone_name} SFNet, {model.num_classes} classes, head {model.head}, "
        f"deep supervision {'on' if model.deep_supervision else 'off'}, "
        f"{model.count_params():,} parameters"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """`sfnet-convert`: see the module docstring."""
    return run_command(build_parser(), run, argv, check=check, log_format="%(message)s")
