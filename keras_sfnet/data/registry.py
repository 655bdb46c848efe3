"""The registry of datasets by name: every lookup by name goes through it.

Each dataset module declares its `DatasetSpec`s as data (`SPECS`); this module
collects them into one table keyed by name and alias. `get_dataset_info`,
`list_files`, `load_dataset`, the trainer and export calibration all resolve
names here, so an alias (`"pascal_context59"`, `"ade"`) works everywhere.
Merged datasets (`"cityscapes+mapillary+bdd100k"`) are resolved here too:
each member in its 19 Cityscapes classes.

Example:
>>> get_dataset_info("pascal_context59").num_classes
59
>>> parse_merged_name("cityscapes+mapillary+idd")
['cityscapes', 'mapillary_19', 'idd_19']
"""

from __future__ import annotations

import inspect
import os
import types
from collections.abc import Mapping

from keras_sfnet.data import (
    ade20k,
    bdd100k,
    camvid,
    cityscapes,
    idd,
    kitti,
    mapillary,
    pascal_context,
)
from keras_sfnet.data.dataset_info import DatasetInfo
from keras_sfnet.data.dataset_spec import DatasetSpec
from keras_sfnet.data.folder import list_folder_dataset
from keras_sfnet.data.listing import join_path

__all__ = [
    "DATASET_SPECS",
    "FOLDER",
    "cityscapes_space_name",
    "dataset_key",
    "dataset_names",
    "get_dataset_info",
    "get_dataset_spec",
    "is_merged_name",
    "list_files",
    "member_folder_name",
    "merged_dataset_members",
    "merged_files",
    "parse_merged_name",
]

#: Canonical name -> `DatasetSpec` of every built-in dataset, in a stable order.
DATASET_SPECS: Mapping[str, DatasetSpec] = types.MappingProxyType({
    spec.name: spec
    for module in (cityscapes, camvid, ade20k, pascal_context, mapillary, bdd100k, idd, kitti)
    for spec in module.SPECS
})  # fmt: skip

_BY_NAME: Mapping[str, DatasetSpec] = types.MappingProxyType(
    {alias: spec for spec in DATASET_SPECS.values() for alias in spec.names}
)

#: The generic dataset of `list_files(name="folder")`; its `DatasetInfo` is the caller's.
FOLDER = "folder"


def dataset_key(name: str) -> str:
    """A dataset name as looked up: lower case, `-` read as `_`.

    Example:
    >>> dataset_key("Pascal-Context")
    'pascal_context'
    """
    return str(name).strip().lower().replace("-", "_")


def is_merged_name(name: str) -> bool:
    """Whether `name` joins several datasets with `+` (`"cityscapes+bdd100k"`)."""
    return "+" in str(name)


def dataset_names(*, aliases: bool = False) -> list[str]:
    """The registered dataset names (canonical, or every alias too).

    Example:
    >>> dataset_names()[:3]
    ['cityscapes', 'camvid', 'ade20k']
    """
    return list(_BY_NAME) if aliases else list(DATASET_SPECS)


def get_dataset_spec(name: str) -> DatasetSpec:
    """The `DatasetSpec` of a registered dataset name or alias.

    Example:
    >>> get_dataset_spec("ade").name
    'ade20k'
    """
    spec = _BY_NAME.get(dataset_key(name))
    if spec is None:
        raise ValueError(
            f"`name` must be one of {dataset_names()}. Received: name={name!r}"
        )
    return spec


def get_dataset_info(name: str, root: str | os.PathLike | None = None) -> DatasetInfo:
    """Returns the `DatasetInfo` of a built-in dataset.

    - `"cityscapes"`: the 19 trainId classes; `label_mapping` is the full
      labelId -> trainId table (values without a training class -> 255).
    - `"camvid"`: 11 classes of the SegNet layout; value 11 (void) -> 255.
    - `"ade20k"` (`"ade"`): 150 classes; value 0 -> 255, values 1..150 -> 0..149.
    - `"pascal_context"` (`"pascal_context59"`): 59 classes; 0 -> 255.
    - the driving datasets (`"mapillary"`, `"mapillary_19"`, `"mapillary_v2"`,
      `"mapillary_v2_19"`, `"bdd100k"`, `"idd"`, `"idd_19"`, `"kitti"`).

    Args:
        name: str. A name or alias of `dataset_names()`.
        root: str or `None`. Dataset folder; Mapillary reads its label names
            from the folder's config file (`None`: the built-in names).

    Returns:
        A `DatasetInfo`.

    Example:
    >>> info = get_dataset_info("cityscapes")
    >>> info.num_classes, info.class_names[0], info.label_mapping[7]
    (19, 'road', 0)
    """
    return get_dataset_spec(name).dataset_info(root)


