"""CamVid in the SegNet layout (11 classes, value 11 = void): layout, listing, label space."""

from __future__ import annotations

import os

from keras_sfnet.data.dataset_info import CAMVID_CLASS_NAMES, CAMVID_PALETTE, DatasetInfo
from keras_sfnet.data.dataset_spec import DatasetSpec
from keras_sfnet.data.listing import join_path, list_splits, match_by_name, require_folders

__all__ = ["CAMVID_LAYOUT", "SPECS", "camvid_info", "list_camvid"]

CAMVID_LAYOUT = """\
{root}/
  train/*.png   trainannot/*.png
  val/*.png     valannot/*.png
  test/*.png    testannot/*.png"""


def camvid_info(root: str | None = None) -> DatasetInfo:
    """The `DatasetInfo` of CamVid: 11 SegNet classes; value 11 (void) -> 255.

    Example:
    >>> camvid_info().num_classes
    11
    """
    return DatasetInfo(
        name="camvid", num_classes=11, class_names=CAMVID_CLASS_NAMES,
        palette=CAMVID_PALETTE, label_mapping={11: 255},
    )  # fmt: skip


def list_camvid(root: str | os.PathLike, split: str = "train") -> list[tuple[str, str]]:
    """Lists CamVid image/label pairs in the SegNet layout.

    Layout: `{root}/{split}/*.png` with labels of the same name in
    `{root}/{split}annot/*.png` (values 0..10 = classes, 11 = void).

    Args:
        root: str or path. The `CamVid` folder.
        split: str, defaults to `"train"`. One of `"train"`, `"val"`, `"test"`,
            `"trainval"`.

    Returns:
        A sorted list of `(image_path, label_path)`.

    Example:
    >>> pairs = list_camvid("/data/CamVid", "val")  # doctest: +SKIP
    """
    splits = ("train", "val", "test", "trainval")
    return list_splits(root, split, splits, CAMVID_LAYOUT, _list_split)


def _list_split(root: str, split: str) -> list[tuple[str, str]]:
    image_dir, label_dir = join_path(root, split), join_path(root, split + "annot")
    require_folders((image_dir, label_dir), CAMVID_LAYOUT, root=root, split=split)
    return match_by_name(image_dir, label_dir, "", ".png")


SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        name="camvid", make_info=camvid_info, list_files=list_camvid, layout=CAMVID_LAYOUT
    ),
)
