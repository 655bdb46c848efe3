"""Reading image/label pairs: decoding, checks and the label-value mapping.

Files are read with `tf.io.read_file` and decoded with OpenCV inside
`tf.numpy_function`, so that every decoding or size problem raises an error that
names the file (TensorFlow's own decoders do not). The label mapping
(`DatasetInfo.label_mapping`) is an in-graph table lookup, followed by an
in-graph check that every value is a class index or the ignore value.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np
import tensorflow as tf

from keras_sfnet.data.dataset_info import DatasetInfo

__all__ = [
    "decode_pair",
    "examples_dataset",
    "load_pair",
    "map_label",
    "read_example",
    "resolve_info",
]

_LUT_SIZE = 65536


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def decode_pair(
    image_bytes: bytes, label_bytes: bytes, image_path: str = "", label_path: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """Decodes an encoded image and its label map, checking both.

    Args:
        image_bytes: bytes of an image file (PNG, JPEG, BMP, WebP, TIFF...).
        label_bytes: bytes of a single-channel 8- or 16-bit label image.
        image_path: str. Image file name, for error messages.
        label_path: str. Label file name, for error messages.

    Returns:
        `(image, label)`: uint8 RGB `(H, W, 3)` and int32 `(H, W)` raw label values.

    Raises:
        ValueError: a file cannot be decoded, the label has several different
            channels or a float type, or the two sizes differ. The message names
            the file(s).

    Example:
    >>> import cv2, numpy as np
    >>> png = cv2.imencode(".png", np.zeros((4, 6), np.uint8))[1].tobytes()
    >>> image, label = decode_pair(png, png)
    >>> image.shape, label.shape
    ((4, 6, 3), (4, 6))
    """
    image_path, label_path = _text(image_path), _text(label_path)
    flags = cv2.IMREAD_IGNORE_ORIENTATION
    buffer = np.frombuffer(image_bytes, np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_COLOR | flags) if buffer.size else None
    if image is None:
        raise ValueError(
            f"Could not read image file '{image_path}': the file is empty, corrupt or not an "
            f"image ({buffer.size} bytes)."
        )
    buffer = np.frombuffer(label_bytes, np.uint8)
    label = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED | flags) if buffer.size else None
    if label is None:
        raise ValueError(
            f"Could not read label file '{label_path}': the file is empty, corrupt or not an "
            f"image ({buffer.size} bytes)."
        )
    if label.ndim == 3:
        if all(np.array_equal(label[..., 0], label[..., c]) for c in range(1, label.shape[2])):
            label = label[..., 0]
        else:
            raise ValueError(
                f"Label file '{label_path}' has {label.shape[2]} different channels; labels "
                "must be single-channel images of class values (colour or palette PNG masks "
                "must be converted to index masks first)."
            )
    if label.dtype not in (np.uint8, np.uint16):
        raise ValueError(
            f"Label file '{label_path}' has pixel type {label.dtype}; expected 8- or 16-bit "
            "integer values."
        )
    if image.shape[:2] != label.shape[:2]:
        raise ValueError(
            f"Image '{image_path}' is {image.shape[0]}x{image.shape[1]} (HxW) but its label "
            f"'{label_path}' is {label.shape[0]}x{label.shape[1]}: sizes must match."
        )
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image, label.astype(np.int32)


def read_example(
    image_path: str | os.PathLike,
    label_path: str | os.PathLike,
    info: DatasetInfo | None = None,
    *,
    check_labels: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Reads one image/label pair in Python (NumPy), with the same checks as the pipeline.

    Args:
        image_path: str or path. Image file.
        label_path: str or path. Label file.
        info: `DatasetInfo` or `None`. When given, the label is mapped with
            `info.label_mapping` and (if `check_labels`) its values are checked.
        check_labels: bool, defaults to `True`.

    Returns:
        `(image, label)`: uint8 RGB `(H, W, 3)` and int32 `(H, W)`.

    Example:
    >>> image, label = read_example("a.png", "a_mask.png")  # doctest: +SKIP
    """
    image_path, label_path = os.fspath(image_path), os.fspath(label_path)
    with tf.io.gfile.GFile(image_path, "rb") as f:
        image_bytes = f.read()
    with tf.io.gfile.GFile(label_path, "rb") as f:
        label_bytes = f.read()
    image, label = decode_pair(image_bytes, label_bytes, image_path, label_path)
    if info is not None:
        table = info.lookup_table(_LUT_SIZE)
        if table is not None:
            label = table[label]
        if check_labels:
            bad = _bad_values(label, info)
            if bad.size:
                raise ValueError(_bad_values_message(label_path, info, bad))
    return image, label


