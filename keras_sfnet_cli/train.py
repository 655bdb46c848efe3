"""Trains SFNet (Keras model.fit) on a dataset folder or generated synthetic scenes.

Settings come from --config (a JSON/YAML file of keras_sfnet.training.TrainConfig
fields, e.g. the paper's recipes in configs/), then from the flags given; the
defaults shown apply to what neither sets. Writes to --output: config.json,
checkpoints/ (last + best), logs/training.csv, logs/tensorboard/ and, at the end,
model.keras. An interrupted run continues with --resume; --fresh starts the output
folder over.

Multi-GPU: --distribution mirrored (or auto with several GPUs). Several machines:
set TF_CONFIG on each and start the same command on every one.

Example:
    sfnet-train --dataset synthetic --crop-size 128 128 --batch-size 8 \\
        --steps 300 --lr 0.02 --loss cross_entropy --output runs/synthetic
"""

from __future__ import annotations

import argparse
import logging
import os

from keras_sfnet_cli.argument_types import existing_path
from keras_sfnet_cli.command import BACKENDS, UsageError, new_parser, run_command
from keras_sfnet_cli.help_format import with_default

__all__ = [
    "CONFIG_DEFAULTS", "UsageError", "build_parser", "check", "config_from_args", "main", "run",
]  # fmt: skip

# Choices the parser offers (kept here so that --help needs no TensorFlow;
# tests/test_command_line.py checks them against keras_sfnet.training.train_config).
from keras_sfnet.names import (
    ALIGNMENTS,
    AUGMENTATIONS,
    BACKBONES,
    CONTEXT_HEADS,
    DATASETS,
    DECODER_SWITCHES,
    DECODERS,
    DISTRIBUTIONS,
    FINAL_FUSIONS,
    FLOW_ESTIMATORS,
    HUB_SCHEMES,
    INPUT_PIPELINES,  # noqa: F401 (re-exported)
    LOSSES,
    MIXED_PRECISION,
    STEMS,
    SYNTHETIC_LAYOUTS,
    UPSAMPLINGS,
)

#: `--input-pipeline` choices (keras_sfnet.training.array_training.INPUT_PIPELINES).

#: The `TrainConfig` defaults that --help shows (checked against TrainConfig by the tests).
CONFIG_DEFAULTS = {
    "dataset": "cityscapes",
    "train_split": "train",
    "val_split": "val",
    "backbone": "resnet18",
    "crop_size": (1024, 1024),
    "batch_size": 16,
    "steps": 50000,
    "learning_rate": 0.01,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "warmup_steps": 0,
    "loss": "ohem",
    "ohem_min_kept": 100000,
    "augmentation": "released",
    "class_uniform": 0.0,
    "mixed_precision": "off",
    "distribution": "auto",
    "output": "runs/sfnet",
    "validate_every": 1,
    "seed": 0,
    "verbose": "auto",
}

# flag dest -> TrainConfig field
_FIELDS = {
    "dataset": "dataset",
    "data_root": "data_root",
    "dataset_weights": "dataset_weights",
    "short_side": "short_side",
    "coarse_boost_classes": "coarse_boost_classes",
    "coarse_boost_fraction": "coarse_boost_fraction",
    "synthetic_layout": "synthetic_layout",
    "train_split": "train_split",
    "val_split": "val_split",
    "num_classes": "num_classes",
    "class_names": "class_names",
    "backbone": "backbone",
    "head": "head",
    "decoder_filters": "decoder_filters",
    "dilated": "dilated",
    "stem": "stem",
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


# SFNet decoder switches with a flag of the same name (TrainConfig.decoder_options;
# docs/ablations.md)
_SWITCH_FLAGS = DECODER_SWITCHES


def _levels(value: str) -> list[str]:
    """``P3,P4`` -> ["P3", "P4"]; ``none`` -> [] (no FAM)."""
    if value.strip().lower() in ("", "none"):
        return []
    return [level.strip().upper() for level in value.split(",") if level.strip()]


def _dataset_name(value: str) -> str:
    key = value.lower().replace("-", "_")
    if key not in DATASETS and not ("+" in key and all(key.split("+"))):
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join(DATASETS)} or names joined by '+' (got {value!r})"
        )
    return key


