"""The pieces of the segmentation pipelines: one `PipelineConfig`, example streams, mixing.

`PipelineConfig` holds every option of a training/evaluation pipeline (crop,
batch, seed, repeat, class-uniform share, preprocessing, ...), so that
`make_dataset`, `load_dataset`, the merged-dataset pipelines and the trainer
share one definition. `example_stream` turns a file list into an unbatched
stream of augmented (or whole) examples, `centered_stream` draws crops centred
on given pixels, `mix_datasets` interleaves streams with weights and
`finish_dataset` batches. All randomness is stateless, derived from the seed.

Example:
>>> config = PipelineConfig(crop_size=(128, 128), batch_size=2, seed=0)
>>> config.resolve(training=True).epochs
-1
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from keras_sfnet.data.augment import augment_example
from keras_sfnet.data.augmentation_config import AugmentationConfig
from keras_sfnet.data.crop_centers import CropCenters
from keras_sfnet.data.reading import as_pairs, load_pair, resolve_info
from keras_sfnet.layers.image_converter import ImageConverter
from keras_sfnet.value_checks import parse_pair

__all__ = [
    "PipelineConfig",
    "centered_stream",
    "check_shard",
    "example_stream",
    "finish_dataset",
    "mix_datasets",
    "resize_pair_to_short_side",
    "resize_image_to_short_side",
]

logger = logging.getLogger(__name__)

_SEED_SALT = 0x5F_AE_7  # first word of every per-example seed


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """Every option of a segmentation `tf.data` pipeline, in one place.

    `make_dataset`, `load_dataset`, `make_merged_dataset` and the trainer take
    these as keyword arguments or as one `config=PipelineConfig(...)`. `None`
    fields take their default from `training` when the pipeline is built
    (`resolve`).

    Args:
        crop_size: (height, width), defaults to `(1024, 1024)`. Training only.
        batch_size: int or `None`: 8 when training, 1 otherwise.
        augmentation: `AugmentationConfig` or `None` for the defaults.
        seed: int or `None`. Seed of the shuffle and augmentation; `None` picks
            a fresh random one.
        deterministic: bool or `None`. Keep the element order fixed (a
            `tf.data.Options` setting); `None` means `seed is not None`.
        num_parallel_calls: int or `None`, defaults to `tf.data.AUTOTUNE`.
        shard: `(num_shards, index)` or `None`. Keep files `index, index +
            num_shards, ...` and turn tf.distribute's auto-sharding off.
        repeat: bool, int or `None`. `True` repeats forever, an int gives that
            many epochs; `None` means `training`.
        shuffle: bool or `None`. Shuffle the files each epoch; `None` means
            `training`.
        drop_remainder: bool or `None`. Drop the last partial batch; `None`
            means `training`.
        class_uniform: bool or float, defaults to `False`. Probability of a
            class-uniform crop (`True` = 0.5, the authors' default).
        check_labels: bool, defaults to `True`. Raise on label values that are
            neither a class nor the ignore value.
        prefetch: bool, defaults to `True`. Prefetch batches (`AUTOTUNE`).
        short_side: int or `None`. Resize each image so that its shorter side
            has this length (the authors' `pre_size`).
        crop_centers: `CropCenters` or `None`. Extra training crops centred on
            given pixels of other files (the coarse boost).
        crop_centers_fraction: float, defaults to 0. Share of the training
            examples drawn from `crop_centers`.
        preprocessor: `keras_sfnet.layers.ImageConverter` or `None` (the default
            converter: `(x / 255 - ImageNet mean) / ImageNet std`).

    Example:
    >>> config = PipelineConfig(crop_size=(512, 512), batch_size=8, seed=0)
    >>> config.replace(batch_size=4).batch_size
    4
    """

    crop_size: Sequence[int] | None = (1024, 1024)
    batch_size: int | None = None
    augmentation: AugmentationConfig | None = None
    seed: int | None = None
    deterministic: bool | None = None
    num_parallel_calls: int | None = tf.data.AUTOTUNE
    shard: tuple[int, int] | None = None
    repeat: bool | int | None = None
    shuffle: bool | None = None
    drop_remainder: bool | None = None
    class_uniform: bool | float = False
    check_labels: bool = True
    prefetch: bool = True
    short_side: int | None = None
    crop_centers: CropCenters | None = None
    crop_centers_fraction: float = 0.0
    preprocessor: ImageConverter | None = None

    @classmethod
    def from_options(cls, config: PipelineConfig | None = None, **options: Any) -> PipelineConfig:
        """`config` (or the defaults) with the given keyword `options` replaced.

        Example:
        >>> PipelineConfig.from_options(None, batch_size=2).batch_size
        2
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise TypeError(
                f"Unknown pipeline option(s) {unknown}; the options are {sorted(names)}."
            )
        return dataclasses.replace(config or cls(), **options)

    def replace(self, **options: Any) -> PipelineConfig:
        """A copy with `options` replaced (`dataclasses.replace`, checked names)."""
        return self.from_options(self, **options)

    @property
    def epochs(self) -> int:
        """Epochs of a resolved config: `-1` repeats forever."""
        if self.repeat is None or isinstance(self.repeat, bool):
            return -1 if self.repeat else 1
        return int(self.repeat)

    def resolve(self, *, training: bool) -> PipelineConfig:
        """A copy with every default filled in for `training` and every value checked.

        The result has an int `batch_size` and `seed`, bool `deterministic`,
        `shuffle` and `drop_remainder`, an int `repeat` (`epochs`; -1 = forever),
        a float `class_uniform`, a `(height, width)` `crop_size` when training
        (else `None`) and a `preprocessor`.
        """
        repeat = training if self.repeat is None else self.repeat
        shuffle = training if self.shuffle is None else bool(self.shuffle)
        drop_remainder = training if self.drop_remainder is None else bool(self.drop_remainder)
        batch_size = (8 if training else 1) if self.batch_size is None else int(self.batch_size)
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
        class_uniform = self.class_uniform
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
            crop_size = self.crop_size
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
        short_side = self.short_side
        if short_side is not None and int(short_side) < 1:
            raise ValueError(f"`short_side` must be a positive int. Received: short_side={short_side!r}")
        if not 0.0 <= self.crop_centers_fraction <= 1.0:
            raise ValueError(
                "`crop_centers_fraction` must be in [0, 1]. "
                f"Received: crop_centers_fraction={self.crop_centers_fraction!r}"
            )
        seed, deterministic = self.seed, self.deterministic
        if seed is None:
            seed = random.SystemRandom().getrandbits(31)
            deterministic = False if deterministic is None else deterministic
        else:
            seed = int(seed)
            deterministic = True if deterministic is None else deterministic
        return dataclasses.replace(
            self, crop_size=crop, batch_size=batch_size, seed=seed,
            deterministic=bool(deterministic), repeat=epochs, shuffle=shuffle,
            drop_remainder=drop_remainder, class_uniform=class_uniform_prob,
            short_side=None if short_side is None else int(short_side),
            shard=check_shard(self.shard),
            augmentation=self.augmentation or AugmentationConfig(),
            preprocessor=ImageConverter() if self.preprocessor is None else self.preprocessor,
        )  # fmt: skip


def check_shard(shard: tuple[int, int] | None) -> tuple[int, int] | None:
    """`(num_shards, index)` as ints, checked, or `None`."""
    if shard is None:
        return None
    num_shards, index = parse_pair(shard, "shard", int, "(num_shards, index) or None")
    if num_shards < 1 or not 0 <= index < num_shards:
        raise ValueError(
            f"`shard` must be (num_shards, index) with 0 <= index < num_shards. Received: shard={shard!r}"
        )
    return num_shards, index


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


def resize_pair_to_short_side(image, label, short_side: int):
    """An image (bilinear) and its label (nearest) resized to `short_side`."""
    image = resize_image_to_short_side(image, short_side)
    label = tf.image.resize(label[..., None], tf.shape(image)[:2], method="nearest")[..., 0]
    return image, label


def example_stream(
    files: Sequence[tuple[str, str]], info, options: PipelineConfig, *, training: bool, salt: int = 0
) -> tf.data.Dataset:
    """The unbatched `(image, label)` stream of one file list (`options` resolved)."""
    config, shard = options.augmentation, options.shard
    check_labels, num_parallel_calls = options.check_labels, options.num_parallel_calls
    images, labels = as_pairs(files)
    info = resolve_info(files, info)
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
        "%s pipeline for '%s': %d files%s.", "Training" if training else "Evaluation",
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
        if not training:
            if options.short_side is not None:
                image, label = resize_pair_to_short_side(image, label, options.short_side)
            return options.preprocessor(image), label
        example_seed = tf.random.experimental.stateless_fold_in(
            tf.random.experimental.stateless_fold_in(base_seed, epoch), tf.cast(index, tf.int64)
        )
        image, label = augment_example(
            image, label, example_seed, crop_size=options.crop_size, config=config,
            ignore_index=info.ignore_index, num_classes=info.num_classes,
            class_uniform_prob=options.class_uniform, short_side=options.short_side,
        )  # fmt: skip
        return options.preprocessor(image), label

    return dataset.map(
        load, num_parallel_calls=num_parallel_calls, deterministic=options.deterministic
    )


def centered_stream(centers: CropCenters, options: PipelineConfig) -> tf.data.Dataset:
    """An endless stream of crops centred on `centers` (class, then centre, uniformly)."""
    config, shard, check_labels = options.augmentation, options.shard, options.check_labels
    table = centers.as_tensors()
    if shard is not None:
        num_shards, index = shard
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
            image, label, seeds[2], crop_size=options.crop_size, config=config,
            ignore_index=info.ignore_index, num_classes=info.num_classes,
            short_side=options.short_side, center=table["centers"][pick],
        )  # fmt: skip
        return options.preprocessor(image), label

    return tf.data.Dataset.counter().map(
        load, num_parallel_calls=options.num_parallel_calls, deterministic=options.deterministic
    )


def mix_datasets(datasets, weights, seed: int, *, deterministic: bool) -> tf.data.Dataset:
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


def finish_dataset(dataset: tf.data.Dataset, options: PipelineConfig) -> tf.data.Dataset:
    """Batches, prefetches and sets the `tf.data` options of a resolved pipeline."""
    dataset = dataset.batch(options.batch_size, drop_remainder=options.drop_remainder)
    if options.prefetch:
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
    tf_options = tf.data.Options()
    tf_options.deterministic = options.deterministic
    if options.shard is not None:
        tf_options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.OFF
        )
    return dataset.with_options(tf_options)
