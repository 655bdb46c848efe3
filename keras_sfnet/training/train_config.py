"""`TrainConfig`: every setting of a training run, loadable from YAML or JSON."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["TrainConfig"]

DATASETS = ("cityscapes", "camvid", "ade20k", "pascal_context", "folder", "synthetic")
MIXED_PRECISION = ("off", "float16", "bfloat16")
DISTRIBUTIONS = ("auto", "none", "mirrored", "multi_worker")
LOSSES = ("ohem", "cross_entropy")
OPTIMIZERS = ("sgd", "adamw")
AUGMENTATIONS = ("released", "paper", "crop_only")


def _pair(name: str, value: Any, cast=int) -> tuple:
    try:
        first, second = value
        return cast(first), cast(second)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a pair. Received: {name}={value!r}") from None


def _choice(name: str, value: Any, choices: Sequence[str]) -> str:
    key = str(value).lower().replace("-", "_")
    if key not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}. Received: {name}={value!r}")
    return key


def _positive(name: str, value: Any, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value!r}")
    return value


@dataclasses.dataclass
class TrainConfig:
    """Settings of one SFNet training run (`keras_sfnet.training.train`).

    The defaults are the paper's Cityscapes recipe (Li et al., ECCV 2020,
    section 4.1): SGD momentum 0.9, coupled weight decay 5e-4, batch 16,
    learning rate 0.01 with poly decay (power 0.9) over 50K iterations, OHEM
    cross-entropy (0.7, 100000 pixels kept), 1024x1024 crops, released-script
    augmentation. `configs/*.json` hold the recipes of each table.

    Training length is counted in optimizer steps (batches): `steps`, or
    `epochs` x `steps_per_epoch` when `steps` is `None`. An "epoch" is the unit
    of logging, validation and best-checkpoint selection; it defaults to one
    pass over the training files.

    Args:
        dataset: str, one of `"cityscapes"`, `"camvid"`, `"ade20k"`,
            `"pascal_context"`, `"folder"`, `"synthetic"` (a synthetic
            Cityscapes-layout dataset generated into `data_root`, or into
            `output/data`, when it is missing). Defaults to `"cityscapes"`.
        data_root: str or `None`. Dataset folder.
        train_split: str, defaults to `"train"`.
        val_split: str or `None` (no validation), defaults to `"val"`.
        num_classes: int or `None`. Required for `"folder"`; otherwise taken
            from the dataset.
        ignore_index: int, defaults to 255. (`"folder"` only.)
        images_dir, masks_dir, mask_suffix: the `"folder"` layout (see
            `keras_sfnet.data.list_folder`).
        synthetic_num_train, synthetic_num_val: int, image counts of a
            generated synthetic dataset. Default 80 and 20.
        synthetic_image_size: (height, width), defaults to `(256, 512)`.
        backbone: str, defaults to `"resnet18"`.
        decoder_filters: int or `None` (the authors' width).
        dilated: bool, the authors' dilated layer3/layer4 (output stride 8)
            for ResNet backbones; `False` keeps strides 16 and 32 (about a
            third of the training FLOPs of ResNet-18 at the same input size).
            Defaults to `True`.
        deep_supervision: bool, train with the auxiliary heads (loss weight
            `aux_weight` each). Defaults to `False`.
        sync_batchnorm: bool, synchronise batch-norm statistics across
            replicas. Defaults to `False`.
        dropout: float, spatial dropout of the PPM and auxiliary heads.
            Defaults to 0.1 (authors).
        initial_weights: str or `None`. A `.weights.h5` or `.keras` file whose
            weights initialise the model (e.g. converted ImageNet backbones).
        crop_size: (height, width), defaults to `(1024, 1024)`.
        batch_size: int, global batch size (all replicas). Defaults to 16.
        steps: int or `None`. Total optimizer steps. Defaults to 50000.
        epochs: int or `None`. Used when `steps` is `None`.
        steps_per_epoch: int or `None` (training files // batch size).
        learning_rate: float, defaults to 0.01.
        optimizer: `"sgd"` (the authors': momentum SGD with coupled weight
            decay) or `"adamw"` (Adam with decoupled weight decay
            `weight_decay`, for short runs from scratch). Defaults to `"sgd"`.
        momentum: float, defaults to 0.9.
        weight_decay: float, coupled L2, defaults to 5e-4.
        poly_power: float, defaults to 0.9.
        end_learning_rate: float, defaults to 0.0.
        warmup_steps: int, defaults to 0.
        loss: `"ohem"` or `"cross_entropy"`. Defaults to `"ohem"`.
        ohem_thresh: float, defaults to 0.7.
        ohem_min_kept: int, defaults to 100000 (per replica batch).
        aux_weight: float, defaults to 1.0.
        augmentation: `"released"` (authors' scripts), `"paper"`, `"crop_only"`
            or a dict of `keras_sfnet.data.AugmentationConfig` fields.
            Defaults to `"released"`.
        class_uniform: float, probability of a class-uniform crop. Defaults
            to 0.0.
        mixed_precision: `"off"`, `"float16"` (with dynamic loss scaling) or
            `"bfloat16"`. Defaults to `"off"`.
        distribution: `"auto"` (multi-worker when `TF_CONFIG` is set, mirrored
            with several GPUs, else none), `"none"`, `"mirrored"` or
            `"multi_worker"`. Defaults to `"auto"`.
        jit_compile: `"auto"` (XLA with one replica) or bool.
        output: str, run folder (checkpoints, logs, `model.keras`). Defaults
            to `"runs/sfnet"`.
        resume: bool, continue from `output`'s last checkpoint. Defaults to
            `False`: then an existing checkpoint is an error.
        checkpoint_every: int or `None`, steps between "last" checkpoints
            (`None`: every epoch).
        validate_every: int, epochs between validations. Defaults to 1.
        val_steps: int or `None`, validation images per validation (`None`:
            the whole split).
        seed: int, defaults to 0. Model initialisation and data order.
        deterministic: bool, enable TensorFlow op determinism (slower,
            disables XLA). Defaults to `False`.
        tensorboard: bool, write TensorBoard logs. Defaults to `True`.
        verbose: `"auto"`, 0, 1 or 2, Keras progress bar. Defaults to `"auto"`.

    Example:
    >>> config = TrainConfig.from_file("configs/cityscapes_r18.json")  # doctest: +SKIP
    >>> config = TrainConfig(dataset="synthetic", crop_size=(128, 128), batch_size=8,
    ...                      steps=300, output="runs/demo")
    >>> config.mixed_precision
    'off'
    """

    dataset: str = "cityscapes"
    data_root: str | None = None
    train_split: str = "train"
    val_split: str | None = "val"
    num_classes: int | None = None
    ignore_index: int = 255
    images_dir: str = "images"
    masks_dir: str = "masks"
    mask_suffix: str = ""
    synthetic_num_train: int = 80
    synthetic_num_val: int = 20
    synthetic_image_size: tuple[int, int] = (256, 512)
    backbone: str = "resnet18"
    decoder_filters: int | None = None
    dilated: bool = True
    deep_supervision: bool = False
    sync_batchnorm: bool = False
    dropout: float = 0.1
    initial_weights: str | None = None
    crop_size: tuple[int, int] = (1024, 1024)
    batch_size: int = 16
    steps: int | None = 50000
    epochs: int | None = None
    steps_per_epoch: int | None = None
    learning_rate: float = 0.01
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 5e-4
    poly_power: float = 0.9
    end_learning_rate: float = 0.0
    warmup_steps: int = 0
    loss: str = "ohem"
    ohem_thresh: float = 0.7
    ohem_min_kept: int = 100000
    aux_weight: float = 1.0
    augmentation: Any = "released"
    class_uniform: float = 0.0
    mixed_precision: str = "off"
    distribution: str = "auto"
    jit_compile: Any = "auto"
    output: str = "runs/sfnet"
    resume: bool = False
    checkpoint_every: int | None = None
    validate_every: int = 1
    val_steps: int | None = None
    seed: int = 0
    deterministic: bool = False
    tensorboard: bool = True
    verbose: Any = "auto"

    def __post_init__(self) -> None:
        self.dataset = _choice("dataset", self.dataset, DATASETS)
        self.mixed_precision = _choice(
            "mixed_precision", "off" if self.mixed_precision in (None, False) else self.mixed_precision,
            MIXED_PRECISION,
        )  # fmt: skip
        self.distribution = _choice("distribution", self.distribution, DISTRIBUTIONS)
        self.optimizer = _choice("optimizer", self.optimizer, OPTIMIZERS)
        self.loss = _choice("loss", self.loss, LOSSES + ("ce",))
        if self.loss == "ce":
            self.loss = "cross_entropy"
        if isinstance(self.augmentation, str):
            self.augmentation = _choice("augmentation", self.augmentation, AUGMENTATIONS)
        elif not isinstance(self.augmentation, Mapping):
            raise ValueError(
                f"`augmentation` must be one of {list(AUGMENTATIONS)} or a dict. "
                f"Received: augmentation={self.augmentation!r}"
            )
        else:
            self.augmentation = dict(self.augmentation)
        self.crop_size = _pair("crop_size", self.crop_size)
        self.synthetic_image_size = _pair("synthetic_image_size", self.synthetic_image_size)
        _positive("batch_size", self.batch_size)
        _positive("steps", self.steps, allow_none=True)
        _positive("epochs", self.epochs, allow_none=True)
        _positive("steps_per_epoch", self.steps_per_epoch, allow_none=True)
        _positive("checkpoint_every", self.checkpoint_every, allow_none=True)
        _positive("validate_every", self.validate_every)
        _positive("val_steps", self.val_steps, allow_none=True)
        if self.steps is None and self.epochs is None:
            raise ValueError(
                "One of `steps` or `epochs` must be set. Received: steps=None, epochs=None"
            )
        if self.dataset == "folder" and self.num_classes is None:
            raise ValueError(
                "`num_classes` is required for dataset='folder'. Received: num_classes=None"
            )
        if self.dataset != "synthetic" and self.data_root is None:
            raise ValueError(
                f"`data_root` is required for dataset={self.dataset!r}. Received: data_root=None"
            )
        if self.jit_compile not in ("auto", True, False):
            raise ValueError(
                f"`jit_compile` must be one of ['auto', True, False]. Received: jit_compile={self.jit_compile!r}"
            )
        if self.verbose not in ("auto", 0, 1, 2):
            raise ValueError(
                f"`verbose` must be one of ['auto', 0, 1, 2]. Received: verbose={self.verbose!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-compatible dict (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some settings changed (validated again).

        Example:
        >>> TrainConfig(dataset="synthetic").replace(steps=10).steps
        10
        """
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainConfig:
        """Builds a config from a dict; unknown keys are an error.

        Example:
        >>> TrainConfig.from_dict({"dataset": "synthetic", "steps": 5}).steps
        5
        """
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"Unknown training settings {unknown}. Known settings: {sorted(known)}"
            )
        return cls(**dict(values))

    @classmethod
    def from_file(cls, path: str | os.PathLike, **overrides: Any) -> TrainConfig:
        """Loads a `.yaml`/`.yml` or `.json` config, then applies `overrides`.

        Args:
            path: str or path to the config file.
            **overrides: settings replacing the file's (e.g. `data_root=...`).

        Example:
        >>> config = TrainConfig.from_file("configs/camvid_r18.json",
        ...                                data_root="/data/camvid")  # doctest: +SKIP
        """
        path = os.fspath(path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if path.endswith((".yaml", ".yml")):
            import yaml

            values = yaml.safe_load(text) or {}
        else:
            values = json.loads(text)
        if not isinstance(values, Mapping):
            raise ValueError(f"Config file '{path}' must hold a mapping of settings.")
        values = {k: v for k, v in values.items() if not str(k).startswith("_")}
        values.update(overrides)
        return cls.from_dict(values)

    def save(self, path: str | os.PathLike) -> None:
        """Writes the config as JSON (or YAML for a `.yaml`/`.yml` path)."""
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as f:
            if path.endswith((".yaml", ".yml")):
                import yaml

                yaml.safe_dump(self.to_dict(), f, sort_keys=False)
            else:
                json.dump(self.to_dict(), f, indent=2)
