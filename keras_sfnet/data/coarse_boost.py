"""The coarse boost: class-uniform crops of rare classes drawn from Cityscapes `gtCoarse`.

As the authors' `class_uniform` sampler with `--coarse_boost_classes`: every
label file is cut into `tile_size` tiles; for each requested class present in a
tile, the class's centre of mass within the tile is a crop centre
(`class_centroids`). Training on `gtFine` then draws a share of its crops
centred on these coarse-annotation centres (`make_dataset(crop_centers=...)`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from keras_sfnet.data.cityscapes import cityscapes_info
from keras_sfnet.data.crop_centers import CropCenters
from keras_sfnet.data.dataset_info import CITYSCAPES_CLASS_NAMES, DatasetInfo
from keras_sfnet.data.listing import (
    check_root,
    check_split,
    join_path,
    match_in_subfolders,
    require_folders,
)
from keras_sfnet.data.reading import decode_label_file, error_message, map_label

__all__ = [
    "AUTHORS_COARSE_BOOST_CLASSES",
    "class_centroids",
    "coarse_boost_centers",
    "list_cityscapes_coarse",
]

logger = logging.getLogger(__name__)

#: trainIds the authors' trainval script boosts: wall, fence, truck, bus, train,
#: motorcycle, rider (`--coarse_boost_classes 14,15,16,3,12,17,4`).
AUTHORS_COARSE_BOOST_CLASSES: tuple[int, ...] = (14, 15, 16, 3, 12, 17, 4)

_COARSE_LAYOUT = """\
{root}/
  leftImg8bit/train_extra/{city}/{city}_{seq}_{frame}_leftImg8bit.png
  gtCoarse/train_extra/{city}/{city}_{seq}_{frame}_gtCoarse_labelIds.png
  (also gtCoarse/train, gtCoarse/val for split='train' / 'val')"""


def list_cityscapes_coarse(
    root: str | os.PathLike, split: str = "train_extra"
) -> list[tuple[str, str]]:
    """Lists Cityscapes coarse-annotation pairs (`*_gtCoarse_labelIds.png`).

    Args:
        root: str or path. Cityscapes folder holding `leftImg8bit/` and `gtCoarse/`.
        split: str, defaults to `"train_extra"` (the 19,998 extra images, as the
            authors); `"train"` or `"val"` also work.

    Returns:
        A sorted list of `(image_path, label_path)`.

    Example:
    >>> pairs = list_cityscapes_coarse("/data/cityscapes")  # doctest: +SKIP
    """
    check_split(split, ("train_extra", "train", "val"))
    root = check_root(root, _COARSE_LAYOUT)
    image_dir = join_path(root, "leftImg8bit", split)
    label_dir = join_path(root, "gtCoarse", split)
    require_folders(
        (image_dir, label_dir), _COARSE_LAYOUT, "Coarse folder", root=root, split=split
    )
    return match_in_subfolders(
        image_dir, label_dir, _coarse_label_name, (".png",),
        "'*_leftImg8bit.png' images (in city sub-folders)",
    )  # fmt: skip


def _coarse_label_name(name: str) -> str | None:
    if not name.endswith("_leftImg8bit.png"):
        return None
    return name[: -len("_leftImg8bit.png")] + "_gtCoarse_labelIds.png"


def class_centroids(
    files: Sequence[tuple[str, str]],
    info: DatasetInfo,
    classes: Sequence[int] | None = None,
    *,
    tile_size: int = 1024,
) -> CropCenters:
    """Per-tile class centroids of label files (the authors' `class_centroids_all`).

    Each label map (mapped with `info`) is cut into full `tile_size` tiles;
    for every requested class present in a tile, its centre of mass in the
    tile (rounded down) becomes a crop centre.

    Args:
        files: sequence of `(image_path, label_path)`.
        info: `DatasetInfo` of the label files.
        classes: class indices, or `None` for all.
        tile_size: int, defaults to 1024 (the authors' `class_uniform_tile`).

    Returns:
        A `CropCenters`.

    Example:
    >>> from keras_sfnet.data import get_dataset_info
    >>> files = list_cityscapes_coarse("/data/cityscapes")  # doctest: +SKIP
    >>> centers = class_centroids(files, get_dataset_info("cityscapes"), [14, 15, 16],
    ...                           tile_size=1024)  # doctest: +SKIP
    """
    tile_size = int(tile_size)
    if tile_size < 1:
        raise ValueError(f"`tile_size` must be a positive int. Received: tile_size={tile_size}")
    wanted = list(range(info.num_classes)) if classes is None else [int(c) for c in classes]
    for cls in wanted:
        if not 0 <= cls < info.num_classes:
            raise ValueError(
                f"`classes` must be class indices of '{info.name}' (0..{info.num_classes - 1}). "
                f"Received: {cls}"
            )

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def read(label_path):
        label = decode_label_file(
            tf.io.read_file(label_path), label_path, palette_indices=info.palette_indices
        )
        return map_label(label, info, label_path)

    centers: dict[int, list] = {cls: [] for cls in wanted}
    for image_path, label_path in files:
        try:
            label = read(tf.constant(os.fspath(label_path))).numpy()
        except tf.errors.OpError as error:
            raise ValueError(error_message(error, image_path, label_path)) from None
        height, width = label.shape
        for y0 in range(0, height - tile_size + 1, tile_size):
            for x0 in range(0, width - tile_size + 1, tile_size):
                tile = label[y0 : y0 + tile_size, x0 : x0 + tile_size]
                for cls in wanted:
                    ys, xs = np.nonzero(tile == cls)
                    if ys.size:
                        item = (image_path, label_path, y0 + int(ys.mean()), x0 + int(xs.mean()))
                        centers[cls].append(item)
    return CropCenters(centers, info)


def coarse_boost_centers(
    root: str | os.PathLike,
    classes: Sequence[int] = AUTHORS_COARSE_BOOST_CLASSES,
    *,
    tile_size: int = 1024,
    split: str = "train_extra",
    cache_path: str | os.PathLike | None = None,
) -> CropCenters:
    """Crop centres of rare Cityscapes classes in the coarse annotations.

    Args:
        root: str or path. Cityscapes folder (with `gtCoarse/`).
        classes: trainIds to boost, defaults to `AUTHORS_COARSE_BOOST_CLASSES`.
        tile_size: int, defaults to 1024.
        split: str, defaults to `"train_extra"`.
        cache_path: str, path or `None`. JSON file: read when it exists, else
            written (computing the centres reads every coarse label once).

    Returns:
        A `CropCenters` over Cityscapes trainIds.

    Example:
    >>> centers = coarse_boost_centers("/data/cityscapes", cache_path="coarse.json")  # doctest: +SKIP
    """
    info = cityscapes_info()
    if cache_path is not None and tf.io.gfile.exists(os.fspath(cache_path)):
        return CropCenters.load(cache_path, info)
    files = list_cityscapes_coarse(root, split)
    centers = class_centroids(files, info, classes, tile_size=tile_size)
    logger.info(
        "Coarse boost: %d crop centres for %s.", centers.num_centers,
        {CITYSCAPES_CLASS_NAMES[c]: len(v) for c, v in centers.centers.items()},
    )  # fmt: skip
    if cache_path is not None:
        centers.save(cache_path)
    return centers
