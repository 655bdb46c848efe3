"""`TrainConfig`: every setting of a training run, loadable from YAML or JSON."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from keras_sfnet.parameter_message import Parameter, ParameterMessage

__all__ = ["TrainConfig"]

from keras_sfnet.names import (  # noqa: F401 (re-exported)
    AUGMENTATIONS,
    DATASETS,
    DECODER_SWITCHES,
    DISTRIBUTIONS,
    HEADS,
    LOSSES,
    MIXED_PRECISION,
    OPTIMIZERS,
    SYNTHETIC_LAYOUTS,
)


def _dataset(value: Any) -> str:
    key = str(value).lower().replace("-", "_")
    if "+" in key:  # merged: checked when the members are resolved
        parts = key.split("+")
        if len(parts) < 2 or not all(parts):
            raise ValueError(
                "`dataset` may join dataset names with '+' (e.g. "
                f"'cityscapes+mapillary+bdd100k+idd'). Received: dataset={value!r}"
            )
        return key
    if key not in DATASETS:  # an alias ("pascal_context59"): the registry knows them all
        from keras_sfnet.data.registry import get_dataset_spec

        try:
            key = get_dataset_spec(key).name
        except ValueError:
            pass
    return _choice("dataset", key, DATASETS)
# SFNet's decoder switches (the paper's ablations), see `keras_sfnet.SFNet`.


# The settings that make the network (besides its classes); `init_from` fixes them.
ARCHITECTURE_FIELDS = ("backbone", "head", "decoder_filters", "dilated", "stem", "decoder_options")


def _received(name: str, value: Any) -> Parameter:
    """The `name=value` a Keras-style argument error ends with."""
    return Parameter(name, repr(value), code=False)


def _pair(name: str, value: Any, cast=int) -> tuple:
    try:
        first, second = value
        return cast(first), cast(second)
    except (TypeError, ValueError):
        raise ValueError(
            ParameterMessage(Parameter(name), " must be a pair. Received: ", _received(name, value))
        ) from None


def _choice(name: str, value: Any, choices: Sequence[str]) -> str:
    key = str(value).lower().replace("-", "_")
    if key not in choices:
        raise ValueError(
            ParameterMessage(
                Parameter(name),
                f" must be one of {list(choices)}. Received: ",
                _received(name, value),
            )
        )
    return key


def _positive(name: str, value: Any, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            ParameterMessage(
                Parameter(name), " must be an integer >= 1. Received: ", _received(name, value)
            )
        )
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
            `"pascal_context"`, `"folder"`, the driving datasets
            (`"mapillary"`, `"mapillary_19"`, `"mapillary_v2"`,
            `"mapillary_v2_19"`, `"bdd100k"`, `"idd"`, `"idd_19"`, `"kitti"`;
            see `docs/datasets.md`), 19-class datasets joined by `+` (merged
            training, e.g. `"cityscapes+mapillary+bdd100k+idd"`), or
            `"synthetic"` (a synthetic dataset in the `synthetic_layout`
            generated into `data_root`, or into `output/data`, when it is
            missing). Defaults to `"cityscapes"`.
        data_root: str, dict or `None`. Dataset folder; for a merged dataset a
            folder holding one sub-folder per member (`cityscapes/`,
            `mapillary/`, ...) or a dict `{name: folder}`.
        dataset_weights: list, dict or `None`. Merged datasets: sampling
            weight of each member (list in `dataset` order, or dict by name);
            `None` = the file counts (as concatenating them).
        short_side: int or `None`. Resize the shorter image side to this
            before the random scale (the authors' `pre_size`; Mapillary).
        coarse_boost_classes: list of trainIds or `None`. Cityscapes: add
            crops centred on these classes in `gtCoarse/train_extra` (the
            authors' `--coarse_boost_classes`; see `docs/datasets.md`).
        coarse_boost_fraction: float or `None`, share of the training crops
            taken from the coarse boost (`None`: 0.5 x classes / 19).
        coarse_boost_tile: int, centroid tile size. Defaults to 1024.
        train_split: str, defaults to `"train"`.
        val_split: str or `None` (no validation), defaults to `"val"`.
        num_classes: int or `None`. Required for `"folder"`; otherwise taken
            from the dataset.
        class_names: list of `num_classes` str or `None` (`class_0`, ...).
            `"folder"` only; recorded in `model.keras` with the palette, for
            `sfnet-predict` and `sfnet-evaluate`.
        ignore_index: int, defaults to 255. (`"folder"` only.)
        images_dir, masks_dir, mask_suffix: the `"folder"` layout (see
            `keras_sfnet.data.list_folder`).
        synthetic_num_train, synthetic_num_val: int, image counts of a
            generated synthetic dataset. Default 80 and 20.
        synthetic_image_size: (height, width), defaults to `(256, 512)`.
        synthetic_layout: str, the layout of a generated synthetic dataset:
            `"cityscapes"` (default), `"mapillary"`, `"mapillary_v2"`,
            `"bdd100k"`, `"idd"` or `"kitti"` (`generate_synthetic_layout`).
        backbone: str, defaults to `"resnet18"` (any of `keras_sfnet.backbones.BACKBONES`:
            `"dfnet1"`, `"stdc2"`, `"shufflenetv2"`, ...).
        head: `"v1"` (SFNet) or `"lite"` (SFNet-Lite: ResNet-18, STDC1/2). Defaults
            to `"v1"`.
        decoder_filters: int or `None` (the authors' width).
        decoder_options: dict of SFNet's decoder switches (`decoder`,
            `context`, `fam_levels`, `flow_kernel_size`, `fam_upsampling`,
            `flow_estimator`, `alignment`, `final_fusion`; see
            `keras_sfnet.SFNet`), e.g. the paper's ablation rows in
            `configs/ablations/`. Defaults to `{}` (the released network).
        dilated: bool, the released ResNet's dilations (2 in layer3, 4 in
            layer4; strides and MACs unchanged). `False` uses plain 3x3 convs,
            which TensorFlow runs faster on CPU (no space-to-batch lowering).
            ResNet backbones only. Defaults to `True`.
        stem: `"deep"` (the authors' three 3x3 convs) or `"standard"`
            (torchvision's 7x7). ResNet backbones only. Defaults to `"deep"`.
        deep_supervision: bool, train with the auxiliary heads (loss weight
            `aux_weight` each). Defaults to `False`.
        sync_batchnorm: bool, synchronise batch-norm statistics across
            replicas. Defaults to `False`.
        dropout: float, spatial dropout of the PPM and auxiliary heads.
            Defaults to 0.1 (authors).
        initial_weights: str or `None`. A `.weights.h5` or `.keras` file whose
            weights initialise the model exactly (same classes: a mismatched
            head is an error; use `init_from` to fine-tune to other classes).
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
        init_from: str or `None`. Pretrained weights to fine-tune from: an
            authors' `.pth` checkpoint, a `.keras` or `.weights.h5` file, or a
            preset (folder, `hf://...`, `kaggle://...`). Every weight is kept
            but the class-specific layers, freshly initialised when the number
            of classes differs (`keras_sfnet.models.load_pretrained_weights`).
            The model has the source's architecture (`backbone`, `head`,
            `dilated`, `stem`, `decoder_filters`, `decoder_options`): those
            fields are taken from it unless overridden (see
            `architecture_overrides`), and `config.json` records the result.
        backbone_weights: str or `None`. ImageNet weights of the encoder (the
            authors' `resnet18-deep-inplane128.pth`, ..., or torchvision's),
            loaded with `keras_sfnet.weights.load_backbone_weights` (the
            paper's recipe). Applied before `init_from`.
        validate_data: bool, read every label file of the training and
            validation splits before the first step (`validate_dataset` with
            `check_images=False`: label values with their pixel counts, colour
            masks, image/label sizes from the image headers) and raise one error
            listing every bad file. Defaults to `True`.
        architecture_overrides: list of field names or `None`. With
            `init_from`: the architecture fields set here rather than taken from
            the source (`sfnet-train` lists the flags given). Fields whose value
            differs from the default count as set too. The fields that then
            differ from the source are logged; a difference that changes weight
            shapes is an error listing every differing field.

    Example:
    >>> config = TrainConfig.from_file("configs/cityscapes_r18.json")  # doctest: +SKIP
    >>> config = TrainConfig(dataset="synthetic", crop_size=(128, 128), batch_size=8,
    ...                      steps=300, output="runs/demo")
    >>> config.mixed_precision
    'off'
    """

    dataset: str = "cityscapes"
    data_root: Any = None
    dataset_weights: Any = None
    short_side: int | None = None
    coarse_boost_classes: list[int] | None = None
    coarse_boost_fraction: float | None = None
    coarse_boost_tile: int = 1024
    train_split: str = "train"
    val_split: str | None = "val"
    num_classes: int | None = None
    class_names: list[str] | None = None
    ignore_index: int = 255
    images_dir: str = "images"
    masks_dir: str = "masks"
    mask_suffix: str = ""
    synthetic_num_train: int = 80
    synthetic_num_val: int = 20
    synthetic_image_size: tuple[int, int] = (256, 512)
    synthetic_layout: str = "cityscapes"
    backbone: str = "resnet18"
    head: str = "v1"
    decoder_filters: int | None = None
    decoder_options: dict = dataclasses.field(default_factory=dict)
    dilated: bool = True
    stem: str = "deep"
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
    init_from: str | None = None
    backbone_weights: str | None = None
    validate_data: bool = True
    architecture_overrides: list[str] | None = None

    def __post_init__(self) -> None:
        self.dataset = _dataset(self.dataset)
        self.synthetic_layout = _choice("synthetic_layout", self.synthetic_layout, SYNTHETIC_LAYOUTS)
        _positive("short_side", self.short_side, allow_none=True)
        _positive("coarse_boost_tile", self.coarse_boost_tile)
        if self.coarse_boost_classes is not None:
            if isinstance(self.coarse_boost_classes, str):
                self.coarse_boost_classes = [int(c) for c in self.coarse_boost_classes.split(",")]
            self.coarse_boost_classes = [int(c) for c in self.coarse_boost_classes]
            if self.dataset != "cityscapes" or not all(0 <= c < 19 for c in self.coarse_boost_classes):
                raise ValueError(
                    "`coarse_boost_classes` must be Cityscapes trainIds (0..18) with "
                    f"dataset='cityscapes'. Received: coarse_boost_classes="
                    f"{self.coarse_boost_classes!r}, dataset={self.dataset!r}"
                )
        if self.coarse_boost_fraction is not None and not 0.0 <= float(self.coarse_boost_fraction) <= 1.0:
            raise ValueError(
                "`coarse_boost_fraction` must be in [0, 1] or None. "
                f"Received: coarse_boost_fraction={self.coarse_boost_fraction!r}"
            )
        if self.dataset_weights is not None and "+" not in self.dataset:
            raise ValueError(
                "`dataset_weights` is for merged datasets ('a+b+...'). "
                f"Received: dataset={self.dataset!r}"
            )
        self.mixed_precision = _choice(
            "mixed_precision", "off" if self.mixed_precision in (None, False) else self.mixed_precision,
            MIXED_PRECISION,
        )  # fmt: skip
        self.distribution = _choice("distribution", self.distribution, DISTRIBUTIONS)
        self.optimizer = _choice("optimizer", self.optimizer, OPTIMIZERS)
        self.head = _choice("head", self.head, HEADS)
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
        if not isinstance(self.decoder_options, Mapping):
            raise ValueError(
                "`decoder_options` must be a dict of SFNet decoder switches. "
                f"Received: decoder_options={self.decoder_options!r}"
            )
        self.decoder_options = dict(self.decoder_options)
        unknown = sorted(set(self.decoder_options) - set(DECODER_SWITCHES))
        if unknown:
            raise ValueError(
                f"Unknown `decoder_options` {unknown}. Known switches: {list(DECODER_SWITCHES)}"
            )
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
                ParameterMessage(
                    Parameter("num_classes"),
                    " is required for ",
                    Parameter("dataset", "'folder'", code=False),
                    ". Received: ",
                    _received("num_classes", None),
                )
            )
        if self.class_names is not None:
            if isinstance(self.class_names, str):
                self.class_names = [n.strip() for n in self.class_names.split(",")]
            self.class_names = [str(n) for n in self.class_names]
            if self.dataset != "folder" or len(self.class_names) != self.num_classes:
                raise ValueError(
                    "`class_names` names the classes of dataset='folder', one per class "
                    f"(num_classes={self.num_classes}). Received: "
                    f"{len(self.class_names)} names for dataset={self.dataset!r}"
                )
        if self.dataset != "synthetic" and self.data_root is None:
            raise ValueError(
                ParameterMessage(
                    Parameter("data_root"),
                    " is required for ",
                    _received("dataset", self.dataset),
                    ". Received: ",
                    _received("data_root", None),
                )
            )
        if self.jit_compile not in ("auto", True, False):
            raise ValueError(
                f"`jit_compile` must be one of ['auto', True, False]. Received: jit_compile={self.jit_compile!r}"
            )
        if self.verbose not in ("auto", 0, 1, 2):
            raise ValueError(
                f"`verbose` must be one of ['auto', 0, 1, 2]. Received: verbose={self.verbose!r}"
            )
        self.stem = _choice("stem", self.stem, ("deep", "standard"))
        if self.architecture_overrides is not None:
            self.architecture_overrides = sorted(set(self.architecture_overrides))
            unknown = sorted(set(self.architecture_overrides) - set(ARCHITECTURE_FIELDS))
            if unknown:
                raise ValueError(
                    f"`architecture_overrides` must name fields of {list(ARCHITECTURE_FIELDS)}. "
                    f"Received: {unknown}"
                )
        if self.init_from and self.initial_weights:
            raise ValueError(
                "Set one of `init_from` (fine-tuning: fresh class heads when the classes "
                "differ) or `initial_weights` (an exact copy). Received both: "
                f"init_from={self.init_from!r}, initial_weights={self.initial_weights!r}"
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
