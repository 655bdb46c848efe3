"""A small synthetic dataset in the Cityscapes layout (fine and coarse annotations).

`generate_synthetic_cityscapes` writes `leftImg8bit/` images and `gtFine/`
`*_gtFine_labelIds.png` masks that use the real Cityscapes labelIds, so the
default training run exercises the real Cityscapes code path (labelId ->
trainId mapping included) without downloading anything.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import cv2
import numpy as np

from keras_sfnet.synthetic.renderer import render_street_scene

__all__ = ["SYNTHETIC_CITIES", "coarsen_label_ids", "generate_synthetic_cityscapes"]

logger = logging.getLogger(__name__)

#: City folder name per split.
SYNTHETIC_CITIES: dict[str, str] = {"train": "synthburg", "val": "synthstadt", "test": "synthdorf"}


def generate_synthetic_cityscapes(
    root: str | os.PathLike,
    num_train: int = 80,
    num_val: int = 20,
    num_test: int = 0,
    image_size: Sequence[int] = (256, 512),
    seed: int = 0,
    num_coarse: int = 0,
) -> str:
    """Writes a small synthetic dataset in the Cityscapes layout.

    Layout (one city per split, see `SYNTHETIC_CITIES`):
    ```
    {root}/leftImg8bit/{split}/{city}/{city}_000000_{i:06d}_leftImg8bit.png
    {root}/gtFine/{split}/{city}/{city}_000000_{i:06d}_gtFine_labelIds.png
    ```
    Labels are real Cityscapes labelIds (road 7, sidewalk 8, building 11,
    wall 12, fence 13, pole 17, traffic light 19, traffic sign 20, vegetation 21,
    terrain 22, sky 23, person 24, rider 25, car 26, bus 28, bicycle 33, plus the
    ignored ego vehicle 1, ground 6 and parking 9). Image `i` of a split depends
    only on `(seed, split, i)`: the same arguments give byte-identical files.
    Existing files of the same names are overwritten. With `num_coarse`, also
    writes the coarse extra set (`coarsen_label_ids` of new scenes):
    `leftImg8bit/train_extra/{city}/...` and
    `gtCoarse/train_extra/{city}/{city}_000000_{i:06d}_gtCoarse_labelIds.png`.

    Args:
        root: str or path. Output folder (created if needed).
        num_train: int, defaults to 80. Training images.
        num_val: int, defaults to 20. Validation images.
        num_test: int, defaults to 0. Test images (with labels).
        image_size: (height, width), defaults to `(256, 512)`.
        seed: int, defaults to 0.
        num_coarse: int, defaults to 0. Coarse `train_extra` images.

    Returns:
        `root` as a str.

    Example:
    >>> from keras_sfnet.data import load_dataset
    >>> import tempfile
    >>> root = generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=8,
    ...                                      num_val=2, image_size=(128, 256))
    >>> ds = load_dataset("cityscapes", root, "val", training=False)
    """
    root = os.fspath(root)
    counts = {"train": num_train, "val": num_val, "test": num_test, "coarse": num_coarse}
    for split, count in counts.items():
        if int(count) < 0:
            raise ValueError(f"`num_{split}` must be >= 0. Received: num_{split}={count!r}")
    for split_id, (split, count) in enumerate(counts.items()):
        if not count:
            continue
        coarse = split == "coarse"
        city = SYNTHETIC_CITIES["train" if coarse else split]
        folder = "train_extra" if coarse else split
        image_dir = os.path.join(root, "leftImg8bit", folder, city)
        label_dir = os.path.join(root, "gtCoarse" if coarse else "gtFine", folder, city)
        os.makedirs(image_dir, exist_ok=True)
        os.makedirs(label_dir, exist_ok=True)
        for i in range(int(count)):
            image, label_ids = render_street_scene((int(seed), split_id, i), image_size)
            stem = f"{city}_000000_{i:06d}"
            cv2.imwrite(os.path.join(image_dir, f"{stem}_leftImg8bit.png"), image[..., ::-1])
            if coarse:
                label_ids = coarsen_label_ids(label_ids, (int(seed), split_id, i))
            kind = "gtCoarse" if coarse else "gtFine"
            cv2.imwrite(os.path.join(label_dir, f"{stem}_{kind}_labelIds.png"), label_ids)
        logger.info("Wrote %d synthetic %s images to %s.", count, split, image_dir)
    return root


def coarsen_label_ids(label_ids: np.ndarray, seed: int | Sequence[int] = 0) -> np.ndarray:
    """Turns a fine labelId map into a coarse one, as Cityscapes' `gtCoarse` looks.

    Each class region is shrunk (eroded by a few pixels) and the rest becomes
    labelId 0 ("unlabeled"); whole small regions vanish, as in the coarse
    polygons.

    Args:
        label_ids: uint8 `(H, W)` Cityscapes labelIds.
        seed: int or sequence of ints, defaults to 0. Picks the erosion size.

    Returns:
        A uint8 `(H, W)` labelId map.

    Example:
    >>> fine = np.full((32, 32), 7, np.uint8)
    >>> coarse = coarsen_label_ids(fine)
    >>> int(coarse[16, 16]), int(coarse[0, 0])
    (7, 0)
    """
    label_ids = np.asarray(label_ids, np.uint8)
    rng = np.random.default_rng(seed)
    size = max(3, int(round(min(label_ids.shape) * rng.uniform(0.03, 0.06))) | 1)
    kernel = np.ones((size, size), np.uint8)
    out = np.zeros_like(label_ids)
    for value in np.unique(label_ids):
        mask = cv2.erode((label_ids == value).astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
        out[mask > 0] = value
    return out
