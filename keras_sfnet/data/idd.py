"""IDD (India Driving Dataset) segmentation: layout, level-3 labels, 19-class mapping.

Labels are the `*_gtFine_labellevel3Ids.png` files made by IDD's own
`createLabels.py --id-type level3Ids` from the distributed polygons: 26 classes
(values 0..25), 255 = void. `IDD_LEVEL3_TO_CITYSCAPES` maps them to the 19
Cityscapes trainIds following the csTrainId column of IDD's label table (the
one the authors' `idd_labels.py` uses); `docs/datasets.md` lists every class.
"""

from __future__ import annotations

import os

from keras_sfnet.data.dataset_info import CITYSCAPES_CLASS_NAMES, CITYSCAPES_PALETTE, DatasetInfo
from keras_sfnet.data.dataset_spec import DatasetSpec
from keras_sfnet.data.listing import join_path, list_splits, match_in_subfolders, require_folders

__all__ = ["IDD_LEVEL3_CLASS_NAMES", "IDD_LEVEL3_TO_CITYSCAPES", "SPECS", "idd_info", "list_idd"]

#: IDD level-3 classes in value order (0..25).
IDD_LEVEL3_CLASS_NAMES: tuple[str, ...] = (
    "road", "drivable fallback", "sidewalk", "non-drivable fallback", "person", "rider",
    "motorcycle", "bicycle", "autorickshaw", "car", "truck", "bus", "vehicle fallback",
    "curb", "wall", "fence", "guard rail", "billboard", "traffic sign", "traffic light",
    "pole", "obs-str-bar-fallback", "building", "bridge", "vegetation", "sky",
)  # fmt: skip

_LEVEL3_PALETTE = (
    (128, 64, 128), (81, 0, 81), (244, 35, 232), (152, 251, 152), (220, 20, 60), (255, 0, 0),
    (0, 0, 230), (119, 11, 32), (255, 204, 54), (0, 0, 142), (0, 0, 70), (0, 60, 100),
    (136, 143, 153), (220, 190, 40), (102, 102, 156), (190, 153, 153), (180, 165, 180),
    (174, 64, 67), (220, 220, 0), (250, 170, 30), (153, 153, 153), (169, 187, 214),
    (70, 70, 70), (150, 100, 100), (107, 142, 35), (70, 130, 180),
)  # fmt: skip

# Level-3 class -> Cityscapes class (None = ignored). A level-3 class takes the
# csTrainId of the level-4 labels it groups where they agree; where they do not,
# the larger one decides: "non-drivable fallback" (with the small "rail track")
# -> terrain, "person" (with "animal") -> person, "sky" (with "fallback
# background") -> sky; "vehicle fallback" (caravan, trailer, train, vehicle
# fallback) is dropped.
_LEVEL3_CITYSCAPES: dict[str, str | None] = {
    "road": "road", "drivable fallback": None, "sidewalk": "sidewalk",
    "non-drivable fallback": "terrain", "person": "person", "rider": "rider",
    "motorcycle": "motorcycle", "bicycle": "bicycle", "autorickshaw": None, "car": "car",
    "truck": "truck", "bus": "bus", "vehicle fallback": None, "curb": None, "wall": "wall",
    "fence": "fence", "guard rail": None, "billboard": None, "traffic sign": "traffic sign",
    "traffic light": "traffic light", "pole": "pole", "obs-str-bar-fallback": None,
    "building": "building", "bridge": None, "vegetation": "vegetation", "sky": "sky",
}  # fmt: skip

#: Level-3 value -> Cityscapes trainId (255 = ignored), every value 0..25 listed.
IDD_LEVEL3_TO_CITYSCAPES: dict[int, int] = {
    value: 255 if _LEVEL3_CITYSCAPES[name] is None
    else CITYSCAPES_CLASS_NAMES.index(_LEVEL3_CITYSCAPES[name])
    for value, name in enumerate(IDD_LEVEL3_CLASS_NAMES)
}  # fmt: skip

_LAYOUT = """\
{root}/   (IDD_Segmentation)
  leftImg8bit/{split}/{seq}/{frame}_leftImg8bit.png
  gtFine/{split}/{seq}/{frame}_gtFine_labellevel3Ids.png
    (made by IDD's public-code: createLabels.py --id-type level3Ids)"""


def idd_info(label_space: str = "native") -> DatasetInfo:
    """The `DatasetInfo` of IDD: 26 level-3 classes, or the 19 Cityscapes classes.

    Args:
        label_space: str, `"native"` (default) or `"cityscapes"`.

    Example:
    >>> idd_info().num_classes, idd_info("cityscapes").label_mapping[3]
    (26, 9)
    """
    if label_space == "native":
        return DatasetInfo(
            name="idd", num_classes=26, class_names=IDD_LEVEL3_CLASS_NAMES,
            palette=_LEVEL3_PALETTE,
        )  # fmt: skip
    if label_space == "cityscapes":
        return DatasetInfo(
            name="idd_19", num_classes=19, class_names=CITYSCAPES_CLASS_NAMES,
            palette=CITYSCAPES_PALETTE, label_mapping=IDD_LEVEL3_TO_CITYSCAPES,
        )  # fmt: skip
    raise ValueError(
        "`label_space` must be one of ['native', 'cityscapes']. "
        f"Received: label_space={label_space!r}"
    )


def list_idd(root: str | os.PathLike, split: str = "train") -> list[tuple[str, str]]:
    """Lists IDD segmentation image/label pairs (level-3 label PNGs).

    Args:
        root: str or path. `IDD_Segmentation` (holding `leftImg8bit/`, `gtFine/`).
        split: str, defaults to `"train"`. `"train"`, `"val"` or `"trainval"`.

    Returns:
        A sorted list of `(image_path, label_path)`, the labels
        `gtFine/{split}/{seq}/{frame}_gtFine_labellevel3Ids.png` (values 0..25, 255 = void).

    Example:
    >>> import tempfile
    >>> from keras_sfnet.synthetic import generate_synthetic_layout
    >>> root = generate_synthetic_layout(tempfile.mkdtemp(), "idd", num_train=2, num_val=1)
    >>> image, label = list_idd(root, "val")[0]
    >>> label.endswith("_gtFine_labellevel3Ids.png")
    True
    """
    return list_splits(root, split, ("train", "val", "trainval"), _LAYOUT, _list_split)


def _list_split(root: str, split: str) -> list[tuple[str, str]]:
    image_dir, label_dir = join_path(root, "leftImg8bit", split), join_path(root, "gtFine", split)
    require_folders((image_dir, label_dir), _LAYOUT, root=root, split=split)
    return match_in_subfolders(
        image_dir, label_dir, lambda name: f"{name.split('_')[0]}_gtFine_labellevel3Ids.png",
        (".png", ".jpg"), "'*_leftImg8bit.png' images (in sequence sub-folders)",
    )  # fmt: skip


SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        name="idd", make_info=lambda root=None: idd_info("native"), list_files=list_idd,
        layout=_LAYOUT, cityscapes_space="idd_19",
    ),
    DatasetSpec(
        name="idd_19", make_info=lambda root=None: idd_info("cityscapes"),
        list_files=list_idd, layout=_LAYOUT, cityscapes_space="idd_19", folder="idd",
    ),
)  # fmt: skip
