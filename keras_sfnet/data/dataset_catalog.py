"""The driving datasets beyond Cityscapes, by name: their listing and label space.

Names (`DRIVING_DATASETS`): `"mapillary"` (Vistas v1.2, 66 labels),
`"mapillary_v2"` (v2.0, 124 labels), `"mapillary_19"` / `"mapillary_v2_19"`
(their 19-class Cityscapes mapping), `"bdd100k"` (19), `"idd"` (26 level-3
classes), `"idd_19"` (19), `"kitti"` (19, from Cityscapes labelIds).
`keras_sfnet.data.list_files`, `get_dataset_info` and `load_dataset` accept them.
"""

from __future__ import annotations

import os

from keras_sfnet.data.dataset_info import DatasetInfo

__all__ = [
    "DRIVING_DATASETS",
    "cityscapes_space_name",
    "driving_dataset_info",
    "list_driving_dataset",
]

from keras_sfnet.names import DRIVING_DATASETS  # noqa: F401 (re-exported)

# Datasets already in the 19 Cityscapes classes, and the 19-class variant of the others.
_CITYSCAPES_SPACE = {
    "cityscapes": "cityscapes", "kitti": "kitti", "bdd100k": "bdd100k",
    "mapillary": "mapillary_19", "mapillary_19": "mapillary_19",
    "mapillary_v2": "mapillary_v2_19", "mapillary_v2_19": "mapillary_v2_19",
    "idd": "idd_19", "idd_19": "idd_19",
}  # fmt: skip


def _key(name: str) -> str:
    return str(name).lower().replace("-", "_")


def cityscapes_space_name(name: str) -> str:
    """The name of a dataset's variant in the 19 Cityscapes classes.

    Example:
    >>> cityscapes_space_name("mapillary"), cityscapes_space_name("bdd100k")
    ('mapillary_19', 'bdd100k')
    """
    key = _key(name)
    if key not in _CITYSCAPES_SPACE:
        raise ValueError(
            f"Dataset {name!r} has no 19-class Cityscapes label space; datasets that have one: "
            f"{sorted(_CITYSCAPES_SPACE)}"
        )
    return _CITYSCAPES_SPACE[key]


def driving_dataset_info(name: str, root: str | os.PathLike | None = None) -> DatasetInfo:
    """The `DatasetInfo` of a name of `DRIVING_DATASETS` (Mapillary: from `root`'s config).

    Example:
    >>> driving_dataset_info("idd_19").num_classes
    19
    """
    from keras_sfnet.data.bdd100k import bdd100k_info
    from keras_sfnet.data.idd import idd_info
    from keras_sfnet.data.kitti import kitti_info
    from keras_sfnet.data.mapillary import mapillary_info

    key = _key(name)
    if key.startswith("mapillary") and key in DRIVING_DATASETS:
        version = "2.0" if key.startswith("mapillary_v2") else "1.2"
        space = "cityscapes" if key.endswith("_19") else "native"
        return mapillary_info(version, space, root=root)
    if key == "bdd100k":
        return bdd100k_info()
    if key in ("idd", "idd_19"):
        return idd_info("cityscapes" if key == "idd_19" else "native")
    if key == "kitti":
        return kitti_info()
    raise ValueError(f"`name` must be one of {list(DRIVING_DATASETS)}. Received: name={name!r}")


def list_driving_dataset(
    name: str, root: str | os.PathLike, split: str = "train"
) -> list[tuple[str, str]]:
    """Lists the image/label pairs of a name of `DRIVING_DATASETS`.

    Example:
    >>> pairs = list_driving_dataset("bdd100k", "/data/bdd100k/seg", "val")  # doctest: +SKIP
    """
    from keras_sfnet.data.bdd100k import list_bdd100k
    from keras_sfnet.data.idd import list_idd
    from keras_sfnet.data.kitti import list_kitti
    from keras_sfnet.data.mapillary import list_mapillary

    key = _key(name)
    if key.startswith("mapillary") and key in DRIVING_DATASETS:
        return list_mapillary(root, split, version="2.0" if "v2" in key else "1.2")
    if key == "bdd100k":
        return list_bdd100k(root, split)
    if key in ("idd", "idd_19"):
        return list_idd(root, split)
    if key == "kitti":
        return list_kitti(root, split)
    raise ValueError(f"`name` must be one of {list(DRIVING_DATASETS)}. Received: name={name!r}")
