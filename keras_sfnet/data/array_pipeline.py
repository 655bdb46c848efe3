"""A TensorFlow-free input pipeline: a `keras.utils.PyDataset` of NumPy batches.

`make_array_dataset` is the counterpart of `keras_sfnet.data.make_dataset` for
machines without TensorFlow (JAX or PyTorch backends): the same file listings
(`keras_sfnet.data.local_listing.list_files_anywhere`), the same label mapping,
checks and ignore index (`DatasetInfo`), the same normalisation
(`keras_sfnet.layers.ImageConverter`) and the same augmentation steps and
settings (`AugmentationConfig`: scale, pad, crop or class-uniform crop, colour
jitter, blur, flip), decoded with OpenCV (images) and PIL (label PNGs).

Determinism: every random draw comes from NumPy's Philox generator keyed by
`(seed, epoch, file index)`, so a seed gives the same stream whatever the
number of workers. Without augmentation (evaluation) the batches equal the
tf.data pipeline's exactly on the TensorFlow backend (PNG files; JPEG decoders
may differ by one level; on JAX, XLA turns the converter's division by the std
into a reciprocal multiply: 1 ulp, <= 4e-7).
With augmentation the draws differ from tf.data's stateless TensorFlow
generator, and the resize filters are OpenCV's (area for shrinking, bilinear for
enlarging, versus TensorFlow's antialiased bilinear): same shapes, dtypes, label
set and distribution of crops, not the same pixels.

Example:
>>> from keras_sfnet.data import get_dataset_info, synthetic
>>> from keras_sfnet.data.local_listing import list_files_anywhere
>>> import tempfile
>>> root = synthetic.generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=4, num_val=2)
>>> files = list_files_anywhere("cityscapes", root, "train")
>>> data = make_array_dataset(files, get_dataset_info("cityscapes"), training=True,
...                           crop_size=(64, 64), batch_size=2, seed=0)
>>> images, labels = data[0]
>>> images.shape, labels.shape, labels.dtype
((2, 64, 64, 3), (2, 64, 64), dtype('int32'))
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import random
from collections.abc import Sequence

import cv2
import keras
import numpy as np

from keras_sfnet.data.augmentation_config import AugmentationConfig, augmentation_arguments
from keras_sfnet.data.dataset_info import DatasetInfo
from keras_sfnet.layers.image_converter import IMAGENET_MEAN, ImageConverter

__all__ = ["ArrayDataset", "augment_arrays", "make_array_dataset", "read_example_arrays"]

logger = logging.getLogger(__name__)

_SEED_SALT = 0x5F_AE_7
_LUT_SIZE = 65536


def _label_values(path: str, palette_indices: bool) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as image:
            mode = image.mode
            if mode == "P" and not palette_indices:
                raise ValueError(
                    f"Label file {path} is a palette PNG; labels must be single-channel index "
                    "PNGs (convert it, e.g. with PIL: np.array(Image.open(path)) gives the indices)."
                )
            values = np.asarray(image)
    except OSError as error:
        raise ValueError(
            f"Could not read label file {path}: it is empty, corrupt or not a PNG ({error})."
        ) from None
    if values.ndim == 3:
        colors = values[..., :3] if values.shape[-1] >= 3 else values[..., :1]
        if not np.all(colors == colors[..., :1]):
            raise ValueError(
                f"Label file {path} is a colour mask (RGB/RGBA with channels that differ); "
                "labels must be single-channel images of class values."
            )
        values = values[..., 0]
    return values.astype(np.int32)


def _resolve_info(files: Sequence[tuple[str, str]], info: DatasetInfo) -> DatasetInfo:
    """`info` without its mapping when every label is a `*_labelTrainIds.png` (as tf.data)."""
    flags = [os.fspath(label).endswith("_labelTrainIds.png") for _, label in files]
    if info.label_mapping is not None and flags and all(flags):
        return info.without_mapping()
    if info.label_mapping is not None and any(flags):
        raise ValueError(
            "`files` mixes *_labelTrainIds.png labels with labels that need `label_mapping`; "
            "use one kind only."
        )
    return info


def read_example_arrays(
    image_path: str, label_path: str, info: DatasetInfo, *, check_labels: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Reads, checks and maps one pair: uint8 RGB `(H, W, 3)`, int32 classes `(H, W)`.

    The counterpart of `keras_sfnet.data.load_pair` (OpenCV and PIL decoders).

    Example:
    >>> image, label = read_example_arrays("a.png", "a_mask.png", info)  # doctest: +SKIP
    """
    image = cv2.imread(os.fspath(image_path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(
            f"Could not read image file {image_path}: it is missing, empty, corrupt or not an image."
        )
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    label = _label_values(os.fspath(label_path), info.palette_indices)
    if image.shape[:2] != label.shape:
        raise ValueError(
            f"Image {image_path} has size (HxW) {image.shape[0]}x{image.shape[1]} but its label "
            f"{label_path} has size {label.shape[0]}x{label.shape[1]}: sizes must match."
        )
    table = info.lookup_table(_LUT_SIZE)
    if table is not None:
        label = np.asarray(table, np.int32)[np.clip(label, 0, _LUT_SIZE - 1)]
    if check_labels:
        bad = ((label < 0) | (label >= info.num_classes)) & (label != info.ignore_index)
        if bad.any():
            raise ValueError(
                f"Label file {label_path} has values that are not labels of '{info.name}' "
                f"(neither a class index 0..{info.num_classes - 1}, nor the ignore value "
                f"{info.ignore_index}). Values: {np.unique(label[bad])[:20].tolist()}"
            )
    return image, label


def _nearest(label: np.ndarray, height: int, width: int) -> np.ndarray:
    """TensorFlow's half-pixel nearest-neighbour resize."""
    rows = np.minimum(((np.arange(height) + 0.5) * label.shape[0] / height).astype(np.int64),
                      label.shape[0] - 1)  # fmt: skip
    cols = np.minimum(((np.arange(width) + 0.5) * label.shape[1] / width).astype(np.int64),
                      label.shape[1] - 1)  # fmt: skip
    return label[rows[:, None], cols[None, :]]


def _resize_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    shrink = height < image.shape[0] or width < image.shape[1]
    method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=method)


def _gray(image: np.ndarray) -> np.ndarray:
    return (image * np.float32([0.299, 0.587, 0.114])).sum(-1, keepdims=True)


def _color_jitter(image, rng, config: AugmentationConfig, valid) -> np.ndarray:
    """`keras_sfnet.data.color_jitter` on a float32 [0, 1] array (same order and ranges)."""
    draws = rng.random(4, dtype=np.float32)

    def factor(draw, amount):
        low = max(0.0, 1.0 - amount)
        return np.float32(low + draw * (1.0 + amount - low))

    if config.brightness > 0:
        image = np.clip(image * factor(draws[0], config.brightness), 0.0, 1.0)
    if config.contrast > 0:
        gray = _gray(image)
        weights = valid[..., None].astype(np.float32)
        mean = (gray * weights).sum() / max(weights.sum(), 1.0)
        image = np.clip((image - mean) * factor(draws[1], config.contrast) + mean, 0.0, 1.0)
    if config.saturation > 0:
        gray = _gray(image)
        image = np.clip((image - gray) * factor(draws[2], config.saturation) + gray, 0.0, 1.0)
    if config.hue > 0:
        delta = (2.0 * draws[3] - 1.0) * config.hue
        hsv = cv2.cvtColor(image.astype(np.float32), cv2.COLOR_RGB2HSV)  # hue in degrees
        hsv[..., 0] = np.mod(hsv[..., 0] + 360.0 * delta, 360.0)
        image = np.clip(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), 0.0, 1.0)
    return image.astype(np.float32)


