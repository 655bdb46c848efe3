"""The driving datasets beyond Cityscapes, by name: their listing and label space.

Names (`DRIVING_DATASETS`): `"mapillary"` (Vistas v1.2, 66 labels),
`"mapillary_v2"` (v2.0, 124 labels), `"mapillary_19"` / `"mapillary_v2_19"`
(their 19-class Cityscapes mapping), `"bdd100k"` (19), `"idd"` (26 level-3
classes), `"idd_19"` (19), `"kitti"` (19, from Cityscapes labelIds).
`keras_sfnet.data.list_files`, `get_dataset_info` and `load_dataset` accept them
(through `keras_sfnet.data.registry`, which holds their specs).
"""

from __future__ import annotations

import os

from keras_sfnet.data.dataset_info import DatasetInfo
from keras_sfnet.data.registry import cityscapes_space_name, get_dataset_info, list_files

__all__ = [
    "DRIVING_DATASETS",
    "cityscapes_space_name",
    "driving_dataset_info",
    "list_driving_dataset",
]

from keras_sfnet.names import DRIVING_DATASETS  # noqa: F401 (re-exported)


def _driving_key(name: str) -> str:
    key = str(name).lower().replace("-", "_")
    if key not in DRIVING_DATASETS:
        raise ValueError(
            f"`name` must be one of {list(DRIVING_DATASETS)}. Received: name={name!r}"
        )
    return key


def driving_dataset_info(name: str, root: str | os.PathLike | None = None) -> DatasetInfo:
    """The `DatasetInfo` of a name of `DRIVING_DATASETS` (Mapillary: from `root`'s config).

    Example:
    >>> driving_dataset_info("idd_19").num_classes
    19
    """
    return get_dataset_info(_driving_key(name), root)


def list_driving_dataset(
    name: str, root: str | os.PathLike, split: str = "train"
) -> list[tuple[str, str]]:
    """Lists the image/label pairs of a name of `DRIVING_DATASETS`.

    Example:
    >>> pairs = list_driving_dataset("bdd100k", "/data/bdd100k/seg", "val")  # doctest: +SKIP
    """
    return list_files(_driving_key(name), root, split)
