"""Up-front check of a whole dataset: every file readable, sizes and label values valid."""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from keras_sfnet.data.dataset_info import DatasetInfo
from keras_sfnet.data.reading import (
    as_pairs,
    check_sizes,
    decode_label_file,
    error_message,
    image_file_size,
    invalid_label_mask,
    invalid_values_text,
    load_pair,
    map_label,
    resolve_info,
)

__all__ = ["format_validation_report", "validate_dataset"]

logger = logging.getLogger(__name__)


def _checker(info: DatasetInfo, check_images: bool):
    """A traced `load_pair` plus per-class pixel counts and invalid values, for eager checks.

    With `check_images=False` only the label is decoded; the image's size is read
    off its header (`image_file_size`) and compared with the label's.
    """

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)] * 2)
    def check(image_path, label_path):
        if check_images:
            image, label = load_pair(image_path, label_path, info, check_labels=False)
        else:
            image_size = image_file_size(tf.io.read_file(image_path), image_path)
            label = decode_label_file(
                tf.io.read_file(label_path), label_path, palette_indices=info.palette_indices
            )
            _, label = check_sizes(
                tf.zeros(tf.concat([image_size, [0]], 0)), label, image_path, label_path
            )
            label = map_label(label, info, label_path, check_labels=False)
        size = tf.shape(label)[:2]
        flat = tf.reshape(label, [-1])
        valid = (flat >= 0) & (flat < info.num_classes)
        counts = tf.math.bincount(
            tf.where(valid, flat, info.num_classes),
            minlength=info.num_classes + 1,
            maxlength=info.num_classes + 1,
            dtype=tf.int64,
        )
        bad_values, _, bad_counts = tf.unique_with_counts(
            tf.boolean_mask(flat, invalid_label_mask(flat, info)), out_idx=tf.int64
        )
        return size, counts, bad_values, bad_counts

    def run(image_path: str, label_path: str) -> tuple[Any, ...]:
        problems = []
        try:
            size, counts, values, pixels = check(tf.constant(image_path), tf.constant(label_path))
        except tf.errors.OpError as error:
            problems.append(error_message(error, image_path, label_path))
            return None, None, {}, "; ".join(problems)
        size = tuple(size.numpy().tolist())
        invalid = dict(sorted(zip(values.numpy().tolist(), pixels.numpy().tolist())))
        if invalid:
            listed = ", ".join(f"{v} ({n} pixels)" for v, n in invalid.items())
            problems.append(f"Label file {label_path} {invalid_values_text(info)} {listed}")
        if problems:
            return None, None, invalid, "; ".join(problems)
        return size, counts.numpy(), {}, None

    return run


def validate_dataset(
    files: Sequence[tuple[str, str]],
    info: DatasetInfo,
    *,
    raise_errors: bool = True,
    max_reported: int = 20,
    num_workers: int | None = None,
    check_images: bool = True,
) -> dict[str, Any]:
    """Reads every file of a dataset and checks it, reporting all problems at once.

    Checks that each image and label decodes, that their sizes match, that the
    label is single-channel (not a colour or palette mask), and that after `info.label_mapping` every value is
    a class index or the ignore value. Values that are not (for Cityscapes
    labelIds, anything but 0..33 and 255) are reported per file with their pixel
    counts, and summed over the dataset in `invalid_values`. The training pipeline makes the same
    checks lazily, one file at a time; this finds every problem up front.

    Args:
        files: sequence of `(image_path, label_path)`, e.g. from `list_files`.
        info: `DatasetInfo` of the files.
        raise_errors: bool, defaults to `True`. Raise a `ValueError` listing the
            problems (up to `max_reported`) if there are any.
        max_reported: int, defaults to 20. Problems quoted in the error.
        num_workers: int or `None` (up to 8 threads; TensorFlow decodes in parallel).
        check_images: bool, defaults to `True`. Decode the images too; `False`
            decodes the labels only and reads each image's size off its header
            (what `train` checks before its first step: faster, a file damaged
            inside is found by the pipeline).

    Returns:
        A dict with `num_examples`, `sizes` (a `Counter` of `(H, W)`),
        `class_pixels` (int64 array of `num_classes` pixel counts),
        `ignore_pixels`, `invalid_values` (a `Counter` from each invalid raw
        label value to its pixel count over all files) and `problems` (list of
        str, one per bad file).

    Example:
    >>> from keras_sfnet.data import get_dataset_info, list_files, synthetic
    >>> import tempfile
    >>> root = synthetic.generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=2, num_val=1)
    >>> report = validate_dataset(list_files("cityscapes", root, "val"),
    ...                           get_dataset_info("cityscapes"))
    >>> report["num_examples"]
    1
    """
    images, labels = as_pairs(files)
    info = resolve_info(files, info)
    workers = num_workers or min(8, os.cpu_count() or 1)
    sizes: collections.Counter = collections.Counter()
    class_pixels = np.zeros(info.num_classes + 1, np.int64)
    invalid_values: collections.Counter = collections.Counter()
    problems = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        run = _checker(info, check_images)
        results = pool.map(lambda pair: run(*pair), zip(images, labels))
        for size, counts, invalid, problem in results:
            invalid_values.update(invalid)
            if problem is not None:
                problems.append(problem)
                continue
            sizes[size] += 1
            class_pixels += counts
    report = {
        "num_examples": len(images),
        "sizes": sizes,
        "class_pixels": class_pixels[:-1],
        "ignore_pixels": int(class_pixels[-1]),
        "invalid_values": invalid_values,
        "problems": problems,
    }
    if problems:
        logger.warning(
            "%d of %d files of '%s' have problems.", len(problems), len(images), info.name
        )
        if raise_errors:
            raise ValueError(format_validation_report(report, info, max_reported=max_reported))
    return report


def format_validation_report(
    report: dict[str, Any], info: DatasetInfo, *, max_reported: int = 20
) -> str:
    """The text of a `validate_dataset` report: each bad file's problem, or a summary.

    Example:
    >>> report = {"num_examples": 2, "problems": [], "sizes": {(4, 6): 2},
    ...           "invalid_values": {}}
    >>> format_validation_report(report, DatasetInfo(name="mine", num_classes=3))
    "All 2 examples of 'mine' are valid (sizes HxW: 4x6 (2))."
    """
    problems = report["problems"]
    total = report["num_examples"]
    if not problems:
        sizes = ", ".join(
            f"{h}x{w} ({n})" for (h, w), n in sorted(report["sizes"].items(), key=lambda x: -x[1])
        )
        return f"All {total} examples of '{info.name}' are valid (sizes HxW: {sizes})."
    shown = "\n".join(f"- {p}" for p in problems[:max_reported])
    more = len(problems) - max_reported
    text = f"{len(problems)} of {total} examples of '{info.name}' are invalid:\n{shown}" + (
        f"\n... and {more} more" if more > 0 else ""
    )
    invalid = report.get("invalid_values") or {}
    if invalid:
        listed = ", ".join(f"{v} ({n} pixels)" for v, n in sorted(invalid.items()))
        text += f"\nLabel values outside the classes, over all files: {listed}"
    return text