def list_files(
    name: str, root: str | os.PathLike, split: str | None = "train", **folder_options
) -> list[tuple[str, str]]:
    """Lists the image/label pairs of a dataset in its standard layout.

    Args:
        name: str. A registered name or alias (`dataset_names()`), `"folder"`
            for a generic dataset, or 19-class datasets joined by `+` (all
            members' files in turn; `root` as in `merged_files`).
        root: str or path. Dataset folder.
        split: str or `None`. Split name. For `"folder"`, images are taken from
            `{root}/{images_dir}/{split}` when that folder exists, else from
            `{root}/{images_dir}`.
        **folder_options: the keyword arguments of `list_folder_dataset`
            (`"folder"` only; other datasets ignore them): `images_dir`
            (defaults to `"images"`), `masks_dir` (`"masks"`), `mask_suffix`
            (`""`, see `list_folder`) and `list_file` (a list file of
            `"image mask"` lines, relative to `root`, used instead of folders).

    Returns:
        A list of `(image_path, label_path)`.

    Example:
    >>> pairs = list_files("camvid", "/data/CamVid", "train")  # doctest: +SKIP
    """
    inspect.signature(list_folder_dataset).bind(root, split, **folder_options)  # TypeError if unknown
    key = dataset_key(name)
    if is_merged_name(key):
        return [pair for files, _ in merged_files(key, root, split) for pair in files]
    if key == FOLDER:
        return list_folder_dataset(root, split, **folder_options)
    if key not in _BY_NAME:
        raise ValueError(
            f"`name` must be one of {[*dataset_names(), FOLDER]}. Received: name={name!r}"
        )
    return _BY_NAME[key].list_files(root, split)


def cityscapes_space_name(name: str) -> str:
    """The name of a dataset's variant in the 19 Cityscapes classes.

    Example:
    >>> cityscapes_space_name("mapillary"), cityscapes_space_name("bdd100k")
    ('mapillary_19', 'bdd100k')
    """
    spec = _BY_NAME.get(dataset_key(name))
    if spec is None or spec.cityscapes_space is None:
        spaces = sorted(a for a, s in _BY_NAME.items() if s.cityscapes_space is not None)
        raise ValueError(
            f"Dataset {name!r} has no 19-class Cityscapes label space; datasets that have one: "
            f"{spaces}"
        )
    return spec.cityscapes_space


def parse_merged_name(name: str) -> list[str]:
    """Splits `"cityscapes+mapillary+bdd100k"` into member names (each its 19-class variant).

    Example:
    >>> parse_merged_name("cityscapes+mapillary+idd")
    ['cityscapes', 'mapillary_19', 'idd_19']
    """
    parts = [dataset_key(p) for p in str(name).split("+")]
    if len(parts) < 2 or not all(parts):
        raise ValueError(
            "A merged dataset name joins two or more dataset names with '+', e.g. "
            f"'cityscapes+mapillary+bdd100k+idd'. Received: {name!r}"
        )
    members = [cityscapes_space_name(p) for p in parts]
    if len(set(members)) != len(members):
        raise ValueError(f"A merged dataset lists a dataset twice. Received: {name!r}")
    return members


def member_folder_name(member: str) -> str:
    """The sub-folder (and `weights` key) of a merged dataset's member: `"mapillary_19"` -> `"mapillary"`.

    Example:
    >>> member_folder_name("mapillary_v2_19")
    'mapillary_v2'
    """
    return get_dataset_spec(member).folder_name


def _member_root(member: str, roots: str | os.PathLike | Mapping[str, str]) -> str:
    base = member_folder_name(member)
    if isinstance(roots, Mapping):
        for key in (member, base, base.split("_")[0]):
            if key in roots:
                return os.fspath(roots[key])
        raise ValueError(
            f"`roots` has no folder for dataset '{base}'. Received: roots={dict(roots)!r}"
        )
    return join_path(os.fspath(roots), base)


def merged_dataset_members(
    name: str, roots: str | os.PathLike | Mapping[str, str]
) -> list[tuple[str, str, DatasetInfo]]:
    """`(member name, root, DatasetInfo)` of each member of a merged dataset.

    Args:
        name: str, e.g. `"cityscapes+mapillary+bdd100k+idd"`.
        roots: a folder holding one sub-folder per dataset, named as the
            dataset (`cityscapes/`, `mapillary/`, `bdd100k/`, `idd/`), or a
            mapping from dataset name to folder.

    Example:
    >>> merged_dataset_members("cityscapes+bdd100k", "/data")  # doctest: +SKIP
    [('cityscapes', '/data/cityscapes', ...), ('bdd100k', '/data/bdd100k', ...)]
    """
    members = []
    for member in parse_merged_name(name):
        root = _member_root(member, roots)
        info = get_dataset_info(member, root if member.startswith("mapillary") else None)
        members.append((member, root, info))
    first = members[0][2]
    for member, _, info in members[1:]:
        if (info.num_classes, info.class_names, info.ignore_index) != (
            first.num_classes, first.class_names, first.ignore_index,
        ):  # fmt: skip
            raise ValueError(
                f"Merged datasets must share one label space: '{member}' has "
                f"{info.num_classes} classes {list(info.class_names)[:3]}..., "
                f"'{members[0][0]}' has {first.num_classes}."
            )
    return members


def merged_files(
    name: str, roots: str | os.PathLike | Mapping[str, str], split: str = "train"
) -> list[tuple[list[tuple[str, str]], DatasetInfo]]:
    """The `(files, info)` of each member of a merged dataset for one split.

    Example:
    >>> sources = merged_files("cityscapes+idd", "/data", "val")  # doctest: +SKIP
    """
    return [
        (list_files(member, root, split), info)
        for member, root, info in merged_dataset_members(name, roots)
    ]
