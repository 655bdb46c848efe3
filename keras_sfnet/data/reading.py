"""Reading image/label pairs: decoding, checks and the label-value mapping.

Everything runs in the TensorFlow graph (no Python callbacks, so pipelines are
fast and shut down cleanly). Before decoding, each file's header and ending are
checked in-graph so that empty, truncated or non-image files raise an error that
names the file (TensorFlow's own decoders do not name it); so do mismatched
image/label sizes, colour or palette masks, and label values that are neither a
class nor the ignore value. A file that passes these checks but is damaged
inside is reported by TensorFlow's decoder without its name: `validate_dataset`
finds such files up front.

The label mapping (`DatasetInfo.label_mapping`) is an in-graph table lookup.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from keras_sfnet.data.dataset_info import DatasetInfo

__all__ = [
    "as_pairs",
    "check_sizes",
    "decode_image_file",
    "decode_label_file",
    "examples_dataset",
    "image_file_size",
    "invalid_label_mask",
    "invalid_values_text",
    "load_pair",
    "map_label",
    "read_example",
    "resolve_info",
]

_LUT_SIZE = 65536
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"


def _bytes_at(padded: tf.Tensor, pos: int, length: int) -> tf.Tensor:
    return tf.strings.substr(padded, pos, length)


def _check_encoded(contents: tf.Tensor, path: tf.Tensor, what: str, png_only: bool) -> tf.Tensor:
    """Asserts that `contents` is a complete PNG/JPEG/BMP/GIF/WebP file; returns is_png."""
    size = tf.strings.length(contents)
    padded = tf.strings.join([contents, b"\0" * 32])
    is_png = tf.equal(_bytes_at(padded, 0, 8), _PNG_SIGNATURE)
    is_jpeg = tf.equal(_bytes_at(padded, 0, 3), b"\xff\xd8\xff")
    known = is_png
    if not png_only:
        known = (
            is_png
            | is_jpeg
            | tf.equal(_bytes_at(padded, 0, 2), b"BM")
            | tf.equal(_bytes_at(padded, 0, 4), b"GIF8")
            | (
                tf.equal(_bytes_at(padded, 0, 4), b"RIFF")
                & tf.equal(_bytes_at(padded, 8, 4), b"WEBP")
            )
        )
    kinds = "a PNG" if png_only else "an image (PNG, JPEG, BMP, GIF, WebP)"
    check_known = tf.debugging.Assert(
        known,
        [
            f"Could not read {what} file",
            path,
            "of size (bytes)",
            size,
            f": it is empty, corrupt or not {kinds}.",
        ],
    )
    # Truncated files: a PNG ends with its IEND chunk, a JPEG with FF D9 (EOI).
    png_end = tf.equal(tf.strings.substr(contents, tf.maximum(size - 8, 0), 8), _PNG_END)
    tail = tf.io.decode_raw(tf.strings.substr(contents, tf.maximum(size - 32, 0), 32), tf.uint8)
    jpeg_end = tf.reduce_any((tail[:-1] == 0xFF) & (tail[1:] == 0xD9))
    complete = tf.where(is_png, png_end, tf.where(is_jpeg, jpeg_end, True))
    with tf.control_dependencies([check_known]):
        check_complete = tf.debugging.Assert(
            complete, [f"Could not read {what} file", path, ": the file is truncated or corrupt."]
        )
    with tf.control_dependencies([check_complete]):
        return tf.identity(is_png)


def decode_image_file(contents: tf.Tensor, path: tf.Tensor | str = "") -> tf.Tensor:
    """Decodes an image file in-graph to uint8 RGB, naming the file on failure.

    Args:
        contents: scalar string tensor, the file's bytes.
        path: string tensor or str, the file name for error messages.

    Returns:
        A uint8 tensor `(H, W, 3)`.

    Example:
    >>> png = tf.io.encode_png(tf.zeros([4, 6, 3], tf.uint8))
    >>> decode_image_file(png).shape
    TensorShape([4, 6, 3])
    """
    is_png = _check_encoded(contents, path, "image", png_only=False)
    with tf.control_dependencies([is_png]):
        image = tf.io.decode_image(contents, channels=3, dtype=tf.uint8, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def image_file_size(contents: tf.Tensor, path: tf.Tensor | str = "") -> tf.Tensor:
    """An image file's `(H, W)` in-graph, from its header for PNG and JPEG (no decoding).

    The file is checked as by `decode_image_file` (known format, not truncated);
    other formats (BMP, GIF, WebP) are decoded.

    Example:
    >>> png = tf.io.encode_png(tf.zeros([4, 6, 3], tf.uint8))
    >>> image_file_size(png).numpy().tolist()
    [4, 6]
    """
    is_png = _check_encoded(contents, path, "image", png_only=False)
    padded = tf.strings.join([contents, b"\0" * 32])
    is_jpeg = tf.equal(_bytes_at(padded, 0, 3), b"\xff\xd8\xff")
    # PNG: width and height are big-endian uint32 at bytes 16..23 (IHDR).
    header = tf.cast(tf.io.decode_raw(_bytes_at(padded, 16, 8), tf.uint8), tf.int32)
    png_size = tf.stack(
        [
            tf.reduce_sum(header[4:] * [1 << 24, 1 << 16, 1 << 8, 1]),
            tf.reduce_sum(header[:4] * [1 << 24, 1 << 16, 1 << 8, 1]),
        ]
    )
    return tf.case(
        [
            (is_png, lambda: png_size),
            (is_jpeg, lambda: tf.image.extract_jpeg_shape(contents)[:2]),
        ],
        default=lambda: tf.shape(decode_image_file(contents, path))[:2],
    )


def _palette_png_indices(contents: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(contents)) as image:
        return np.asarray(image, dtype=np.int32)


def decode_label_file(
    contents: tf.Tensor, path: tf.Tensor | str = "", *, palette_indices: bool = False
) -> tf.Tensor:
    """Decodes a single-channel 8- or 16-bit PNG label map in-graph to int32.

    Grey masks stored as RGB (all channels equal) are accepted; colour masks are
    rejected. Palette PNGs are rejected too (TensorFlow would return their
    colours, not the class indices) unless `palette_indices=True`: then their
    palette indices are the values (Mapillary Vistas; read with PIL).

    Args:
        contents: scalar string tensor, the file's bytes.
        path: string tensor or str, the file name for error messages.
        palette_indices: bool, defaults to `False`. Read palette PNGs by index.

    Returns:
        An int32 tensor `(H, W)` of raw values.

    Example:
    >>> png = tf.io.encode_png(tf.fill([4, 6, 1], tf.constant(7, tf.uint8)))
    >>> int(decode_label_file(png)[0, 0])
    7
    """
    is_png = _check_encoded(contents, path, "label", png_only=True)
    padded = tf.strings.join([contents, b"\0" * 32])
    header = tf.io.decode_raw(tf.strings.substr(padded, 24, 2), tf.uint8)
    bit_depth, color_type = header[0], header[1]
    if palette_indices:
        with tf.control_dependencies([is_png]):
            return tf.cond(
                tf.equal(color_type, 3),
                lambda: tf.ensure_shape(
                    tf.numpy_function(_palette_png_indices, [contents], tf.int32, stateful=False),
                    [None, None],
                ),
                lambda: decode_label_file(contents, path),
            )
    with tf.control_dependencies([is_png]):
        check_palette = tf.debugging.Assert(
            tf.not_equal(color_type, 3),
            [
                "Label file",
                path,
                "is a palette PNG; labels must be single-channel index PNGs (convert it, "
                "e.g. with PIL: np.array(Image.open(path)) gives the indices).",
            ],
        )
    with tf.control_dependencies([check_palette]):
        label = tf.cond(
            tf.equal(bit_depth, 16),
            lambda: tf.cast(tf.io.decode_png(contents, channels=0, dtype=tf.uint16), tf.int32),
            lambda: tf.cast(tf.io.decode_png(contents, channels=0, dtype=tf.uint8), tf.int32),
        )
    label.set_shape([None, None, None])
    channels = tf.shape(label)[-1]
    colors = label[..., : tf.where(channels >= 3, 3, 1)]
    check_gray = tf.debugging.Assert(
        tf.reduce_all(tf.equal(colors, colors[..., :1])),
        [
            "Label file",
            path,
            "is a colour mask (RGB/RGBA with channels that differ); labels must be "
            "single-channel images of class values (convert colour masks to index masks first).",
        ],
    )
    with tf.control_dependencies([check_gray]):
        return tf.identity(label[..., 0])


def check_sizes(image, label, image_path, label_path):
    """`(image, label)`, asserting (in the graph) that their heights and widths match."""
    image_size, label_size = tf.shape(image)[:2], tf.shape(label)[:2]
    check = tf.debugging.Assert(
        tf.reduce_all(tf.equal(image_size, label_size)),
        ["Image", image_path, "has size (HxW)", image_size, "but its label", label_path,
         "has size", label_size, ": sizes must match."],
    )  # fmt: skip
    with tf.control_dependencies([check]):
        return tf.identity(image), tf.identity(label)


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
    >>> map_label(tf.constant([[7, 8, 0, 255]]), info).numpy().tolist()
    [[0, 1, 255, 255]]
    """
    label = tf.cast(label, tf.int32)
    table = info.lookup_table(_LUT_SIZE)
    if table is not None:
        label = tf.gather(tf.constant(table), tf.clip_by_value(label, 0, _LUT_SIZE - 1))
    if check_labels:
        flat = tf.reshape(label, [-1])
        bad = invalid_label_mask(flat, info)
        bad_values, _ = tf.unique(tf.boolean_mask(flat, bad))
        check = tf.debugging.Assert(
            tf.logical_not(tf.reduce_any(bad)),
            ["Label file", label_path, invalid_values_text(info), bad_values],
            summarize=20,
        )
        with tf.control_dependencies([check]):
            label = tf.identity(label)
    return label