def _bad_values(label: np.ndarray, info: DatasetInfo) -> np.ndarray:
    values = np.unique(label)
    return values[((values < 0) | (values >= info.num_classes)) & (values != info.ignore_index)]


def _bad_values_message(label_path: str, info: DatasetInfo, bad: Sequence[int]) -> str:
    return (
        f"Label file '{label_path}' has values outside the {info.num_classes} classes of "
        f"'{info.name}' that are not the ignore value {info.ignore_index} (after label "
        f"mapping): {[int(v) for v in bad][:20]}"
    )


def map_label(
    label: tf.Tensor,
    info: DatasetInfo,
    label_path: tf.Tensor | str = "",
    *,
    check_labels: bool = True,
) -> tf.Tensor:
    """Maps raw label values to class indices in-graph, and checks them.

    Args:
        label: integer tensor `(H, W)` of raw values (0..65535).
        info: `DatasetInfo`. Gives the mapping, class count and ignore value.
        label_path: string tensor or str. Label file name, for the error message.
        check_labels: bool, defaults to `True`. Assert that every mapped value is
            a class index or `info.ignore_index`.

    Returns:
        An int32 tensor `(H, W)`.

    Example:
    >>> from keras_sfnet.data import get_dataset_info
    >>> info = get_dataset_info("cityscapes")
    >>> map_label(tf.constant([[7, 8, 0, 99]]), info).numpy().tolist()
    [[0, 1, 255, 255]]
    """
    label = tf.cast(label, tf.int32)
    table = info.lookup_table(_LUT_SIZE)
    if table is not None:
        label = tf.gather(tf.constant(table), tf.clip_by_value(label, 0, _LUT_SIZE - 1))
    if check_labels:
        flat = tf.reshape(label, [-1])
        bad = ((flat < 0) | (flat >= info.num_classes)) & (flat != info.ignore_index)
        bad_values, _ = tf.unique(tf.boolean_mask(flat, bad))
        check = tf.debugging.Assert(
            tf.logical_not(tf.reduce_any(bad)),
            [
                "Label file",
                label_path,
                f"has values outside the {info.num_classes} classes of '{info.name}' that are "
                f"not the ignore value {info.ignore_index} (after label mapping):",
                bad_values,
            ],
            summarize=20,
        )
        with tf.control_dependencies([check]):
            label = tf.identity(label)
    return label


def load_pair(
    image_path: tf.Tensor, label_path: tf.Tensor, info: DatasetInfo, *, check_labels: bool = True
) -> tuple[tf.Tensor, tf.Tensor]:
    """Reads, decodes and maps one pair in-graph (for `Dataset.map`).

    Args:
        image_path: scalar string tensor.
        label_path: scalar string tensor.
        info: `DatasetInfo`.
        check_labels: bool, defaults to `True`.

    Returns:
        `(image, label)`: uint8 `(H, W, 3)` and int32 `(H, W)`.

    Example:
    >>> from keras_sfnet.data import get_dataset_info
    >>> image, label = load_pair(tf.constant("a.png"), tf.constant("a_mask.png"),
    ...                          get_dataset_info("camvid"))  # doctest: +SKIP
    """
    image, label = tf.numpy_function(
        decode_pair,
        [tf.io.read_file(image_path), tf.io.read_file(label_path), image_path, label_path],
        [tf.uint8, tf.int32],
        stateful=False,
    )
    image.set_shape([None, None, 3])
    label.set_shape([None, None])
    label = map_label(label, info, label_path, check_labels=check_labels)
    return image, label