def _names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected names like road,car,sky (got {value!r})")
    return names


def _data_root(value: str) -> str | dict[str, str]:
    if "=" not in value:
        return value
    try:
        return dict(item.split("=", 1) for item in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected DIR or name=DIR,name=DIR (got {value!r})"
        ) from None


def _weights(value: str) -> list[float]:
    try:
        return [float(v) for v in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 2,1,1,1 (got {value!r})") from None


def _default(text: str, field: str) -> str:
    return with_default(text, CONFIG_DEFAULTS[field])


def build_parser() -> argparse.ArgumentParser:
    # Every flag defaults to None ("not given") so that --config's values stand;
    # the help shows the TrainConfig default that applies when neither sets it.
    parser = new_parser(__doc__, verbose_flag=False, backends=BACKENDS)
    add = parser.add_argument
    add(
        "--input-pipeline", choices=INPUT_PIPELINES, default="auto",
        help="tf_data (TensorFlow), arrays (keras.utils.PyDataset, no TensorFlow: one "
        "device) or auto (arrays on jax/torch or where TensorFlow is not installed)",
    )  # fmt: skip
    add("--config", type=existing_path, help="JSON/YAML file of TrainConfig settings")
    add(
        "--dataset", type=_dataset_name, metavar="NAME",
        help=_default(f"one of {', '.join(DATASETS)}, or 19-class datasets joined by '+' "
                      "(e.g. cityscapes+mapillary+bdd100k+idd)", "dataset"),
    )  # fmt: skip
    add(
        "--data-root", type=_data_root,
        help="dataset folder (synthetic: where to generate it; merged: a folder of one "
        "sub-folder per dataset, or name=DIR,name=DIR)",
    )  # fmt: skip
    add(
        "--dataset-weights", type=_weights, metavar="W1,W2,...",
        help="merged datasets: sampling weight of each (default: their file counts)",
    )  # fmt: skip
    add("--short-side", type=int, help="resize the shorter image side first (Mapillary)")
    add(
        "--coarse-boost-classes", metavar="ID,ID,...",
        help="Cityscapes trainIds boosted with gtCoarse crops (authors: 14,15,16,3,12,17,4)",
    )  # fmt: skip
    add("--coarse-boost-fraction", type=float, help="share of coarse-boost crops")
    add(
        "--synthetic-layout", "--layout", choices=SYNTHETIC_LAYOUTS,
        help="layout of the generated synthetic dataset (--dataset synthetic)",
    )  # fmt: skip
    add("--train-split", help=_default("training split", "train_split"))
    add("--val-split", help=_default("validation split; 'none' disables validation", "val_split"))
    add("--num-classes", type=int, help="class count (default: the dataset's)")
    add("--class-names", type=_names, metavar="A,B,...",
        help="--dataset folder: the class names, recorded in model.keras for sfnet-predict "
        "and sfnet-evaluate (default: class_0, class_1, ...)")  # fmt: skip
    add("--backbone", choices=BACKBONES, metavar="NAME",
        help=_default(f"encoder: {', '.join(BACKBONES)} (with --init-from: the source's)",
                      "backbone"))  # fmt: skip
    add("--head", choices=("v1", "lite"), help="SFNet (v1, default) or SFNet-Lite (lite) head")
    add("--decoder-filters", type=int, help="decoder width (default: the authors')")
    add("--dilated", action=argparse.BooleanOptionalAction, default=None,
        help="ResNet dilations in layer3/4 (default: the released network's; with "
        "--init-from: the source's)")
    add("--stem", choices=STEMS, help="ResNet stem: deep (authors, default) or standard (7x7)")
    switches = parser.add_argument_group(
        "ablation switches (v1 head; docs/ablations.md; default: the released network)")
    switches.add_argument("--decoder", choices=DECODERS, help="decoder family")
    switches.add_argument("--context", choices=CONTEXT_HEADS, help="context head on P5")
    switches.add_argument("--fam-levels", type=_levels, metavar="P3,P4,P5|none",
                          help="levels that get a FAM (others: bilinear)")
    switches.add_argument("--flow-kernel-size", type=int, metavar="K", help="flow conv kernel")
    switches.add_argument("--fam-upsampling", choices=UPSAMPLINGS, help="upsampling inside FAM")
    switches.add_argument("--flow-estimator", choices=FLOW_ESTIMATORS, help="flow estimator")
    switches.add_argument("--alignment", choices=ALIGNMENTS, help="FAM or deformable conv")
    switches.add_argument("--final-fusion", choices=FINAL_FUSIONS, help="last fusion step")
    add("--deep-supervision", action="store_true", default=None, help="auxiliary heads")
    add("--sync-bn", action="store_true", default=None, help="synchronised batch norm")
    add("--initial-weights", type=existing_path, help=".weights.h5 or .keras file to start from")
    add("--init-from",
        help="fine-tune from an authors' .pth, .keras, .weights.h5, preset folder or handle: "
        "the model has its architecture unless flags override it (another --num-classes: "
        "fresh class heads)")  # fmt: skip
    add("--backbone-weights", type=existing_path,
        help="ImageNet backbone file (the authors' resnet*-deep*.pth, df*_imagenet.pth, "
        "STDCNet*.tar, torchvision ResNet/ShuffleNetV2)")  # fmt: skip
    add("--crop-size", type=int, nargs=2, metavar=("H", "W"), help=_default("crop", "crop_size"))
    add("--batch-size", type=int, help=_default("global batch size", "batch_size"))
    add("--steps", type=int, help=_default("total optimizer steps", "steps"))
    add("--epochs", type=int, help="epochs (when --steps is not given)")
    add("--steps-per-epoch", type=int, help="steps per epoch (default: files // batch)")
    add("--lr", type=float, help=_default("initial learning rate", "learning_rate"))
    add("--momentum", type=float, help=_default("SGD momentum", "momentum"))
    add("--weight-decay", type=float, help=_default("coupled weight decay", "weight_decay"))
    add("--warmup-steps", type=int, help=_default("linear warm-up steps", "warmup_steps"))
    add("--loss", choices=LOSSES, help=_default("loss", "loss"))
    add("--ohem-min-kept", type=int, help=_default("OHEM pixels kept", "ohem_min_kept"))
    add("--augmentation", choices=AUGMENTATIONS, help=_default("recipe", "augmentation"))
    add("--class-uniform", type=float, help=_default("class-uniform crop rate", "class_uniform"))
    add("--mixed-precision", choices=MIXED_PRECISION, help=_default("policy", "mixed_precision"))
    add("--distribution", choices=DISTRIBUTIONS, help=_default("strategy", "distribution"))
    add("--output", help=_default("run folder", "output"))
    add("--resume", action="store_true", default=None, help="continue --output's run")
    add("--fresh", action="store_true", help="delete --output's run first (keeps data/)")
    add(
        "--checkpoint-every", type=int, help="steps between last checkpoints (default: every epoch)"
    )
    add("--validate-every", type=int, help=_default("epochs between validations", "validate_every"))
    add("--val-steps", type=int, help="validation images per validation (default: all)")
    add("--seed", type=int, help=_default("random seed", "seed"))
    add("--deterministic", action="store_true", default=None, help="deterministic TF ops")
    add("--no-tensorboard", action="store_true", help="no TensorBoard logs")
    add("--verbose", type=int, choices=(0, 1, 2), help=_default("Keras progress", "verbose"))
    add("--validate-only", action="store_true",
        help="check every image and label file of the splits, print the report, and stop")
    add("--no-validate-data", action="store_true",
        help="skip the check of every label file before the first step")  # fmt: skip
    return parser


def config_from_args(args: argparse.Namespace):
    """The `TrainConfig` of parsed arguments: `--config` file, then the flags."""
    from keras_sfnet.training import TrainConfig

    overrides = {}
    for flag, field in _FIELDS.items():
        value = getattr(args, flag)
        if value is not None:
            overrides[field] = value
    switches = {name: getattr(args, name) for name in _SWITCH_FLAGS}
    switches = {name: value for name, value in switches.items() if value is not None}
    if overrides.get("val_split", "").lower() == "none":
        overrides["val_split"] = None
    if args.no_tensorboard:
        overrides["tensorboard"] = False
    if args.no_validate_data:
        overrides["validate_data"] = False
    given = [f for f in ("backbone", "head", "decoder_filters", "dilated", "stem") if f in overrides]
    if switches:
        given.append("decoder_options")
    if given:
        # With --init-from, these replace the source's architecture fields.
        overrides["architecture_overrides"] = given
    config = TrainConfig.from_file(args.config, **overrides) if args.config else None
    if config is None:
        return TrainConfig(**overrides, decoder_options=switches)
    if switches:  # flags refine the file's switches rather than replace them
        config = config.replace(decoder_options={**config.decoder_options, **switches})
    return config


def check(args: argparse.Namespace) -> None:
    """Refuses contradictory flags (before TensorFlow loads)."""
    if args.fresh and args.resume:
        raise UsageError("--fresh starts over and --resume continues: pass one of them")
    init_from = args.init_from
    if init_from and not init_from.startswith(HUB_SCHEMES) and not os.path.exists(init_from):
        raise UsageError(
            f"--init-from '{init_from}' does not exist (a .keras, .weights.h5 or .pth file, a "
            "preset folder, or an hf:// / kaggle:// handle)"
        )
    for flag, value in (("--crop-size", args.crop_size), ("--batch-size", args.batch_size),
                        ("--steps", args.steps), ("--num-classes", args.num_classes),
                        ("--decoder-filters", args.decoder_filters)):  # fmt: skip
        values = value if isinstance(value, list) else [value]
        if value is not None and any(v < 1 for v in values):
            raise UsageError(f"{flag} must be >= 1 (got {' '.join(map(str, values))})")
    if args.config is None:
        dataset = args.dataset or CONFIG_DEFAULTS["dataset"]
        if dataset == "folder" and args.num_classes is None:
            raise UsageError("--dataset folder needs --num-classes")
    if args.class_names is not None and args.num_classes is not None:
        if len(args.class_names) != args.num_classes:
            raise UsageError(
                f"--class-names gives {len(args.class_names)} names for --num-classes "
                f"{args.num_classes}"
            )
        if dataset != "synthetic" and args.data_root is None:
            raise UsageError(f"--dataset {dataset} needs --data-root")
    roots = args.data_root if isinstance(args.data_root, dict) else {"": args.data_root}
    dataset = args.dataset or (None if args.config else CONFIG_DEFAULTS["dataset"])
    if dataset not in (None, "synthetic"):
        for root in roots.values():
            if root is not None and not os.path.isdir(root):
                raise UsageError(f"--data-root '{root}' is not a folder")


def run(args: argparse.Namespace):
    """Trains as `args` say; returns the `keras_sfnet.training.TrainResult`."""
    check(args)
    from keras_sfnet.training.array_training import train_with_arrays, use_array_pipeline

    config = config_from_args(args)
    if use_array_pipeline(args.input_pipeline):
        if args.validate_only or args.fresh:
            raise UsageError("--validate-only and --fresh need the tf_data input pipeline")
        return _report(train_with_arrays(config))
    from keras_sfnet.training import clear_run, train

    if args.validate_only:
        from keras_sfnet.data import format_validation_report
        from keras_sfnet.training import resolve_dataset, validate_training_data

        info = resolve_dataset(config)[2]
        reports = validate_training_data(config, check_images=True, raise_errors=False)
        for split, report in reports.items():
            print(f"[{split}] {format_validation_report(report, info, max_reported=1000)}")
        return 1 if any(r["problems"] for r in reports.values()) else 0
    if args.fresh:
        clear_run(config.output)
    return _report(train(config))


def _report(result):
    if result.model_path:
        history = {k: v[-1] for k, v in result.history.items() if v}
        print(f"Trained {result.step} steps ({result.wall_time:.0f} s). Last epoch: {history}")
        print(f"Model: {result.model_path}; checkpoints: {result.checkpoint_dir}")
    return result


def main(argv: list[str] | None = None) -> int:
    """`sfnet-train`: see the module docstring."""
    return run_command(
        build_parser(),
        run,
        argv,
        check=check,
        aliases={field: flag for flag, field in _FIELDS.items()},
        log_level=logging.INFO,
        log_format="%(asctime)s %(levelname)s %(message)s",
    )
