"""ADE20K SceneParsing (`ADEChallengeData2016`, 150 classes): layout, listing, label space."""

from __future__ import annotations

import os

from keras_sfnet.data import file_system
from keras_sfnet.data.dataset_info import ADE20K_CLASS_NAMES, DatasetInfo
from keras_sfnet.data.dataset_spec import DatasetSpec
from keras_sfnet.data.listing import check_root, join_path, match_by_name, require_folders

__all__ = ["ADE20K_LAYOUT", "SPECS", "ade20k_info", "list_ade20k"]

ADE20K_LAYOUT = """\
{root}/ADEChallengeData2016/   (or root = ADEChallengeData2016 itself)
  images/training/*.jpg        annotations/training/*.png
  images/validation/*.jpg      annotations/validation/*.png"""

_SPLIT_FOLDERS = {
    "train": "training", "training": "training", "val": "validation", "validation": "validation",
}  # fmt: skip


def ade20k_info(root: str | None = None) -> DatasetInfo:
    """The `DatasetInfo` of ADE20K: value 0 -> 255, values 1..150 -> 0..149.

    The palette is `make_palette(150)` (not the official one).

    Example:
    >>> ade20k_info().lookup_table()[[0, 1, 150]].tolist()
    [255, 0, 149]
    """
    return DatasetInfo(
        name="ade20k", num_classes=150, class_names=ADE20K_CLASS_NAMES,
        label_mapping={0: 255, **{i: i - 1 for i in range(1, 151)}},
    )  # fmt: skip


def list_ade20k(root: str | os.PathLike, split: str = "train") -> list[tuple[str, str]]:
    """Lists ADE20K (SceneParsing, `ADEChallengeData2016`) image/label pairs.

    Layout: `ADEChallengeData2016/images/{training,validation}/*.jpg` with
    `ADEChallengeData2016/annotations/{training,validation}/*.png` (values
    0 = other, 1..150 = classes).

    Args:
        root: str or path. `ADEChallengeData2016` or the folder holding it.
        split: str, defaults to `"train"`. `"train"`/`"training"` or
            `"val"`/`"validation"`.

    Returns:
        A sorted list of `(image_path, label_path)`.

    Example:
    >>> pairs = list_ade20k("/data/ADEChallengeData2016", "val")  # doctest: +SKIP
    """
    if split not in _SPLIT_FOLDERS:
        raise ValueError(
            f"`split` must be one of ['train', 'val', 'training', 'validation']. Received: split={split!r}"
        )
    root = check_root(root, ADE20K_LAYOUT)
    nested = join_path(root, "ADEChallengeData2016")
    base = nested if file_system.isdir(nested) else root
    image_dir = join_path(base, "images", _SPLIT_FOLDERS[split])
    label_dir = join_path(base, "annotations", _SPLIT_FOLDERS[split])
    require_folders((image_dir, label_dir), ADE20K_LAYOUT, root=root, split=split)
    return match_by_name(image_dir, label_dir, "", ".png")


SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        name="ade20k", make_info=ade20k_info, list_files=list_ade20k, layout=ADE20K_LAYOUT,
        aliases=("ade",),
    ),
)  # fmt: skip
