"""BDD100K semantic segmentation (10K images, 19 Cityscapes trainIds): layout and labels."""

from __future__ import annotations

import os

from keras_sfnet.data import file_system
from keras_sfnet.data.dataset_info import CITYSCAPES_CLASS_NAMES, CITYSCAPES_PALETTE, DatasetInfo
from keras_sfnet.data.dataset_spec import DatasetSpec
from keras_sfnet.data.listing import (
    join_path,
    list_images,
    list_splits,
    missing_error,
    no_images_error,
    pair_by_stem,
)

__all__ = ["SPECS", "bdd100k_info", "list_bdd100k"]

_LAYOUT = """\
{root}/   (bdd100k/seg of the 10K segmentation release, as the authors' loader)
  images/{split}/{name}.jpg        labels/{split}/{name}_train_id.png
or {root}/ (bdd100k of the current release)
  images/10k/{split}/{name}.jpg    labels/sem_seg/masks/{split}/{name}.png
(labels: Cityscapes trainIds 0..18, 255 = ignore)"""


def bdd100k_info(root: str | None = None) -> DatasetInfo:
    """The `DatasetInfo` of BDD100K: the 19 Cityscapes classes, stored as trainIds.

    Example:
    >>> bdd100k_info().num_classes
    19
    """
    return DatasetInfo(
        name="bdd100k", num_classes=19, class_names=CITYSCAPES_CLASS_NAMES,
        palette=CITYSCAPES_PALETTE,
    )  # fmt: skip


def _folders(root: str, split: str) -> tuple[str, str, str]:
    """(image_dir, label_dir, label suffix) of the first layout found under `root`."""
    candidates = [
        (join_path(root, "images", split), join_path(root, "labels", split), "_train_id.png"),
        (join_path(root, "seg", "images", split), join_path(root, "seg", "labels", split), "_train_id.png"),
        (join_path(root, "images", "10k", split), join_path(root, "labels", "sem_seg", "masks", split), ".png"),
    ]  # fmt: skip
    for image_dir, label_dir, suffix in candidates:
        if file_system.isdir(image_dir) and file_system.isdir(label_dir):
            return image_dir, label_dir, suffix
    raise missing_error("Split folder", candidates[0][0], _LAYOUT, root=root, split=split)


def list_bdd100k(root: str | os.PathLike, split: str = "train") -> list[tuple[str, str]]:
    """Lists BDD100K semantic-segmentation image/label pairs.

    Args:
        root: str or path. `bdd100k/seg` (10K release) or `bdd100k` (either
            release; see the layout in the error message).
        split: str, defaults to `"train"`. `"train"`, `"val"` or `"trainval"`
            (train, then val).

    Returns:
        A sorted list of `(image_path, label_path)`; the labels hold trainIds
        (`*_train_id.png` of the 10K release, `sem_seg/masks/*.png` of the current one).

    Example:
    >>> import tempfile
    >>> from keras_sfnet.synthetic import generate_synthetic_layout
    >>> root = generate_synthetic_layout(tempfile.mkdtemp(), "bdd100k", num_train=2, num_val=1)
    >>> [label.endswith("_train_id.png") for _, label in list_bdd100k(root, "trainval")]
    [True, True, True]
    """
    return list_splits(root, split, ("train", "val", "trainval"), _LAYOUT, _list_split)


def _list_split(root: str, split: str) -> list[tuple[str, str]]:
    image_dir, label_dir, suffix = _folders(root, split)
    images = list_images(image_dir, (".jpg", ".jpeg", ".png"))
    if not images:
        raise no_images_error(image_dir, "'*.jpg' images")
    return pair_by_stem(images, label_dir, suffix)


SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        name="bdd100k", make_info=bdd100k_info, list_files=list_bdd100k, layout=_LAYOUT,
        cityscapes_space="bdd100k",
    ),
)  # fmt: skip
