"""KITTI semantic segmentation (200 training images, Cityscapes labelIds): layout and splits.

KITTI has no official validation split; the authors (after Zhu et al., "Improving
semantic segmentation via video propagation and label relaxation") use three
random 90/10 splits of the 200 training images, `KITTI_VAL_INDICES`.
"""

from __future__ import annotations

import dataclasses
import os

from keras_sfnet.data.cityscapes import cityscapes_info
from keras_sfnet.data.dataset_info import DatasetInfo
from keras_sfnet.data.dataset_spec import DatasetSpec
from keras_sfnet.data.listing import (
    check_root,
    join_path,
    list_images,
    pair_by_stem,
    require_folders,
)

__all__ = ["KITTI_VAL_INDICES", "SPECS", "kitti_info", "list_kitti"]

#: Positions (in sorted file order) of the validation images of each split.
KITTI_VAL_INDICES: tuple[tuple[int, ...], ...] = (
    (1, 5, 11, 29, 35, 49, 57, 68, 72, 82, 93, 115, 119, 130, 145, 154, 156, 167, 169, 189, 198),
    (0, 12, 24, 31, 42, 50, 63, 71, 84, 96, 101, 112, 121, 133, 141, 155, 164, 171, 187, 191, 197),
    (3, 6, 13, 21, 41, 54, 61, 73, 88, 91, 110, 121, 126, 131, 142, 149, 150, 163, 173, 183, 199),
)

_LAYOUT = """\
{root}/   (data_semantics)
  training/image_2/{name}.png      training/semantic/{name}.png   (Cityscapes labelIds)
  testing/image_2/{name}.png"""


def kitti_info(root: str | None = None) -> DatasetInfo:
    """The `DatasetInfo` of KITTI: Cityscapes labelIds mapped to the 19 trainIds.

    Example:
    >>> kitti_info().label_mapping[26]
    13
    """
    return dataclasses.replace(cityscapes_info(), name="kitti")


def _parse_split(split: str) -> tuple[str, int]:
    name, _, fold = str(split).partition("_cv")
    names = ("train", "val", "trainval", "test")
    if name not in names or fold not in ("", "0", "1", "2"):
        raise ValueError(
            "`split` must be 'train', 'val', 'trainval' or 'test', optionally with the "
            f"cross-validation fold '_cv0', '_cv1' or '_cv2' (e.g. 'val_cv1'). Received: split={split!r}"
        )
    return name, int(fold or 0)


def list_kitti(root: str | os.PathLike, split: str = "train") -> list[tuple[str, str]]:
    """Lists KITTI semantics image/label pairs with the authors' 90/10 splits.

    `"train"`/`"val"` are fold 0 (`"train_cv1"`, `"val_cv2"`, ... pick another
    fold); `"trainval"` is all 200 images. The test images have no labels:
    predict them with `tools/predict.py` on `testing/image_2`.

    Args:
        root: str or path. `data_semantics` (holding `training/`).
        split: str, defaults to `"train"`.

    Returns:
        A list of `(image_path, label_path)`.

    Example:
    >>> from keras_sfnet.data import synthetic
    >>> import tempfile
    >>> root = synthetic.generate_synthetic_layout(tempfile.mkdtemp(), "kitti",
    ...                                            image_size=(32, 64))
    >>> len(list_kitti(root, "train")), len(list_kitti(root, "val"))
    (179, 21)
    """
    name, fold = _parse_split(split)
    root = check_root(root, _LAYOUT)
    if name == "test":
        raise ValueError(
            "KITTI's test images have no public labels, so split='test' has no image/label "
            f"pairs: predict '{join_path(root, 'testing', 'image_2')}' with tools/predict.py instead."
        )
    image_dir = join_path(root, "training", "image_2")
    label_dir = join_path(root, "training", "semantic")
    require_folders((image_dir, label_dir), _LAYOUT, root=root, split=split)
    images = list_images(image_dir, (".png",))
    if len(images) != 200:
        raise ValueError(
            f"KITTI semantics has 200 training images; found {len(images)} in '{image_dir}'. "
            "The authors' 90/10 splits index the sorted list of all 200."
        )
    pairs = pair_by_stem(images, label_dir, ".png")
    if name == "trainval":
        return pairs
    val = set(KITTI_VAL_INDICES[fold])
    return [p for i, p in enumerate(pairs) if (i in val) == (name == "val")]


SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        name="kitti", make_info=kitti_info, list_files=list_kitti, layout=_LAYOUT,
        cityscapes_space="kitti",
    ),
)  # fmt: skip
