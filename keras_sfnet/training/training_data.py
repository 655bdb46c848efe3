"""The data side of training: which dataset a `TrainConfig` names, and its pipelines.

`resolve_dataset` turns `config.dataset` into a registered dataset (names and
aliases through `keras_sfnet.data.registry`; `"synthetic"` prepares the
synthetic dataset with `keras_sfnet.synthetic`), `pipeline_kwargs` adds the
options that depend on the data (the coarse boost's crop centres, merged
weights), `train_dataset` / `val_dataset` build the `tf.data` pipelines and
`validate_training_data` checks every file first.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from typing import Any

import tensorflow as tf

from keras_sfnet.data.augmentation_config import AugmentationConfig
from keras_sfnet.data.coarse_boost import coarse_boost_centers
from keras_sfnet.data.dataset_info import DatasetInfo
from keras_sfnet.data.pipeline import load_dataset
from keras_sfnet.data.registry import (
    FOLDER,
    get_dataset_info,
    get_dataset_spec,
    is_merged_name,
    list_files,
    merged_dataset_members,
)
from keras_sfnet.data.streams import PipelineConfig
from keras_sfnet.data.validation import format_validation_report, validate_dataset
from keras_sfnet.losses import replicate_labels
from keras_sfnet.models.sfnet import deep_supervision_outputs
from keras_sfnet.synthetic.prepared_dataset import prepare_synthetic_dataset
from keras_sfnet.training.train_config import TrainConfig

__all__ = [
    "TrainingData",
    "augmentation_config",
    "folder_kwargs",
    "pipeline_kwargs",
    "resolve_dataset",
    "train_dataset",
    "val_dataset",
    "validate_training_data",
]

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TrainingData:
    """What `train` reads: the dataset's name, folder and label space, and its pipeline options.

    Example:
    >>> data = TrainingData("camvid", "/data/camvid", get_dataset_info("camvid"), {})
    >>> data.info.num_classes
    11
    """

    name: str  # load_dataset name
    root: str
    info: DatasetInfo
    folder_kwargs: dict  # list_files and load_dataset
    load_kwargs: dict = dataclasses.field(default_factory=dict)  # load_dataset
    train_kwargs: dict = dataclasses.field(default_factory=dict)  # training load_dataset


def resolve_dataset(config: TrainConfig) -> tuple[str, str, DatasetInfo]:
    """The `load_dataset` name, root folder and `DatasetInfo` of a config.

    Names and aliases resolve through the dataset registry
    (`keras_sfnet.data.registry`). For `dataset="synthetic"`, calls
    `keras_sfnet.synthetic.prepare_synthetic_dataset` (the `synthetic_layout`,
    into `data_root`, default `{output}/data`), which writes it unless it is there. A merged dataset (`"a+b"`) returns the first member's info (all
    members share the label space).

    Returns:
        `(name, root, info)`.

    Example:
    >>> resolve_dataset(TrainConfig(dataset="camvid", data_root="/data/camvid"))  # doctest: +SKIP
    ('camvid', '/data/camvid', DatasetInfo(name='camvid', ...))
    """
    if config.dataset == "synthetic":
        root = prepare_synthetic_dataset(
            config.data_root or os.path.join(config.output, "data"),
            config.synthetic_layout,
            num_train=config.synthetic_num_train,
            num_val=config.synthetic_num_val,
            image_size=config.synthetic_image_size,
            seed=config.seed,
        )
        name = config.synthetic_layout
        return name, root, get_dataset_info(name, root)
    if is_merged_name(config.dataset):
        info = merged_dataset_members(config.dataset, config.data_root)[0][2]
        return config.dataset, config.data_root, info
    if config.dataset == FOLDER:
        info = DatasetInfo(
            name="folder",
            num_classes=config.num_classes,
            class_names=config.class_names,
            ignore_index=config.ignore_index,
        )
        return "folder", config.data_root, info
    name = get_dataset_spec(config.dataset).name
    info = get_dataset_info(name, config.data_root)
    if config.num_classes is not None and config.num_classes != info.num_classes:
        raise ValueError(
            f"Dataset '{config.dataset}' has {info.num_classes} classes. "
            f"Received: num_classes={config.num_classes}"
        )
    return name, config.data_root, info


def pipeline_kwargs(
    config: TrainConfig, name: str, root: Any, info: DatasetInfo, chief: bool
) -> tuple[dict, dict]:
    """`load_dataset` arguments: `(for every split, for training only)`.

    The coarse boost's crop centres are computed here (cached in the run folder).

    Example:
    >>> name, root, info = resolve_dataset(config)  # doctest: +SKIP
    >>> load_kwargs, train_kwargs = pipeline_kwargs(config, name, root, info, chief=True)  # doctest: +SKIP
    """
    load_kwargs: dict[str, Any] = {}
    train_kwargs: dict[str, Any] = {}
    if config.short_side is not None:
        load_kwargs["short_side"] = config.short_side
    if is_merged_name(name):
        train_kwargs["weights"] = config.dataset_weights
    if config.coarse_boost_classes:
        classes = config.coarse_boost_classes
        fraction = config.coarse_boost_fraction
        if fraction is None:
            fraction = 0.5 * len(classes) / info.num_classes
        # Cached in the run folder (computing them reads every coarse label).
        output = os.fspath(config.output)
        tag = "-".join(str(c) for c in sorted(set(classes)))
        cache = os.path.join(
            output, f"coarse_boost_centers_tile{config.coarse_boost_tile}_{tag}.json"
        )
        if chief:
            os.makedirs(output, exist_ok=True)
        centers = coarse_boost_centers(
            root, classes, tile_size=config.coarse_boost_tile,
            cache_path=cache if chief or os.path.exists(cache) else None,
        )  # fmt: skip
        if sorted(centers.classes) != sorted(set(classes)):
            logger.warning(
                "Coarse boost: classes %s have no coarse crop centre.",
                sorted(set(classes) - set(centers.classes)),
            )
        train_kwargs.update(crop_centers=centers, crop_centers_fraction=float(fraction))
    return load_kwargs, train_kwargs


def augmentation_config(config: TrainConfig) -> AugmentationConfig:
    """The `AugmentationConfig` of `config.augmentation` (a preset name or a dict).

    Example:
    >>> augmentation_config(TrainConfig(dataset="synthetic", augmentation="crop_only"))  # doctest: +SKIP
    """
    if isinstance(config.augmentation, dict):
        values = dict(config.augmentation)
        for key in ("scale_range", "blur_sigma_range"):
            if key in values:
                values[key] = tuple(values[key])
        return AugmentationConfig(**values)
    if config.augmentation == "paper":
        return AugmentationConfig.paper()
    if config.augmentation == "crop_only":
        return AugmentationConfig.crop_only()
    return AugmentationConfig()



def train_dataset(
    config: TrainConfig,
    data: TrainingData,
    strategy: tf.distribute.Strategy,
    skip_steps: int,
):
    """The training pipeline of `config` (distributed over `strategy`'s replicas).

    `skip_steps` batches per replica are skipped (a resumed run continues the
    stream where it stopped).
    """
    augmentation = augmentation_config(config)

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        per_replica = context.get_per_replica_batch_size(config.batch_size)
        pipelines = context.num_input_pipelines
        train_kwargs = dict(data.train_kwargs)
        weights = train_kwargs.pop("weights", None)
        pipeline = PipelineConfig(
            crop_size=config.crop_size,
            batch_size=per_replica,
            augmentation=augmentation,
            seed=config.seed,
            shard=(pipelines, context.input_pipeline_id) if pipelines > 1 else None,
            class_uniform=config.class_uniform,
        ).replace(**data.load_kwargs, **train_kwargs)
        dataset = load_dataset(
            data.name, data.root, config.train_split, training=True, info=data.info,
            config=pipeline, weights=weights, **data.folder_kwargs,
        )  # fmt: skip
        if skip_steps:
            # Every step takes one batch per local replica from this pipeline.
            dataset = dataset.skip(skip_steps * (context.num_replicas_in_sync // pipelines))
        if config.deep_supervision:
            dataset = dataset.map(replicate_labels(deep_supervision_outputs(config.backbone)))
        return dataset

    if strategy.num_replicas_in_sync == 1:
        return dataset_fn(tf.distribute.InputContext())
    return strategy.distribute_datasets_from_function(dataset_fn)


def val_dataset(
    config: TrainConfig, data: TrainingData, num_replicas: int
) -> tf.data.Dataset | None:
    """The validation pipeline of `config` (whole images), or `None` without `val_split`."""
    if not config.val_split:
        return None
    # Whole images, one per replica: with several replicas they must share one
    # size (Cityscapes, CamVid); otherwise validate after training with
    # `keras_sfnet.evaluation.evaluate`.
    dataset = load_dataset(
        data.name,
        data.root,
        config.val_split,
        training=False,
        info=data.info,
        config=PipelineConfig(batch_size=num_replicas).replace(**data.load_kwargs),
        **data.folder_kwargs,
    )
    if num_replicas == 1:
        # The pipeline's length is unknown to tf.data; stating it spares Keras'
        # "ran out of data" warning and gives the progress bar its length.
        # (Not with several replicas: tf.distribute may shard the dataset.)
        num_files = len(list_files(data.name, data.root, config.val_split, **data.folder_kwargs))
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(num_files))
    if config.val_steps:
        # Not `fit(validation_steps=...)`: Keras then keeps one iterator across
        # validations, and a finite dataset runs out.
        dataset = dataset.take(config.val_steps)
    if config.deep_supervision:
        dataset = dataset.map(replicate_labels(deep_supervision_outputs(config.backbone)))
    return dataset


def folder_kwargs(config: TrainConfig, name: str) -> dict:
    """The `list_files` / `load_dataset` arguments of `dataset="folder"` (else `{}`)."""
    if name != FOLDER:
        return {}
    return {
        "images_dir": config.images_dir,
        "masks_dir": config.masks_dir,
        "mask_suffix": config.mask_suffix,
    }


def validate_training_data(
    config: TrainConfig, *, check_images: bool = False, raise_errors: bool = True
) -> dict[str, dict]:
    """Checks every file of a config's training and validation splits (`validate_dataset`).

    What `train` runs before its first step when `config.validate_data` (the
    label files, and the image sizes from their headers); `sfnet-train
    --validate-only` prints its report. A merged dataset is checked member by
    member (each with its own label mapping).

    Args:
        config: a `TrainConfig`.
        check_images: bool, defaults to `False`. Decode the images too.
        raise_errors: bool, defaults to `True`. Raise one `ValueError` listing
            the problems of every split.

    Returns:
        A dict from split name (`"train"`, `"cityscapes/train"` for merged
        members) to its `validate_dataset` report.

    Example:
    >>> reports = validate_training_data(TrainConfig(dataset="folder", num_classes=3,
    ...                                              data_root="mine"))  # doctest: +SKIP
    """
    name, root, info = resolve_dataset(config)
    if is_merged_name(name):
        members = [(f"{m}/", m, r, i) for m, r, i in merged_dataset_members(name, root)]
    else:
        members = [("", name, root, info)]
    splits = [s for s in (config.train_split, config.val_split) if s]
    reports, errors = {}, []
    for prefix, source_name, source_root, source_info in members:
        for split in splits:
            key = prefix + split
            files = list_files(
                source_name, source_root, split, **folder_kwargs(config, source_name)
            )
            start = time.perf_counter()
            report = validate_dataset(
                files, source_info, raise_errors=False, check_images=check_images
            )
            logger.info(
                "Checked %d %s files of '%s' in %.1f s: %d with problems.",
                len(files), key, source_info.name, time.perf_counter() - start,
                len(report["problems"]),
            )  # fmt: skip
            reports[key] = report
            if report["problems"]:
                errors.append(f"[{key}] " + format_validation_report(report, source_info))
    if errors and raise_errors:
        raise ValueError(
            "\n".join(errors)
            + "\nFix these files (or pass validate_data=False / --no-validate-data to "
            "train without this check)."
        )
    return reports