def _blur(image: np.ndarray, sigma: float, max_sigma: float) -> np.ndarray:
    """`keras_sfnet.data.gaussian_blur`: separable, radius ceil(3 max_sigma), reflected borders."""
    radius = max(1, int(math.ceil(3.0 * max_sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-0.5 * np.square(x / max(sigma, 1e-3)))
    kernel = (kernel / kernel.sum()).astype(np.float32)
    return cv2.sepFilter2D(image, -1, kernel, kernel, borderType=cv2.BORDER_REFLECT)


def _class_center(label, rng, num_classes, ignore_index):
    valid = (label >= 0) & (label < num_classes) & (label != ignore_index)
    present = np.unique(label[valid])
    if present.size == 0:
        return None
    cls = present[rng.integers(present.size)]
    ys, xs = np.nonzero(label == cls)
    pick = rng.integers(ys.size)
    return int(ys[pick]), int(xs[pick])


def augment_arrays(
    image: np.ndarray, label: np.ndarray, rng: np.random.Generator, *,
    crop_size: Sequence[int], config: AugmentationConfig | None = None, ignore_index: int = 255,
    num_classes: int | None = None, class_uniform_prob: float = 0.0, short_side: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """`keras_sfnet.data.augment_example` in NumPy/OpenCV (same steps, own random draws).

    1. rescale by `s ~ U(scale_range)` (times `short_side / min(H, W)`); 2. pad
    evenly to the crop (image with the fill colour, mask with `ignore_index`);
    3. random or class-uniform crop; 4. colour jitter and blur inside the image
    (padding keeps the fill); 5. horizontal flip.

    Returns:
        `(image, label)`: float32 `(crop_h, crop_w, 3)` RGB in [0, 255], int32 `(crop_h, crop_w)`.

    Example:
    >>> image, label = np.zeros((16, 32, 3), np.uint8), np.zeros((16, 32), np.int32)
    >>> out, out_label = augment_arrays(image, label, np.random.default_rng(0), crop_size=(8, 8))
    >>> out.shape, out_label.shape
    ((8, 8, 3), (8, 8))
    """
    config, crop_h, crop_w = augmentation_arguments(
        config, crop_size, class_uniform_prob, num_classes
    )
    draws = rng.random(6)
    image = image.astype(np.float32)
    label = label.astype(np.int32)
    height, width = label.shape
    lo, hi = config.scale_range
    scale = lo + draws[0] * (hi - lo)
    if short_side is not None:
        scale *= float(short_side) / min(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    if (lo, hi) != (1.0, 1.0) or short_side is not None:
        image = _resize_image(image, new_h, new_w)
        label = _nearest(label, new_h, new_w)
    fill = np.float32(IMAGENET_MEAN) * 255.0 if config.image_fill == "mean" else np.zeros(3, np.float32)
    pad_h, pad_w = max(crop_h - new_h, 0), max(crop_w - new_w, 0)
    top, left = pad_h // 2, pad_w // 2
    padded = np.empty((new_h + pad_h, new_w + pad_w, 3), np.float32)
    padded[:] = fill
    padded[top : top + new_h, left : left + new_w] = image
    padded_label = np.full((new_h + pad_h, new_w + pad_w), ignore_index, np.int32)
    padded_label[top : top + new_h, left : left + new_w] = label
    max_y, max_x = padded.shape[0] - crop_h, padded.shape[1] - crop_w
    center = None
    if class_uniform_prob > 0 and draws[1] < class_uniform_prob:
        center = _class_center(padded_label, rng, num_classes, ignore_index)
    if center is not None:
        oy = int(np.clip(center[0] - crop_h // 2, 0, max_y))
        ox = int(np.clip(center[1] - crop_w // 2, 0, max_x))
    else:
        oy, ox = int(rng.integers(max_y + 1)), int(rng.integers(max_x + 1))
    image = padded[oy : oy + crop_h, ox : ox + crop_w]
    label = padded_label[oy : oy + crop_h, ox : ox + crop_w]
    rows, cols = np.arange(crop_h) + oy, np.arange(crop_w) + ox
    valid = ((rows >= top) & (rows < top + new_h))[:, None] & (
        (cols >= left) & (cols < left + new_w)
    )[None, :]
    photometric = config.has_color_jitter or config.blur_prob > 0
    if config.has_color_jitter:
        image = 255.0 * _color_jitter(image / 255.0, rng, config, valid)
    if config.blur_prob > 0 and draws[2] < config.blur_prob:
        s_lo, s_hi = config.blur_sigma_range
        image = _blur(np.ascontiguousarray(image), s_lo + draws[3] * (s_hi - s_lo), s_hi)
    if photometric:
        image = np.where(valid[..., None], np.clip(image, 0.0, 255.0), fill)
    if config.flip_prob > 0 and draws[4] < config.flip_prob:
        image, label = image[:, ::-1], label[:, ::-1]
    return np.ascontiguousarray(image, np.float32), np.ascontiguousarray(label, np.int32)


@dataclasses.dataclass(frozen=True)
class _Stream:
    """Which file each position of the (endless or one-epoch) example stream reads."""

    num_files: int
    seed: int
    shuffle: bool

    def file_at(self, position: int) -> tuple[int, int]:
        epoch, slot = divmod(position, self.num_files)
        if not self.shuffle:
            return epoch, slot
        order = np.random.default_rng([_SEED_SALT, self.seed, epoch]).permutation(self.num_files)
        return epoch, int(order[slot])


class ArrayDataset(keras.utils.PyDataset):
    """Batches `(images, labels)` of NumPy arrays for `model.fit` / `evaluate`.

    Built by `make_array_dataset` (see there). Training streams are endless
    (`num_batches` is `None`: give `fit` its `steps_per_epoch`); batch `i` is a
    function of `(seed, start_batch + i)` only.

    Example:
    >>> data = make_array_dataset(files, info, training=False)  # doctest: +SKIP
    >>> images, labels = data[0]  # doctest: +SKIP
    """

    def __init__(self, files, info, *, training, crop_size, batch_size, augmentation, seed,
                 repeat, shuffle, drop_remainder, class_uniform_prob, check_labels, short_side,
                 preprocessor, start_batch=0, map_function=None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.files = [(os.fspath(i), os.fspath(lbl)) for i, lbl in files]
        self.info = _resolve_info(self.files, info)
        self.training = training
        self.crop_size = crop_size
        self.batch_size = batch_size
        self.augmentation = augmentation
        self.seed = seed
        self.repeat = repeat
        self.drop_remainder = drop_remainder
        self.class_uniform_prob = class_uniform_prob
        self.check_labels = check_labels
        self.short_side = short_side
        self.preprocessor = preprocessor
        self.start_batch = int(start_batch)
        self.map_function = map_function
        self._stream = _Stream(len(self.files), seed, shuffle)

    @property
    def num_batches(self) -> int | None:
        if self.repeat:
            return None
        n = len(self.files)
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def __len__(self) -> int:
        batches = self.num_batches
        if batches is None:
            raise TypeError("An endless ArrayDataset (repeat=True) has no length.")
        return batches

    def example(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """Example `position` of the stream: uint8/float RGB image and int32 label."""
        epoch, index = self._stream.file_at(position)
        image, label = read_example_arrays(*self.files[index], self.info,
                                           check_labels=self.check_labels)  # fmt: skip
        if not self.training:
            if self.short_side is not None:
                scale = self.short_side / min(label.shape)
                size = (round(label.shape[0] * scale), round(label.shape[1] * scale))
                image = _resize_image(image, *size)
                label = _nearest(label, *size)
            return image, label
        rng = np.random.default_rng([_SEED_SALT, self.seed, epoch, index])
        return augment_arrays(
            image, label, rng, crop_size=self.crop_size, config=self.augmentation,
            ignore_index=self.info.ignore_index, num_classes=self.info.num_classes,
            class_uniform_prob=self.class_uniform_prob, short_side=self.short_side,
        )  # fmt: skip

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        first = (self.start_batch + int(index)) * self.batch_size
        last = first + self.batch_size
        if not self.repeat:
            last = min(last, len(self.files))
            if first >= last:
                raise IndexError(f"Batch {index} is past the end ({len(self)} batches).")
        examples = [self.example(p) for p in range(first, last)]
        images = np.stack([e[0] for e in examples])
        labels = np.stack([e[1] for e in examples]).astype(np.int32)
        images = keras.ops.convert_to_numpy(self.preprocessor(images))
        if self.map_function is not None:
            return self.map_function(images, labels)
        return images, labels


def make_array_dataset(
    files: Sequence[tuple[str, str]],
    info: DatasetInfo,
    *,
    training: bool,
    crop_size: Sequence[int] = (1024, 1024),
    batch_size: int | None = None,
    augmentation: AugmentationConfig | None = None,
    seed: int | None = None,
    repeat: bool | None = None,
    shuffle: bool | None = None,
    drop_remainder: bool | None = None,
    class_uniform: bool | float = False,
    check_labels: bool = True,
    short_side: int | None = None,
    preprocessor: ImageConverter | None = None,
    start_batch: int = 0,
    map_function=None,
    workers: int = 1,
    use_multiprocessing: bool = False,
    max_queue_size: int = 10,
) -> ArrayDataset:
    """The `make_dataset` pipeline as a `keras.utils.PyDataset` (no TensorFlow).

    Args:
        files: sequence of `(image_path, label_path)` (`list_files_anywhere`).
        info: `DatasetInfo`.
        training: bool. Augmented crops, shuffled, endless (`True`), or whole
            images in order, one pass (`False`).
        crop_size: (height, width), defaults to `(1024, 1024)`. Training only.
        batch_size: int or `None` (8 when training, else 1).
        augmentation: `AugmentationConfig` or `None` for the defaults.
        seed: int or `None` (a fresh random seed).
        repeat: bool or `None` (`training`). Endless stream of epochs.
        shuffle: bool or `None` (`training`). New file order every epoch.
        drop_remainder: bool or `None` (`training`).
        class_uniform: bool or float, defaults to `False` (`True` = 0.5).
        check_labels: bool, defaults to `True`.
        short_side: int or `None`. As `make_dataset`.
        preprocessor: `ImageConverter` or `None` (the default converter).
        start_batch: int, defaults to 0. Skip this many batches (exact resume).
        map_function: callable `(images, labels) -> batch` or `None`, applied to
            each batch (e.g. `keras_sfnet.losses.replicate_labels(...)`).
        workers: int, defaults to 1. `PyDataset` worker threads (or processes).
        use_multiprocessing: bool, defaults to `False`.
        max_queue_size: int, defaults to 10.

    Returns:
        An `ArrayDataset` of `(images, labels)`: float32 `(B, H, W, 3)` and int32 `(B, H, W)`.

    Example:
    >>> data = make_array_dataset(files, info, training=True, crop_size=(64, 64),
    ...                           batch_size=2, seed=0)  # doctest: +SKIP
    """
    files = list(files)
    if not files:
        raise ValueError("`files` must hold at least one (image_path, label_path) pair. Received: []")
    batch_size = (8 if training else 1) if batch_size is None else int(batch_size)
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive int. Received: batch_size={batch_size}")
    probability = (0.5 if class_uniform else 0.0) if isinstance(class_uniform, bool) else float(class_uniform)
    if not 0.0 <= probability <= 1.0:
        raise ValueError(
            f"`class_uniform` must be a bool or in [0, 1]. Received: class_uniform={class_uniform!r}"
        )
    crop = tuple(int(v) for v in crop_size)
    if len(crop) != 2 or min(crop) < 1:
        raise ValueError(f"`crop_size` must be (height, width). Received: crop_size={crop_size!r}")
    seed = random.SystemRandom().getrandbits(31) if seed is None else int(seed)
    logger.info("%s array pipeline for '%s': %d files.",
                "Training" if training else "Evaluation", info.name, len(files))  # fmt: skip
    return ArrayDataset(
        files, info, training=training, crop_size=crop, batch_size=batch_size,
        augmentation=augmentation or AugmentationConfig(), seed=seed,
        repeat=training if repeat is None else bool(repeat),
        shuffle=training if shuffle is None else bool(shuffle),
        drop_remainder=training if drop_remainder is None else bool(drop_remainder),
        class_uniform_prob=probability, check_labels=check_labels, short_side=short_side,
        preprocessor=ImageConverter() if preprocessor is None else preprocessor,
        start_batch=start_batch, map_function=map_function, workers=workers, use_multiprocessing=use_multiprocessing,
        max_queue_size=max_queue_size,
    )  # fmt: skip