def _as_pairs(files: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
    files = list(files)
    if not files:
        raise ValueError(
            "`files` must hold at least one (image_path, label_path) pair. Received: []"
        )
    images, labels = [], []
    for item in files:
        if len(item) != 2:
            raise ValueError(
                f"`files` must hold (image_path, label_path) pairs. Received item: {item!r}"
            )
        images.append(os.fspath(item[0]))
        labels.append(os.fspath(item[1]))
    return images, labels


def resolve_info(files: Sequence[tuple[str, str]], info: DatasetInfo) -> DatasetInfo:
    """Drops the label mapping when every label file is a `*_labelTrainIds.png`.

    Cityscapes `*_gtFine_labelTrainIds.png` files already hold trainIds, so the
    labelId -> trainId mapping must not be applied to them. Mixing them with
    files that need the mapping is an error.

    Args:
        files: sequence of `(image_path, label_path)`.
        info: `DatasetInfo`.

    Returns:
        `info`, or `info.without_mapping()`.

    Example:
    >>> from keras_sfnet.data import get_dataset_info
    >>> info = resolve_info([("a_leftImg8bit.png", "a_gtFine_labelTrainIds.png")],
    ...                     get_dataset_info("cityscapes"))
    >>> info.label_mapping is None
    True
    """
    if info.label_mapping is None:
        return info
    flags = [os.fspath(label).endswith("_labelTrainIds.png") for _, label in files]
    if flags and all(flags):
        return info.without_mapping()
    if any(flags):
        example = next(os.fspath(label) for (_, label), f in zip(files, flags) if f)
        raise ValueError(
            "`files` mixes *_labelTrainIds.png labels (already class indices, e.g. "
            f"'{example}') with labels that need `label_mapping`; use one kind only."
        )
    return info


def examples_dataset(
    files: Sequence[tuple[str, str]],
    info: DatasetInfo,
    *,
    num_parallel_calls: int | None = tf.data.AUTOTUNE,
    deterministic: bool = True,
    with_paths: bool = False,
    check_labels: bool = True,
) -> tf.data.Dataset:
    """A dataset of raw examples: `(uint8 image (H, W, 3), int32 label (H, W))`.

    No resizing, augmentation or normalisation: this is what evaluation code
    reads before `normalize_image`. Labels are mapped with `info.label_mapping`
    (see `resolve_info`) and checked (255 = ignore).

    Args:
        files: sequence of `(image_path, label_path)`, e.g. from `list_files`.
        info: `DatasetInfo`. Label space of the files.
        num_parallel_calls: int or `None`, defaults to `tf.data.AUTOTUNE`.
        deterministic: bool, defaults to `True`. Keep the file order.
        with_paths: bool, defaults to `False`. Also yield the image path as a
            third element.
        check_labels: bool, defaults to `True`. Raise on out-of-range values.

    Returns:
        A `tf.data.Dataset` of `(image, label)` or `(image, label, image_path)`.

    Example:
    >>> from keras_sfnet.data import get_dataset_info, list_files
    >>> files = list_files("cityscapes", "/data/cityscapes", "val")  # doctest: +SKIP
    >>> ds = examples_dataset(files, get_dataset_info("cityscapes"))  # doctest: +SKIP
    """
    images, labels = _as_pairs(files)
    info = resolve_info(files, info)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))

    def load(image_path, label_path):
        image, label = load_pair(image_path, label_path, info, check_labels=check_labels)
        if with_paths:
            return image, label, image_path
        return image, label

    return dataset.map(load, num_parallel_calls=num_parallel_calls, deterministic=deterministic)
