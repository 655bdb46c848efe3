"""Convert an SFNet checkpoint of the authors (PyTorch .pth) into a Keras model.

Reads the .pth without torch and without unpickling arbitrary objects, infers the
architecture (ResNet, DFNet, STDC; SFNet or SFNet-Lite head), classes and deep
supervision from the tensors, and writes
OUTPUT.keras plus OUTPUT.weights.h5.

Example:
    sfnet-convert sfnet_r18_cityscapes.pth --output models/sfnet_r18
    python tools/convert_checkpoint.py sfnet_r18_cityscapes.pth --output models/sfnet_r18
"""

from __future__ import annotations

import argparse
from pathlib import Path

from keras_sfnet_cli.argument_types import existing_path
from keras_sfnet_cli.command import new_parser, run_command
from keras_sfnet_cli.output_checks import check_writable

__all__ = ["build_parser", "check", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument("checkpoint", type=existing_path, help="the authors' .pth file")
    parser.add_argument("--output", type=Path, required=True, help="output path without suffix")
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
    check_writable(args.output.with_suffix(".keras"), args.output.with_suffix(".weights.h5"))


def run(args: argparse.Namespace) -> int:
    keras_path = args.output.with_suffix(".keras")
    weights_path = args.output.with_suffix(".weights.h5")

    from keras_sfnet.convert import from_official_checkpoint

    deep = {"auto": None, "yes": True, "no": False}[args.deep_supervision]
    model = from_official_checkpoint(
        args.checkpoint,
        backbone=args.backbone,
        num_classes=args.num_classes,
        deep_supervision=deep,
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    model.save(keras_path)
    model.save_weights(weights_path)
    print(
        f"{model.backbone_name} SFNet, {model.num_classes} classes, head {model.head}, "
        f"deep supervision {'on' if model.deep_supervision else 'off'}, "
        f"{model.count_params():,} parameters"
    )
    print(f"wrote {keras_path} and {weights_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`sfnet-convert`: see the module docstring."""
    return run_command(build_parser(), run, argv, check=check, log_format="%(message)s")
