"""Trains SFNet: `python tools/train.py --config configs/cityscapes_r18.json --data-root DIR`.

Settings come from `--config` (a JSON/YAML file of `keras_sfnet.training.TrainConfig`
fields, e.g. the paper's recipes in `configs/`), then from the flags given. Writes
to `--output`: `config.json`, `checkpoints/` (last + best), `logs/training.csv`,
`logs/tensorboard/` and, at the end, `model.keras`. An interrupted run continues
with `--resume`; `--fresh` starts the output folder over.

Multi-GPU: `--distribution mirrored` (or `auto` with several GPUs). Several
machines: set `TF_CONFIG` on each and start the same command on every one.

Example:
    python tools/train.py --dataset synthetic --crop-size 128 128 --batch-size 8 \\
        --steps 300 --lr 0.02 --loss cross_entropy --output runs/synthetic
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_sfnet.backbones import BACKBONES  # noqa: E402
from keras_sfnet.training import TrainConfig, TrainResult, clear_run, train  # noqa: E402
from keras_sfnet.training.train_config import (  # noqa: E402
    DATASETS,
    DISTRIBUTIONS,
    LOSSES,
    MIXED_PRECISION,
)

# flag -> TrainConfig field
_FIELDS = {
    "dataset": "dataset",
    "data_root": "data_root",
    "train_split": "train_split",
    "val_split": "val_split",
    "num_classes": "num_classes",
    "backbone": "backbone",
    "head": "head",
    "decoder_filters": "decoder_filters",
    "deep_supervision": "deep_supervision",
    "sync_bn": "sync_batchnorm",
    "initial_weights": "initial_weights",
    "init_from": "init_from",
    "backbone_weights": "backbone_weights",
    "crop_size": "crop_size",
    "batch_size": "batch_size",
    "steps": "steps",
    "epochs": "epochs",
    "steps_per_epoch": "steps_per_epoch",
    "lr": "learning_rate",
    "momentum": "momentum",
    "weight_decay": "weight_decay",
    "warmup_steps": "warmup_steps",
    "loss": "loss",
    "ohem_min_kept": "ohem_min_kept",
    "augmentation": "augmentation",
    "class_uniform": "class_uniform",
    "mixed_precision": "mixed_precision",
    "distribution": "distribution",
    "output": "output",
    "resume": "resume",
    "checkpoint_every": "checkpoint_every",
    "validate_every": "validate_every",
    "val_steps": "val_steps",
    "seed": "seed",
    "deterministic": "deterministic",
    "verbose": "verbose",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train SFNet (tf.keras model.fit).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--config", help="JSON/YAML file of TrainConfig settings (flags override it)"
    )
    parser.add_argument("--dataset", choices=DATASETS)
    parser.add_argument("--data-root", help="dataset folder (synthetic: where to generate it)")
    parser.add_argument("--train-split")
    parser.add_argument("--val-split", help="validation split; 'none' disables validation")
    parser.add_argument("--num-classes", type=int, help="class count (dataset 'folder')")
    parser.add_argument("--backbone", choices=tuple(BACKBONES))
    parser.add_argument("--head", choices=("v1", "lite"), help="SFNet (v1) or SFNet-Lite head")
    parser.add_argument("--decoder-filters", type=int)
    parser.add_argument("--deep-supervision", action="store_true", default=None)
    parser.add_argument("--sync-bn", action="store_true", default=None, help="synchronised BN")
    parser.add_argument("--initial-weights", help=".weights.h5 or .keras file to start from")
    parser.add_argument(
        "--init-from",
        help="fine-tune from an authors' .pth, .keras, .weights.h5 or preset (new classes: fresh head)",
    )
    parser.add_argument("--backbone-weights", help="ImageNet backbone .pth (the paper's recipe)")
    parser.add_argument("--crop-size", type=int, nargs=2, metavar=("H", "W"))
    parser.add_argument("--batch-size", type=int, help="global batch size")
    parser.add_argument("--steps", type=int, help="total optimizer steps")
    parser.add_argument("--epochs", type=int, help="epochs (when --steps is not given)")
    parser.add_argument("--steps-per-epoch", type=int)
    parser.add_argument("--lr", type=float, help="initial learning rate")
    parser.add_argument("--momentum", type=float)
    parser.add_argument("--weight-decay", type=float)
    parser.add_argument("--warmup-steps", type=int)
    parser.add_argument("--loss", choices=LOSSES)
    parser.add_argument("--ohem-min-kept", type=int)
    parser.add_argument("--augmentation", choices=("released", "paper", "crop_only"))
    parser.add_argument("--class-uniform", type=float)
    parser.add_argument("--mixed-precision", choices=MIXED_PRECISION)
    parser.add_argument("--distribution", choices=DISTRIBUTIONS)
    parser.add_argument("--output", help="run folder")
    parser.add_argument(
        "--resume", action="store_true", default=None, help="continue --output's run"
    )
    parser.add_argument("--fresh", action="store_true", help="delete --output's run first")
    parser.add_argument("--checkpoint-every", type=int, help="steps between last checkpoints")
    parser.add_argument("--validate-every", type=int, help="epochs between validations")
    parser.add_argument("--val-steps", type=int, help="validation images per validation")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--deterministic", action="store_true", default=None)
    parser.add_argument("--no-tensorboard", action="store_true")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2))
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The `TrainConfig` of parsed arguments: `--config` file, then the flags."""
    overrides = {}
    for flag, field in _FIELDS.items():
        value = getattr(args, flag)
        if value is not None:
            overrides[field] = value
    if overrides.get("val_split", "").lower() == "none":
        overrides["val_split"] = None
    if args.no_tensorboard:
        overrides["tensorboard"] = False
    if args.config:
        return TrainConfig.from_file(args.config, **overrides)
    return TrainConfig(**overrides)


def main(argv: list[str] | None = None) -> TrainResult:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = config_from_args(args)
    if args.fresh:
        clear_run(config.output)
    result = train(config)
    if result.model_path:
        history = {k: v[-1] for k, v in result.history.items() if v}
        print(f"Trained {result.step} steps ({result.wall_time:.0f} s). Last epoch: {history}")
        print(f"Model: {result.model_path}; checkpoints: {result.checkpoint_dir}")
    return result


if __name__ == "__main__":
    main()