def invalid_label_mask(label: tf.Tensor, info: DatasetInfo) -> tf.Tensor:
    """Where a mapped label holds a value that is neither a class nor the ignore value.

    `DatasetInfo` only maps values to classes or to the ignore value, so a value
    flagged here is one its `label_mapping` does not list, unchanged: the raw value
    in the file. A dataset whose `label_mapping` lists every valid on-disk value
    (those without a training class mapped to `ignore_index`) and leaves
    `unmapped_to_ignore=False` thus has every other value reported, never silently
    ignored.

    Args:
        label: int32 tensor, the output of the label mapping.
        info: `DatasetInfo`.

    Returns:
        A bool tensor of `label`'s shape.

    Example:
    >>> from keras_sfnet.data import get_dataset_info
    >>> info = get_dataset_info("cityscapes")
    >>> mapped = map_label(tf.constant([7, 4, 200]), info, check_labels=False)
    >>> invalid_label_mask(mapped, info).numpy().tolist()
    [False, False, True]
    """
    return ((label < 0) | (label >= info.num_classes)) & (label != info.ignore_index)


def invalid_values_text(info: DatasetInfo) -> str:
    """What is wrong with values flagged by `invalid_label_mask`, for messages.

    Example:
    >>> from keras_sfnet.data import get_dataset_info
    >>> invalid_values_text(get_dataset_info("camvid"))[:41]
    "has values that are not labels of 'camvid"
    """
    listed = "listed in its label_mapping, " if info.label_mapping is not None else ""
    return (
        f"has values that are not labels of '{info.name}' (neither {listed}a class index "
        f"0..{info.num_classes - 1}, nor the ignore value {info.ignore_index}): fix the file or "
        "the dataset's label_mapping. Values:"
    )


