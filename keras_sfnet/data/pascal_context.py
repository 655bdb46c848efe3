"""Pascal Context, the 59-class layout: layout, listing, label space."""

from __future__ import annotations

import os

from keras_sfnet.data import file_system
from keras_sfnet.data.dataset_info import PASCAL_CONTEXT_CLASS_NAMES, DatasetInfo
from keras_sfnet.data.dataset_spec import DatasetSpec
from keras_sfnet.data.listing import check_root, existing_pair, join_path, missing_error

__all__ = ["PASCAL_CONTEXT_LAYOUT", "SPECS", "list_pascal_context", "pascal_context_info"]

PASCAL_CONTEXT_LAYOUT = """\
{root}/                        (e.g. VOCdevkit/VOC2010)
  JPEGImages/{id}.jpg
  SegmentationClassContext/{id}.png   (8-bit, 0 = background, 1..59 = classes)
  ImageSets/SegmentationContext/{split}.txt   (one image id per line)"""


def pascal_context_info(root: str | None = None) -> DatasetInfo:
    """The `DatasetInfo` of Pascal Context 59: value 0 (background) -> 255, 1..59 -> 0..58.

    The palette is `make_palette(59)`.

    Example:
    >>> pascal_context_info().num_classes
    59
    """
    return DatasetInfo(
        name="pascal_context", num_classes=59, class_names=PASCAL_CONTEXT_CLASS_NAMES,
        label_mapping={0: 255, **{i: i - 1 for i in range(1, 60)}},
    )  # fmt: skip


def list_pascal_context(root: str | os.PathLike, split: str = "train") -> list[tuple[str, str]]:
    """Lists Pascal Context (59 classes) image/label pairs.

    Layout (the `VOCdevkit/VOC2010` folder with the 59-class masks made by the
    usual conversion script, e.g. mmsegmentation's `pascal_context.py`):
    ```
    {root}/JPEGImages/{id}.jpg
    {root}/SegmentationClassContext/{id}.png   # 0 = background, 1..59 = classes
    {root}/ImageSets/SegmentationContext/{split}.txt   # one id per line
    ```

    Args:
        root: str or path. The folder holding the three sub-folders.
        split: str, defaults to `"train"`. Name of the id list (`"train"`,
            `"val"`).

    Returns:
        A list of `(image_path, label_path)` in the order of the id list.

    Example:
    >>> pairs = list_pascal_context("/data/VOCdevkit/VOC2010", "val")  # doctest: +SKIP
    """
    layout = PASCAL_CONTEXT_LAYOUT
    root = check_root(root, layout)
    list_path = join_path(root, "ImageSets", "SegmentationContext", f"{split}.txt")
    image_dir = join_path(root, "JPEGImages")
    label_dir = join_path(root, "SegmentationClassContext")
    for kind, path, check in (
        ("Split list", list_path, file_system.exists),
        ("Folder", image_dir, file_system.isdir),
        ("Folder", label_dir, file_system.isdir),
    ):
        if not check(path):
            raise missing_error(kind, path, layout, root=root, split=split)
    with file_system.open_text(list_path) as f:
        ids = [line.strip() for line in f if line.strip()]
    if not ids:
        raise FileNotFoundError(f"No image ids found in split list '{list_path}'.")
    return [
        existing_pair(
            join_path(image_dir, image_id + ".jpg"), join_path(label_dir, image_id + ".png"),
            f"listed in '{list_path}' (id {image_id!r})",
        )
        for image_id in ids
    ]


SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        name="pascal_context", make_info=pascal_context_info, list_files=list_pascal_context,
        layout=PASCAL_CONTEXT_LAYOUT,
        aliases=("pascalcontext", "pascal_context59"),
    ),
)  # fmt: skip
