"""`CropCenters`: pixels of labelled files to centre training crops on, grouped by class."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf

from keras_sfnet.data.dataset_info import DatasetInfo

__all__ = ["CropCenters"]


@dataclasses.dataclass(frozen=True, eq=False)
class CropCenters:
    """Crop centres per class: `(image_path, label_path, y, x)` lists keyed by class.

    The training pipeline (`make_dataset(crop_centers=...)`) draws a class
    uniformly, then one of its centres uniformly, reads that file pair with
    `info`, and centres the crop on `(y, x)` (pixels of the file).

    Args:
        centers: mapping from class index to a sequence of
            `(image_path, label_path, y, x)`. Classes with no centre are left out.
        info: `DatasetInfo` of the label files.

    Example:
    >>> from keras_sfnet.data import get_dataset_info
    >>> centers = CropCenters({16: [("a.png", "a_gtCoarse_labelIds.png", 40, 80)]},
    ...                       get_dataset_info("cityscapes"))
    >>> centers.classes, centers.num_centers
    ((16,), 1)
    """

    centers: Mapping[int, Sequence[tuple[str, str, int, int]]]
    info: DatasetInfo

    def __post_init__(self) -> None:
        cleaned = {}
        for cls, items in sorted(dict(self.centers).items()):
            items = [(os.fspath(i), os.fspath(lbl), int(y), int(x)) for i, lbl, y, x in items]
            if not 0 <= int(cls) < self.info.num_classes:
                raise ValueError(
                    f"`centers` keys must be class indices of '{self.info.name}' "
                    f"(0..{self.info.num_classes - 1}). Received: {cls!r}"
                )
            if items:
                cleaned[int(cls)] = tuple(items)
        if not cleaned:
            raise ValueError(
                "`centers` holds no crop centre: none of the requested classes occurs in the "
                "label files (check the classes and the files)."
            )
        object.__setattr__(self, "centers", cleaned)

    @property
    def classes(self) -> tuple[int, ...]:
        """The classes that have centres, ascending."""
        return tuple(self.centers)

    @property
    def num_centers(self) -> int:
        """The number of centres over all classes."""
        return sum(len(v) for v in self.centers.values())

    def as_tensors(self) -> dict[str, tf.Tensor]:
        """Flat tensors: `images`, `labels`, `centers` `(N, 2)`, per-class `starts`, `counts`."""
        images, labels, points, starts, counts = [], [], [], [], []
        for items in self.centers.values():
            starts.append(len(images))
            counts.append(len(items))
            for image, label, y, x in items:
                images.append(image)
                labels.append(label)
                points.append((y, x))
        return {
            "images": tf.constant(images),
            "labels": tf.constant(labels),
            "centers": tf.constant(np.asarray(points, np.int32).reshape(-1, 2)),
            "starts": tf.constant(starts, tf.int32),
            "counts": tf.constant(counts, tf.int32),
        }

    def save(self, path: str | os.PathLike) -> None:
        """Writes the centres as JSON (reload with `CropCenters.load(path, info)`)."""
        with tf.io.gfile.GFile(os.fspath(path), "w") as f:
            json.dump({str(k): [list(v) for v in items] for k, items in self.centers.items()}, f)

    @classmethod
    def load(cls, path: str | os.PathLike, info: DatasetInfo) -> CropCenters:
        """Reads centres written by `save`.

        Example:
        >>> centers = CropCenters.load("coarse_centers.json", info)  # doctest: +SKIP
        """
        with tf.io.gfile.GFile(os.fspath(path), "r") as f:
            values = json.load(f)
        return cls({int(k): [tuple(v) for v in items] for k, items in values.items()}, info)
