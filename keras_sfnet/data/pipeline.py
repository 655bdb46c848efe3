"""Training and evaluation `tf.data` pipelines for semantic segmentation.

`load_dataset` is the single entry point: it lists a dataset's files in their
standard layout and builds the pipeline with `make_dataset`, which can also be
given any list of `(image_path, label_path)` pairs.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
from collections.abc import Mapping, Sequence

import tensorflow as tf

from keras_sfnet.data.augment import augment_example
from keras_sfnet.data.augmentation_config import AugmentationConfig
from keras_sfnet.data.crop_centers import CropCenters
from keras_sfnet.data.dataset_info import DatasetInfo, get_dataset_info
from keras_sfnet.data.layouts import list_files
from keras_sfnet.data.reading import _as_pairs, load_pair, resolve_info
from keras_sfnet.layers.image_converter import ImageConverter

__all__ = ["load_dataset", "make_dataset", "resize_image_to_short_side"]

logger = logging.getLogger(__name__)

_SEED_SALT = 0x5F_AE_7  # first word of every per-example seed


def _check_shard(shard: tuple[int, int] | None) -> tuple[int, int] | None:
    if shard is None:
        return None
    try:
        num_shards, index = (int(v) for v in shard)
    except (TypeError, ValueError):
        raise ValueError(
            f"`shard` must be (num_shards, index) or None. Received: shard={shard!r}"
        ) from None
    if num_shards < 1 or not 0 <= index < num_shards:
        raise ValueError(
            f"`shard` must be (num_shards, index) with 0 <= index < num_shards. Received: shard={shard!r}"
        )
    return num_shards, index


def make_dataset(
    files: Sequence[tuple[str, str]],
    info: DatasetInfo,
    *,
    training: bool,
    crop_size: Sequence[int] = (1024, 1024),
    batch_size: int | None = None,
    augmentation: AugmentationConfig | None = None,
    seed: int | None = None,
    deterministic: bool | None = None,
    num_parallel_calls: int | None = tf.data.AUTOTUNE,
    shard: tuple[int, int] | None = None,
    repeat: bool | int | None = None,
    shuffle: bool | None = None,
    drop_remainder: bool | None = None,
    class_uniform: bool | float = False,
    check_labels: bool = True,
    prefetch: bool = True,
    short_side: int | None = None,
    crop_centers: CropCenters | None = None,
    crop_centers_fraction: float = 0.0,
    preprocessor: ImageConverter | None = None,
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
        crop_size: (height, width), defaults to `(1024, 1024)`. Training only.
        batch_size: int or `None`: 8 when training, 1 otherwise.
        augmentation: `AugmentationConfig` or `None` for the defaults.
        seed: int or `None`. Seed of the shuffle and augmentation; `None` picks
            a fresh random one.
        deterministic: bool or `None`. Keep the element order fixed (a
            `tf.data.Options` setting); `None` means `seed is not None`.
            Element contents depend only on the seed either way.
        num_parallel_calls: int or `None`, defaults to `tf.data.AUTOTUNE`.
        shard: `(num_shards, index)` or `None`.
        repeat: bool, int or `None`. `True` repeats forever, an int gives that
            many epochs; `None` means `training`.
        shuffle: bool or `None`. Shuffle the files each epoch; `None` means
            `training`.
        drop_remainder: bool or `None`. Drop the last partial batch; `None`
            means `training`.
        class_uniform: bool or float, defaults to `False`. Probability of a
            class-uniform crop (`True` = 0.5, the authors' default); see
            `augment_example`.
        check_labels: bool, defaults to `True`. Raise on label values that are
            neither a class nor the ignore value.
        prefetch: bool, defaults to `True`. Prefetch batches (`AUTOTUNE`).
        short_side: int or `None`. Resize each image so that its shorter side
            has this length before the random scale (training) or instead of
            it (evaluation, labels resized by nearest neighbour): the authors'
            `pre_size`, for datasets of varied image sizes such as Mapillary.
        crop_centers: `CropCenters` or `None`. Extra training crops centred on
            given pixels of other files (the coarse boost: `coarse_boost_centers`).
        crop_centers_fraction: float, defaults to 0. Share of the training
            examples drawn from `crop_centers` (a class uniformly, then one of
            its centres uniformly).
        preprocessor: `keras_sfnet.layers.ImageConverter` or `None` (the default
            converter: `(x / 255 - ImageNet mean) / ImageNet std`). Applied to the
            uint8 RGB images after augmentation.

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
    options = _PipelineOptions.make(
        training=training, crop_size=crop_size, batch_size=batch_size, seed=seed,
        deterministic=deterministic, repeat=repeat, shuffle=shuffle,
        drop_remainder=drop_remainder, class_uniform=class_uniform, short_side=short_side,
        preprocessor=preprocessor,
    )  # fmt: skip
    config = augmentation or AugmentationConfig()
    dataset = _example_stream(
        files, info, options, config, shard=shard, check_labels=check_labels,
        num_parallel_calls=num_parallel_calls,
    )  # fmt: skip
    if crop_centers is not None and training and crop_centers_fraction > 0:
        if not 0.0 <= crop_centers_fraction <= 1.0:
            raise ValueError(
                "`crop_centers_fraction` must be in [0, 1]. "
                f"Received: crop_centers_fraction={crop_centers_fraction!r}"
            )
        boost = _centered_stream(
            crop_centers, options, config, shard=shard, check_labels=check_labels,
            num_parallel_calls=num_parallel_calls,
        )  # fmt: skip
        weights = (1.0 - crop_centers_fraction, crop_centers_fraction)
        dataset = _mix(
            [dataset, boost], weights, options.seed, deterministic=options.deterministic
        )
    return _finish(dataset, options, shard=shard, prefetch=prefetch)


@dataclasses.dataclass(frozen=True)
class _PipelineOptions:
    training: bool
    crop: tuple[int, int] | None
    batch_size: int
    seed: int
    deterministic: bool
    epochs: int
    shuffle: bool
    drop_remainder: bool
    class_uniform_prob: float
    short_side: int | None
    preprocessor: ImageConverter

    @classmethod
    def make(
        cls, *, training, crop_size, batch_size, seed, deterministic, repeat, shuffle,
        drop_remainder, class_uniform, short_side, preprocessor=None,
    ) -> _PipelineOptions:  # fmt: skip
        repeat = training if repeat is None else repeat
        shuffle = training if shuffle is None else shuffle
        drop_remainder = training if drop_remainder is None else drop_remainder
        batch_size = (8 if training else 1) if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(
                f"`batch_size` must be a positive int. Received: batch_size={batch_size}"
            )
        if isinstance(repeat, bool):
            epochs = -1 if repeat else 1
        else:
            epochs = int(repeat)
            if epochs < 1:
                raise ValueError(
                    f"`repeat` must be a bool or a positive int. Received: repeat={repeat!r}"
                )
        class_uniform_prob = (
            (0.5 if class_uniform else 0.0)
            if isinstance(class_uniform, bool)
            else float(class_uniform)
        )
        if not 0.0 <= class_uniform_prob <= 1.0:
            raise ValueError(
                f"`class_uniform` must be a bool or in [0, 1]. Received: class_uniform={class_uniform!r}"
            )
        crop = None
        if training:
            try:
                crop = tuple(int(v) for v in crop_size)
                if len(crop) != 2:
                    raise ValueError
            except (TypeError, ValueError):
                raise ValueError(
                    f"`crop_size` must be (height, width). Received: crop_size={crop_size!r}"
                ) from None
            if crop[0] < 1 or crop[1] < 1:
                raise ValueError(f"`crop_size` must be positive. Received: crop_size={crop_size!r}")
        if short_side is not None and int(short_side) < 1:
            raise ValueError(f"`short_side` must be a positive int. Received: short_side={short_side!r}")
        if seed is None:
            seed = random.SystemRandom().getrandbits(31)
            deterministic = False if deterministic is None else deterministic
        else:
            seed = int(seed)
            deterministic = True if deterministic is None else deterministic
        return cls(
            training=training, crop=crop, batch_size=batch_size, seed=seed,
            deterministic=deterministic, epochs=epochs, shuffle=shuffle,
            drop_remainder=drop_remainder, class_uniform_prob=class_uniform_prob,
            short_side=None if short_side is None else int(short_side),
            preprocessor=ImageConverter() if preprocessor is None else preprocessor,
        )  # fmt: skip


def resize_image_to_short_side(image, short_side: int):
    """A uint8 ``(H, W, 3)`` image resized (bilinear, antialiased) so that its shorter
    side is ``short_side``: the validation resize of ``make_dataset(short_side=...)``.

    Example:
    >>> resize_image_to_short_side(tf.zeros((4, 6, 3), tf.uint8), 2).shape
    TensorShape([2, 3, 3])
    """
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    scale = float(short_side) / tf.cast(tf.minimum(height, width), tf.float32)
    size = tf.cast(tf.round(tf.cast(tf.stack([height, width]), tf.float32) * scale), tf.int32)
    image = tf.image.resize(image, size, method="bilinear", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def _resize_short_side(image, label, short_side):
    image = resize_image_to_short_side(image, short_side)
    label = tf.image.resize(label[..., None], tf.shape(image)[:2], method="nearest")[..., 0]
    return image, label


def _example_stream(
    files, info, options, config, *, shard, check_labels, num_parallel_calls, salt=0
) -> tf.data.Dataset:
    """The unbatched `(image, label)` stream of one file list."""
    images, labels = _as_pairs(files)
    info = resolve_info(files, info)
    shard = _check_shard(shard)
    indices = list(range(len(images)))
    files_ds = tf.data.Dataset.from_tensor_slices((indices, images, labels))
    if shard is not None:
        files_ds = files_ds.shard(*shard)
    # The (sharded) file list is small: hold it as three tensors so that each
    # epoch can take a stateless permutation of it.
    indices_t, images_t, labels_t = files_ds.batch(len(images)).get_single_element()
    num_files = int(indices_t.shape[0])
    if num_files == 0:
        raise ValueError(
            f"Shard {shard[1]} of {shard[0]} holds no files ({len(images)} files in all); "
            "use fewer shards."
        )
    logger.info(
        "%s pipeline for '%s': %d files%s.", "Training" if options.training else "Evaluation",
        info.name, num_files, "" if shard is None else f" (shard {shard[1]} of {shard[0]})",
    )  # fmt: skip
    base_seed = tf.constant([_SEED_SALT + salt, options.seed], tf.int64)

    def epoch_files(epoch):
        if options.shuffle:
            epoch_seed = tf.random.experimental.stateless_fold_in(base_seed, epoch)
            order = tf.random.experimental.stateless_shuffle(tf.range(num_files), seed=epoch_seed)
        else:
            order = tf.range(num_files)
        return tf.data.Dataset.from_tensor_slices(
            (
                tf.fill([num_files], epoch),
                tf.gather(indices_t, order),
                tf.gather(images_t, order),
                tf.gather(labels_t, order),
            )
        )

    epochs_ds = (
        tf.data.Dataset.counter() if options.epochs < 0 else tf.data.Dataset.range(options.epochs)
    )
    dataset = epochs_ds.flat_map(epoch_files)

    def load(epoch, index, image_path, label_path):
        image, label = load_pair(image_path, label_path, info, check_labels=check_labels)
        if not options.training:
            if options.short_side is not None:
                image, label = _resize_short_side(image, label, options.short_side)
            return options.preprocessor(image), label
        example_seed = tf.random.experimental.stateless_fold_in(
            tf.random.experimental.stateless_fold_in(base_seed, epoch), tf.cast(index, tf.int64)
        )
        image, label = augment_example(
            image,
            label,
            example_seed,
            crop_size=options.crop,
            config=config,
            ignore_index=info.ignore_index,
            num_classes=info.num_classes,
            class_uniform_prob=options.class_uniform_prob,
            short_side=options.short_side,
        )
        return options.preprocessor(image), label

    return dataset.map(
        load, num_parallel_calls=num_parallel_calls, deterministic=options.deterministic
    )


def _centered_stream(
    centers, options, config, *, shard, check_labels, num_parallel_calls
) -> tf.data.Dataset:
    """An endless stream of crops centred on `centers` (class, then centre, uniformly)."""
    table = centers.as_tensors()
    if shard is not None:
        num_shards, index = _check_shard(shard)
        offset = tf.constant(index, tf.int64)
    else:
        num_shards, offset = 1, tf.constant(0, tf.int64)
    base_seed = tf.constant([_SEED_SALT + 7919, options.seed], tf.int64)
    num_groups = len(centers.classes)
    info = centers.info

    def load(step):
        step = step * num_shards + offset
        seed = tf.random.experimental.stateless_fold_in(base_seed, step)
        seeds = tf.random.experimental.stateless_split(seed, num=3)
        group = tf.random.stateless_uniform([], seeds[0], 0, num_groups, dtype=tf.int32)
        start, count = table["starts"][group], table["counts"][group]
        pick = start + tf.random.stateless_uniform([], seeds[1], 0, count, dtype=tf.int32)
        image, label = load_pair(
            table["images"][pick], table["labels"][pick], info, check_labels=check_labels
        )
        image, label = augment_example(
            image, label, seeds[2], crop_size=options.crop, config=config,
            ignore_index=info.ignore_index, num_classes=info.num_classes,
            short_side=options.short_side, center=table["centers"][pick],
        )  # fmt: skip
        return options.preprocessor(image), label

    return tf.data.Dataset.counter().map(
        load, num_parallel_calls=num_parallel_calls, deterministic=options.deterministic
    )


def _mix(datasets, weights, seed, *, deterministic) -> tf.data.Dataset:
    """Interleaves endless datasets, drawing the source of each element with `weights`."""
    logits = tf.math.log(tf.constant([[float(w) for w in weights]], tf.float32))
    base_seed = tf.constant([_SEED_SALT + 104729, seed], tf.int64)

    def choose(step):
        seed = tf.random.experimental.stateless_fold_in(base_seed, step)
        return tf.random.stateless_categorical(logits, 1, seed, dtype=tf.int64)[0, 0]

    choices = tf.data.Dataset.counter().map(choose)
    return tf.data.Dataset.choose_from_datasets(
        datasets, choices, stop_on_empty_dataset=True
    )


def _finish(dataset, options, *, shard, prefetch) -> tf.data.Dataset:
    dataset = dataset.batch(options.batch_size, drop_remainder=options.drop_remainder)
    if prefetch:
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
    tf_options = tf.data.Options()
    tf_options.deterministic = options.deterministic
    if shard is not None:
        tf_options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.OFF
        )
    return dataset.with_options(tf_options)


def load_dataset(
    name: str,
    root: str | os.PathLike,
    split: str = "train",
    *,
    training: bool,
    info: DatasetInfo | None = None,
    crop_size: Sequence[int] = (1024, 1024),
    batch_size: int | None = None,
    augmentation: AugmentationConfig | None = None,
    seed: int | None = None,
    deterministic: bool | None = None,
    num_parallel_calls: int | None = tf.data.AUTOTUNE,
    shard: tuple[int, int] | None = None,
    repeat: bool | int | None = None,
    shuffle: bool | None = None,
    drop_remainder: bool | None = None,
    class_uniform: bool | float = False,
    check_labels: bool = True,
    preprocessor: ImageConverter | None = None,
    images_dir: str = "images",
    masks_dir: str = "masks",
    mask_suffix: str = "",
    list_file: str | os.PathLike | None = None,
    short_side: int | None = None,
    crop_centers: CropCenters | None = None,
    crop_centers_fraction: float = 0.0,
    weights: Sequence[float] | Mapping[str, float] | None = None,
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
        crop_size: (height, width), defaults to `(1024, 1024)`.
        batch_size: int or `None` (8 when training, else 1).
        augmentation: `AugmentationConfig` or `None` for the defaults.
        seed: int or `None`.
        deterministic: bool or `None` (`seed is not None`).
        num_parallel_calls: int or `None`, defaults to `tf.data.AUTOTUNE`.
        shard: `(num_shards, index)` or `None`.
        repeat: bool, int or `None` (`training`).
        shuffle: bool or `None` (`training`).
        drop_remainder: bool or `None` (`training`).
        class_uniform: bool or float, defaults to `False`.
        check_labels: bool, defaults to `True`.
        preprocessor: `ImageConverter` or `None` (the default converter).
        images_dir: str, defaults to `"images"` (`"folder"` only).
        masks_dir: str, defaults to `"masks"` (`"folder"` only).
        mask_suffix: str, defaults to `""` (`"folder"` only).
        list_file: str, path or `None` (`"folder"` only).
        short_side: int or `None`. See `make_dataset`.
        crop_centers: `CropCenters` or `None`. See `make_dataset`.
        crop_centers_fraction: float, defaults to 0. See `make_dataset`.
        weights: per-member sampling weights of a merged (`a+b`) dataset, or
            `None` (file counts). See `load_merged_dataset`.

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
    key = str(name).lower().replace("-", "_")
    if "+" in key:
        from keras_sfnet.data.merged import load_merged_dataset

        if crop_centers is not None and crop_centers_fraction > 0:
            raise ValueError("`crop_centers` (the coarse boost) is for Cityscapes, not merged datasets.")
        return load_merged_dataset(
            key, root, split, training=training, weights=weights, crop_size=crop_size,
            batch_size=batch_size,
            augmentation=augmentation, seed=seed, deterministic=deterministic,
            num_parallel_calls=num_parallel_calls, shard=shard, class_uniform=class_uniform,
            check_labels=check_labels, short_side=short_side,
        )  # fmt: skip
    if weights is not None:
        raise ValueError(f"`weights` is for merged datasets ('a+b'). Received: name={name!r}")
    if key == "folder":
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
    return make_dataset(
        files,
        info,
        training=training,
        crop_size=crop_size,
        batch_size=batch_size,
        augmentation=augmentation,
        seed=seed,
        deterministic=deterministic,
        num_parallel_calls=num_parallel_calls,
        shard=shard,
        repeat=repeat,
        shuffle=shuffle,
        drop_remainder=drop_remainder,
        class_uniform=class_uniform,
        check_labels=check_labels,
        short_side=short_side,
        crop_centers=crop_centers,
        crop_centers_fraction=crop_centers_fraction,
        preprocessor=preprocessor,
    )