def load_pair(
    image_path: tf.Tensor, label_path: tf.Tensor, info: DatasetInfo, *, check_labels: bool = True
) -> tuple[tf.Tensor, tf.Tensor]:
    """Reads, decodes, checks and maps one image/label pair in-graph (for `Dataset.map`).

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
    image = decode_image_file(tf.io.read_file(image_path), image_path)
    label = decode_label_file(
        tf.io.read_file(label_path), label_path, palette_indices=info.palette_indices
    )
    image, label = check_sizes(image, label, image_path, label_path)
    label = map_label(label, info, label_path, check_labels=check_labels)
    return image, label


_TRACE_LINE = re.compile(r"^(Graph execution error:|Detected at node .*|\s+File .*|\s*\[\[\{\{node .*)$")


def _assertion_text(data: str) -> str:
    """`[Image] [a.jpg] [has size (HxW)] [32 48] ...` -> `Image a.jpg has size (HxW) 32x48 ...`."""
    parts = re.findall(r"\[([^\[\]]*)\]", data)
    if not parts:
        return data.strip()
    words = []
    for part in parts:
        if re.fullmatch(r"-?\d+( -?\d+)+", part.strip()):
            # A size after "size"/"(HxW)"; any other vector is a list of values.
            size = words and words[-1].rstrip(")").endswith(("size", "HxW"))
            part = ("x" if size else ", ").join(part.split())
        words.append(part)
    return re.sub(r" ([:.,])", r"\1", " ".join(words))


def error_message(error: tf.errors.OpError, image_path: str, label_path: str) -> str:
    """The reason of a TensorFlow error in one line, naming the files if it does not.

    Eager `tf.function` calls wrap a failed check as `Graph execution error:`
    followed by a traceback of graph nodes; the reason (the assertion's data, or
    the op's message) is found under it.
    """
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", error.message)
    assertion = re.search(r"assertion failed: (.*)", text)
    if assertion is not None:
        message = _assertion_text(assertion.group(1))
    else:
        lines = [line for line in text.split("\n") if line.strip()]
        reasons = [line for line in lines if not _TRACE_LINE.match(line)]
        message = (reasons or lines or [type(error).__name__])[0]
    message = re.sub(r"\s*\[Op:[^\]]*\]\s*$", "", message).replace("\\'", "'").strip()
    if image_path not in message and label_path not in message:
        # Damage deep inside a file: TensorFlow's decoder does not name it.
        message = f"Could not read '{image_path}' or '{label_path}': {message}"
    return message


def read_example(
    image_path: str | os.PathLike,
    label_path: str | os.PathLike,
    info: DatasetInfo | None = None,
    *,
    check_labels: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Reads one image/label pair eagerly, with the same checks as the pipeline.

    Args:
        image_path: str or path. Image file.
        label_path: str or path. Label file.
        info: `DatasetInfo` or `None`. When given, the label is mapped with
            `info.label_mapping` and (if `check_labels`) its values are checked;
            when `None`, raw label values are returned.
        check_labels: bool, defaults to `True`.

    Returns:
        `(image, label)` NumPy arrays: uint8 RGB `(H, W, 3)` and int32 `(H, W)`.

    Raises:
        ValueError: the pair is unreadable or invalid; the message names the
            file(s).

    Example:
    >>> image, label = read_example("a.png", "a_mask.png")  # doctest: +SKIP
    """
    image_path, label_path = os.fspath(image_path), os.fspath(label_path)
    if info is None:
        info = DatasetInfo(name="raw", num_classes=1, ignore_index=65535)
        check_labels = False
    # Traced, so that failed checks give the same messages as in the pipeline.
    load = tf.function(lambda i, lbl: load_pair(i, lbl, info, check_labels=check_labels))
    try:
        image, label = load(tf.constant(image_path), tf.constant(label_path))
    except tf.errors.NotFoundError as error:
        raise FileNotFoundError(error_message(error, image_path, label_path)) from None
    except tf.errors.OpError as error:
        raise ValueError(error_message(error, image_path, label_path)) from None
    return image.numpy(), label.numpy()


def as_pairs(files: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The image paths and label paths of `(image_path, label_path)` pairs, checked.

    Example:
    >>> as_pairs([("a.jpg", "a.png")])
    (['a.jpg'], ['a.png'])
    """
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
    reads before `keras_sfnet.layers.ImageConverter`. Labels are mapped with `info.label_mapping`
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
    images, labels = as_pairs(files)
    info = resolve_info(files, info)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))

    def load(image_path, label_path):
        image, label = load_pair(image_path, label_path, info, check_labels=check_labels)
        if with_paths:
            return image, label, image_path
        return image, label

    return dataset.map(load, num_parallel_calls=num_parallel_calls, deterministic=deterministic)
