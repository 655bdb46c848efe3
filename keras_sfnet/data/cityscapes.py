"""Cityscapes (fine annotations, 19 trainIds): layout, listing and label space."""

from __future__ import annotations

import logging
import os

from keras_sfnet.data import file_system
from keras_sfnet.data.dataset_info import (
    CITYSCAPES_CLASS_NAMES,
    CITYSCAPES_LABEL_ID_TO_TRAIN_ID,
    CITYSCAPES_PALETTE,
    DatasetInfo,
)
from keras_sfnet.data.dataset_spec import DatasetSpec
from keras_sfnet.data.listing import join_path, list_splits, match_in_subfolders, require_folders
from keras_sfnet.names import CITYSCAPES_SPLITS

__all__ = ["CITYSCAPES_LAYOUT", "SPECS", "cityscapes_info", "list_cityscapes"]

logger = logging.getLogger(__name__)

CITYSCAPES_LAYOUT = """\
{root}/
  leftImg8bit/{split}/{city}/{city}_{seq}_{frame}_leftImg8bit.png
  gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_labelIds.png
    (or *_gtFine_labelTrainIds.png, used when present)"""

_SUFFIXES = {"labelIds": "_gtFine_labelIds.png", "labelTrainIds": "_gtFine_labelTrainIds.png"}


def cityscapes_info(root: str | None = None) -> DatasetInfo:
    """The `DatasetInfo` of Cityscapes: 19 trainIds, mapped from the labelIds.

    `label_mapping` is the full labelId -> trainId table (`*_gtFine_labelIds.png`
    values 0..33; those without a training class -> 255). 255 (labelId -1 as
    uint8) is ignored; any other value is not a labelId and is an error.

    Example:
    >>> cityscapes_info().label_mapping[7]
    0
    """
    return DatasetInfo(
        name="cityscapes", num_classes=19, class_names=CITYSCAPES_CLASS_NAMES,
        palette=CITYSCAPES_PALETTE, label_mapping=CITYSCAPES_LABEL_ID_TO_TRAIN_ID,
    )  # fmt: skip


def list_cityscapes(
    root: str | os.PathLike, split: str = "train", *, label_type: str = "auto"
) -> list[tuple[str, str]]:
    """Lists Cityscapes (fine annotations) image/label pairs.

    Layout:
    ```
    {root}/leftImg8bit/{split}/{city}/{city}_{seq}_{frame}_leftImg8bit.png
    {root}/gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_labelIds.png
    ```

    Args:
        root: str or path. Folder holding `leftImg8bit/` and `gtFine/`.
        split: str, defaults to `"train"`. One of `"train"`, `"val"`, `"test"`,
            `"trainval"` (train then val).
        label_type: str, defaults to `"auto"`. `"labelIds"` lists
            `*_gtFine_labelIds.png` (to be mapped to trainIds);
            `"labelTrainIds"` lists `*_gtFine_labelTrainIds.png` (made by
            cityscapesScripts' `createTrainIdLabelImgs`); `"auto"` takes
            labelTrainIds when every image has one, else labelIds.

    Returns:
        A sorted list of `(image_path, label_path)`. Label paths ending in
        `_labelTrainIds.png` already hold trainIds.

    Example:
    >>> from keras_sfnet.data import synthetic
    >>> import tempfile
    >>> root = synthetic.generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=2, num_val=1)
    >>> pairs = list_cityscapes(root, "val")
    >>> pairs[0][1].endswith("_gtFine_labelIds.png")
    True
    """
    if label_type not in ("auto", "labelIds", "labelTrainIds"):
        raise ValueError(
            "`label_type` must be one of ['auto', 'labelIds', 'labelTrainIds']. "
            f"Received: label_type={label_type!r}"
        )
    return list_splits(
        root, split, CITYSCAPES_SPLITS, CITYSCAPES_LAYOUT,
        lambda root, split: _list_split(root, split, label_type),
    )  # fmt: skip


def _list_split(root: str, split: str, label_type: str) -> list[tuple[str, str]]:
    image_dir = join_path(root, "leftImg8bit", split)
    label_dir = join_path(root, "gtFine", split)
    require_folders((image_dir, label_dir), CITYSCAPES_LAYOUT, root=root, split=split)
    what = "'*_leftImg8bit.png' images (in city sub-folders)"
    if label_type == "auto":
        images = match_in_subfolders(image_dir, image_dir, _image_name, (".png",), what)
        use_train_ids = all(
            file_system.exists(_label_path(label_dir, image, _SUFFIXES["labelTrainIds"]))
            for image, _ in images
        )
        label_type = "labelTrainIds" if use_train_ids else "labelIds"
        logger.info("Cityscapes %s: using *_gtFine_%s.png labels.", split, label_type)
    suffix = _SUFFIXES[label_type]
    return match_in_subfolders(
        image_dir, label_dir, lambda n: _label_name(n, suffix), (".png",), what
    )


def _image_name(name: str) -> str | None:
    return name if name.endswith("_leftImg8bit.png") else None


def _label_name(name: str, suffix: str) -> str | None:
    if not name.endswith("_leftImg8bit.png"):
        return None
    return name[: -len("_leftImg8bit.png")] + suffix


def _label_path(label_dir: str, image: str, suffix: str) -> str:
    city = os.path.basename(os.path.dirname(image))
    return join_path(label_dir, city, _label_name(os.path.basename(image), suffix))


SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        name="cityscapes", make_info=cityscapes_info, list_files=list_cityscapes,
        layout=CITYSCAPES_LAYOUT, cityscapes_space="cityscapes",
    ),
)  # fmt: skip
