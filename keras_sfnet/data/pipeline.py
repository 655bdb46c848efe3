"""Training and evaluation `tf.data` pipelines for semantic segmentation.

`load_dataset` is the single entry point: it lists a dataset's files in their
standard layout and builds the pipeline with `make_dataset`, which can also be
given any list of `(image_path, label_path)` pairs. Both take the pipeline options
as keyword arguments or as one `PipelineConfig` (`keras_sfnet.data.streams`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import tensorflow as tf

from keras_sfnet.data.dataset_info import DatasetInfo
from keras_sfnet.data.merged import load_merged_dataset
from keras_sfnet.data.registry import (
    FOLDER,
    dataset_key,
    get_dataset_info,
    is_merged_name,
    list_files,
)
from keras_sfnet.data.streams import (
    PipelineConfig,
    centered_stream,
    example_stream,
    finish_dataset,
    mix_datasets,
    resize_image_to_short_side,
)

__all__ = ["PipelineConfig", "load_dataset", "make_dataset", "resize_image_to_short_side"]


def make_dataset(
    files: Sequence[tuple[str, str]],
    info: DatasetInfo,
    *,
    training: bool,
    config: PipelineConfig | None = None,
    **options: Any,
) -> tf.data.Dataset:
    """Builds the segmentation pipeline for a list of image/label files.

    Yields `(images, labels)`: float32 `(B, H, W, 3)` ImageNet-normalised RGB
    (`preprocessor`, by default `keras_sfnet.layers.ImageConverter()`) and int32 `(B, H, W)` class indices, 255 (or
    `info.ignore_index`) = ignore.

    Training (`training=True`): each epoch visits the files in a new random
    order, and each example gets `augment_example` (`crop_size` crops). All
    randomness is stateless and derived from `(seed, epoch, file index)`: with a
    seed, the stream of examples is reproducible, whatever `num_parallel_calls`
    and however the files are sharded. Evaluation (`training=False`): files in
    order, whole images, no augmentation; `batch_size > 1` needs images of one
    size.

    Sharding (`shard=(num_shards, index)`) keeps files `index, index +
    num_shards, ...` of the list (`tf.data.Dataset.shard` applied to the file
    list, before any file is read) and turns tf.distribute's auto-sharding off.

    Args:
        files: sequence of `(image_path, label_path)`, e.g. from `list_files`.
        info: `DatasetInfo`. Label space (mapping, class count, ignore value).
        training: bool. Training (augmented crops) or evaluation (whole images).
        config: `PipelineConfig` or `None` (the defaults). The pipeline options.
        **options: any field of `PipelineConfig` (`crop_size`, `batch_size`,
            `augmentation`, `seed`, `deterministic`, `num_parallel_calls`,
            `shard`, `repeat`, `shuffle`, `drop_remainder`, `class_uniform`,
            `check_labels`, `prefetch`, `short_side`, `crop_centers`,
            `crop_centers_fraction`, `preprocessor`), replacing `config`'s.

    Returns:
        A `tf.data.Dataset` of `(images, labels)`.

    Example:
    >>> from keras_sfnet.data import get_dataset_info, list_files, synthetic
    >>> import tempfile
    >>> root = synthetic.generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=4, num_val=2)
    >>> files = list_files("cityscapes", root, "train")
    >>> ds = make_dataset(files, get_dataset_info("cityscapes"), training=True,
    ...                   crop_size=(128, 128), batch_size=2, seed=0)
    >>> images, labels = next(iter(ds))
    >>> images.shape, labels.shape
    (TensorShape([2, 128, 128, 3]), TensorShape([2, 128, 128]))
    """
    options = PipelineConfig.from_options(config, **options).resolve(training=training)
    dataset = example_stream(files, info, options, training=training)
    if options.crop_centers is not None and training and options.crop_centers_fraction > 0:
        boost = centered_stream(options.crop_centers, options)
        fraction = options.crop_centers_fraction
        dataset = mix_datasets(
            [dataset, boost], (1.0 - fraction, fraction), options.seed,
            deterministic=options.deterministic,
        )  # fmt: skip
    return finish_dataset(dataset, options)


def load_dataset(
    name: str,
    root: str | os.PathLike,
    split: str = "train",
    *,
    training: bool,
    info: DatasetInfo | None = None,
    config: PipelineConfig | None = None,
    images_dir: str = "images",
    masks_dir: str = "masks",
    mask_suffix: str = "",
    list_file: str | os.PathLike | None = None,
    weights: Sequence[float] | Mapping[str, float] | None = None,
    **options: Any,
) -> tf.data.Dataset:
    """Loads a segmentation dataset from its standard layout as a `tf.data` pipeline.

    Lists the files with `list_files(name, root, split)` and builds the pipeline
    with `make_dataset` (see there for every pipeline argument). Yields
    `(images, labels)`: float32 `(B, H, W, 3)` ImageNet-normalised RGB and int32
    `(B, H, W)` class indices with 255 = ignore.

    Args:
        name: str. `"cityscapes"`, `"camvid"`, `"ade20k"`, `"pascal_context"`,
            a driving dataset (`"mapillary"`, `"mapillary_19"`, `"mapillary_v2"`,
            `"mapillary_v2_19"`, `"bdd100k"`, `"idd"`, `"idd_19"`, `"kitti"`),
            `"folder"` (a generic dataset; pass `info`), or several 19-class
            datasets joined by `+` (`keras_sfnet.data.load_merged_dataset`,
            file-count weights; `root` holds one sub-folder per dataset).
        root: str or path. Dataset folder.
        split: str, defaults to `"train"`.
        training: bool. Augmented crops (`True`) or whole images (`False`).
        info: `DatasetInfo` or `None` for `get_dataset_info(name)`; required
            for `"folder"`.
        config: `PipelineConfig` or `None`. The pipeline options.
        images_dir: str, defaults to `"images"` (`"folder"` only).
        masks_dir: str, defaults to `"masks"` (`"folder"` only).
        mask_suffix: str, defaults to `""` (`"folder"` only).
        list_file: str, path or `None` (`"folder"` only).
        weights: per-member sampling weights of a merged (`a+b`) dataset, or
            `None` (file counts). See `load_merged_dataset`.
        **options: any field of `PipelineConfig` (see `make_dataset`).

    Returns:
        A `tf.data.Dataset` of `(images, labels)`.

    Example:
    >>> from keras_sfnet.data import load_dataset, synthetic
    >>> import tempfile
    >>> root = synthetic.generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=4, num_val=2)
    >>> train = load_dataset("cityscapes", root, "train", training=True,
    ...                      crop_size=(128, 128), batch_size=2, seed=0)
    >>> val = load_dataset("cityscapes", root, "val", training=False)
    """
    config = PipelineConfig.from_options(config, **options)
    key = dataset_key(name)
    if is_merged_name(key):
        if config.crop_centers is not None and config.crop_centers_fraction > 0:
            raise ValueError("`crop_centers` (the coarse boost) is for Cityscapes, not merged datasets.")
        return load_merged_dataset(
            key, root, split, training=training, weights=weights, config=config
        )
    if weights is not None:
        raise ValueError(f"`weights` is for merged datasets ('a+b'). Received: name={name!r}")
    if key == FOLDER:
        if info is None:
            raise ValueError(
                "`info` is required for name='folder': pass a `DatasetInfo(name=..., "
                "num_classes=..., ...)` describing the masks. Received: info=None"
            )
        files = list_files(
            key, root, split, images_dir=images_dir, masks_dir=masks_dir,
            mask_suffix=mask_suffix, list_file=list_file,
        )  # fmt: skip
    else:
        info = get_dataset_info(key, root) if info is None else info
        files = list_files(key, root, split)
    return make_dataset(files, info, training=training, config=config)
