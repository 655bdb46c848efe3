"""Mapillary Vistas v1.2 (66 labels) and v2.0 (124 labels): layout, labels, 19-class mapping.

The dataset ships one `config.json` (v1.2) or `config_v2.0.json` / `config_v1.2.json`
(the v2.0 release) listing its labels in value order; the label PNGs are 8-bit
palette images whose palette *index* is the label value. `mapillary_info` reads
the label names from that file, so the native label space is whatever the copy
on disk declares (66 labels for v1.2, 124 for v2.0, "Unlabeled" included as the
last label, as mmsegmentation counts them).

The 19-class Cityscapes mapping (`mapillary_to_cityscapes`) is derived from the
readable label names by `cityscapes_class_of`; for v1.2 it reproduces the table
in the authors' `utils/mapillary_to_city.py`. `docs/datasets.md` lists every
mapped and dropped label.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from keras_sfnet.data import file_system
from keras_sfnet.data.dataset_info import (
    CITYSCAPES_CLASS_NAMES,
    CITYSCAPES_PALETTE,
    DatasetInfo,
    make_palette,
)
from keras_sfnet.data.dataset_spec import DatasetSpec
from keras_sfnet.data.listing import (
    join_path,
    list_images,
    list_splits,
    no_images_error,
    pair_by_stem,
    require_folders,
)

__all__ = [
    "MAPILLARY_V12_CLASS_NAMES",
    "MAPILLARY_V20_CLASS_NAMES",
    "MAPILLARY_VERSIONS",
    "SPECS",
    "cityscapes_class_of",
    "list_mapillary",
    "mapillary_config_path",
    "mapillary_info",
    "mapillary_to_cityscapes",
    "read_mapillary_config",
]

MAPILLARY_VERSIONS: tuple[str, ...] = ("1.2", "2.0")

# Readable label names in value order, as the datasets' config files list them.
MAPILLARY_V12_CLASS_NAMES: tuple[str, ...] = (
    "Bird", "Ground Animal", "Curb", "Fence", "Guard Rail", "Barrier", "Wall", "Bike Lane",
    "Crosswalk - Plain", "Curb Cut", "Parking", "Pedestrian Area", "Rail Track", "Road",
    "Service Lane", "Sidewalk", "Bridge", "Building", "Tunnel", "Person", "Bicyclist",
    "Motorcyclist", "Other Rider", "Lane Marking - Crosswalk", "Lane Marking - General",
    "Mountain", "Sand", "Sky", "Snow", "Terrain", "Vegetation", "Water", "Banner", "Bench",
    "Bike Rack", "Billboard", "Catch Basin", "CCTV Camera", "Fire Hydrant", "Junction Box",
    "Mailbox", "Manhole", "Phone Booth", "Pothole", "Street Light", "Pole",
    "Traffic Sign Frame", "Utility Pole", "Traffic Light", "Traffic Sign (Back)",
    "Traffic Sign (Front)", "Trash Can", "Bicycle", "Boat", "Bus", "Car", "Caravan",
    "Motorcycle", "On Rails", "Other Vehicle", "Trailer", "Truck", "Wheeled Slow",
    "Car Mount", "Ego Vehicle", "Unlabeled",
)  # fmt: skip

MAPILLARY_V20_CLASS_NAMES: tuple[str, ...] = (
    "Bird", "Ground Animal", "Ambiguous Barrier", "Concrete Block", "Curb", "Fence",
    "Guard Rail", "Barrier", "Road Median", "Road Side", "Lane Separator", "Temporary Barrier",
    "Wall", "Bike Lane", "Crosswalk - Plain", "Curb Cut", "Driveway", "Parking",
    "Parking Aisle", "Pedestrian Area", "Rail Track", "Road", "Road Shoulder", "Service Lane",
    "Sidewalk", "Traffic Island", "Bridge", "Building", "Garage", "Tunnel", "Person",
    "Person Group", "Bicyclist", "Motorcyclist", "Other Rider", "Lane Marking - Dashed Line",
    "Lane Marking - Straight Line", "Lane Marking - Zigzag Line", "Lane Marking - Ambiguous",
    "Lane Marking - Arrow (Left)", "Lane Marking - Arrow (Other)",
    "Lane Marking - Arrow (Right)", "Lane Marking - Arrow (Split Left or Straight)",
    "Lane Marking - Arrow (Split Right or Straight)", "Lane Marking - Arrow (Straight)",
    "Lane Marking - Crosswalk", "Lane Marking - Give Way (Row)",
    "Lane Marking - Give Way (Single)", "Lane Marking - Hatched (Chevron)",
    "Lane Marking - Hatched (Diagonal)", "Lane Marking - Other", "Lane Marking - Stop Line",
    "Lane Marking - Symbol (Bicycle)", "Lane Marking - Symbol (Other)", "Lane Marking - Text",
    "Lane Marking (only) - Dashed Line", "Lane Marking (only) - Crosswalk",
    "Lane Marking (only) - Other", "Lane Marking (only) - Test", "Mountain", "Sand", "Sky",
    "Snow", "Terrain", "Vegetation", "Water", "Banner", "Bench", "Bike Rack", "Catch Basin",
    "CCTV Camera", "Fire Hydrant", "Junction Box", "Mailbox", "Manhole", "Parking Meter",
    "Phone Booth", "Pothole", "Signage - Advertisement", "Signage - Ambiguous",
    "Signage - Back", "Signage - Information", "Signage - Other", "Signage - Store",
    "Street Light", "Pole", "Pole Group", "Traffic Sign Frame", "Utility Pole",
    "Traffic Cone", "Traffic Light - General (Single)", "Traffic Light - Pedestrians",
    "Traffic Light - General (Upright)", "Traffic Light - General (Horizontal)",
    "Traffic Light - Cyclists", "Traffic Light - Other", "Traffic Sign - Ambiguous",
    "Traffic Sign (Back)", "Traffic Sign - Direction (Back)",
    "Traffic Sign - Direction (Front)", "Traffic Sign (Front)", "Traffic Sign - Parking",
    "Traffic Sign - Temporary (Back)", "Traffic Sign - Temporary (Front)", "Trash Can",
    "Bicycle", "Boat", "Bus", "Car", "Caravan", "Motorcycle", "On Rails", "Other Vehicle",
    "Trailer", "Truck", "Vehicle Group", "Wheeled Slow", "Water Valve", "Car Mount",
    "Dynamic", "Ego Vehicle", "Ground", "Static", "Unlabeled",
)  # fmt: skip

# Exact readable names -> Cityscapes class. "Lane Marking - General" and
# "Manhole" lie on the road surface and "Curb" belongs to the sidewalk in the
# authors' table; riders of every kind are "rider"; "On Rails" is "train".
_EXACT: dict[str, str] = {
    "Road": "road",
    "Lane Marking - General": "road",
    "Manhole": "road",
    "Curb": "sidewalk",
    "Sidewalk": "sidewalk",
    "Building": "building",
    "Wall": "wall",
    "Fence": "fence",
    "Pole": "pole",
    "Utility Pole": "pole",
    "Traffic Light": "traffic light",
    "Traffic Sign (Front)": "traffic sign",
    "Vegetation": "vegetation",
    "Terrain": "terrain",
    "Sky": "sky",
    "Person": "person",
    "Person Group": "person",
    "Bicyclist": "rider",
    "Motorcyclist": "rider",
    "Other Rider": "rider",
    "Car": "car",
    "Truck": "truck",
    "Bus": "bus",
    "On Rails": "train",
    "Motorcycle": "motorcycle",
    "Bicycle": "bicycle",
}


def cityscapes_class_of(name: str) -> str | None:
    """The Cityscapes class a Mapillary label is trained as, or `None` (dropped).

    Rules, applied to the readable name: the exact names of the authors' v1.2
    table (`Road`, `Lane Marking - General`, `Manhole` -> road; `Curb`,
    `Sidewalk` -> sidewalk; `Pole`, `Utility Pole` -> pole; the three riders ->
    rider; `On Rails` -> train; ...); for the v2.0 names that split a v1.2
    label: the road-surface lane markings `Lane Marking - *` (but not
    `Lane Marking - Crosswalk`, dropped as in v1.2) -> road, every
    `Traffic Light - *` -> traffic light, front faces `Traffic Sign ... (Front)`
    -> traffic sign, and `Person Group` -> person (Cityscapes labels groups of
    people as person). Everything else is dropped (ignored).

    Args:
        name: str. A readable Mapillary label name.

    Returns:
        A name of `CITYSCAPES_CLASS_NAMES`, or `None`.

    Example:
    >>> cityscapes_class_of("Lane Marking - Arrow (Left)"), cityscapes_class_of("Bird")
    ('road', None)
    """
    if name in _EXACT:
        return _EXACT[name]
    if name.startswith("Lane Marking - ") and name != "Lane Marking - Crosswalk":
        return "road"
    if name.startswith("Traffic Light - "):
        return "traffic light"
    if name.startswith("Traffic Sign") and name.endswith("(Front)"):
        return "traffic sign"
    return None


def mapillary_to_cityscapes(class_names: Sequence[str]) -> dict[int, int]:
    """The label value -> Cityscapes trainId table of a Mapillary label list.

    Every value is listed: mapped labels give their trainId (0..18), dropped
    ones 255.

    Args:
        class_names: readable names in value order (e.g.
            `MAPILLARY_V12_CLASS_NAMES` or `read_mapillary_config(...)[0]`).

    Returns:
        A dict `{value: train_id}` with one entry per label.

    Example:
    >>> table = mapillary_to_cityscapes(MAPILLARY_V12_CLASS_NAMES)
    >>> table[13], table[24], table[23]
    (0, 0, 255)
    """
    index = {name: i for i, name in enumerate(CITYSCAPES_CLASS_NAMES)}
    table = {}
    for value, name in enumerate(class_names):
        target = cityscapes_class_of(name)
        table[value] = 255 if target is None else index[target]
    return table


def mapillary_config_path(root: str | os.PathLike, version: str = "1.2") -> str:
    """The label config file of a Mapillary copy (`config.json` or `config_v*.json`).

    Example:
    >>> mapillary_config_path("/data/mapillary", "2.0")  # doctest: +SKIP
    '/data/mapillary/config_v2.0.json'
    """
    version = _check_version(version)
    root = os.fspath(root)
    candidates = [f"config_v{version}.json"] + (["config.json"] if version == "1.2" else [])
    for name in candidates:
        path = join_path(root, name)
        if file_system.exists(path):
            return path
    raise FileNotFoundError(
        f"Mapillary v{version} label config not found: expected "
        f"{' or '.join(repr(join_path(root, n)) for n in candidates)}. Expected the layout:\n"
        f"{_LAYOUT}"
    )


def read_mapillary_config(path: str | os.PathLike) -> tuple[tuple[str, ...], list]:
    """Reads the readable label names and colours of a Mapillary config file.

    Args:
        path: str or path of `config.json` / `config_v2.0.json`.

    Returns:
        `(names, colors)`: label names in value order and their RGB colours.

    Example:
    >>> names, colors = read_mapillary_config("/data/mapillary/config.json")  # doctest: +SKIP
    """
    path = os.fspath(path)
    try:
        with file_system.open_text(path) as f:
            config = json.load(f)
        labels = config["labels"]
        names = tuple(str(label["readable"]) for label in labels)
        colors = [list(label.get("color", (0, 0, 0)))[:3] for label in labels]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"Mapillary config '{path}' must be JSON with a 'labels' list of objects holding "
            f"'readable' and 'color' ({type(error).__name__}: {error})."
        ) from None
    if not names:
        raise ValueError(f"Mapillary config '{path}' lists no labels.")
    return names, colors


def _check_version(version: str) -> str:
    version = str(version).lstrip("v")
    if version not in MAPILLARY_VERSIONS:
        raise ValueError(
            f"`version` must be one of {list(MAPILLARY_VERSIONS)}. Received: version={version!r}"
        )
    return version


def mapillary_info(
    version: str = "1.2", label_space: str = "native", root: str | os.PathLike | None = None
) -> DatasetInfo:
    """The `DatasetInfo` of Mapillary Vistas (native labels or 19 Cityscapes classes).

    Label PNGs are palette images read by index (`palette_indices=True`).

    Args:
        version: str, `"1.2"` (default) or `"2.0"`.
        label_space: str, `"native"` (every label of the config, 66 or 124
            classes) or `"cityscapes"` (19 classes through
            `mapillary_to_cityscapes`).
        root: str, path or `None`. Dataset folder: the label names are read
            from its config file; `None` uses the built-in name lists.

    Returns:
        A `DatasetInfo`.

    Example:
    >>> mapillary_info("2.0").num_classes, mapillary_info("1.2", "cityscapes").num_classes
    (124, 19)
    """
    version = _check_version(version)
    if root is not None:
        names, colors = read_mapillary_config(mapillary_config_path(root, version))
    else:
        names = MAPILLARY_V12_CLASS_NAMES if version == "1.2" else MAPILLARY_V20_CLASS_NAMES
        colors = make_palette(len(names))
    suffix = "" if version == "1.2" else "_v2"
    if label_space == "native":
        return DatasetInfo(
            name=f"mapillary{suffix}",
            num_classes=len(names),
            class_names=names,
            palette=colors,
            palette_indices=True,
        )
    if label_space == "cityscapes":
        return DatasetInfo(
            name=f"mapillary{suffix}_19",
            num_classes=19,
            class_names=CITYSCAPES_CLASS_NAMES,
            palette=CITYSCAPES_PALETTE,
            label_mapping=mapillary_to_cityscapes(names),
            palette_indices=True,
        )
    raise ValueError(
        "`label_space` must be one of ['native', 'cityscapes']. "
        f"Received: label_space={label_space!r}"
    )


_LAYOUT = """\
{root}/config.json                     (v1.2 release; or config_v1.2.json / config_v2.0.json)
  training/images/*.jpg                validation/images/*.jpg    testing/images/*.jpg
  training/labels/*.png                (v1.2 release; v2.0 release: training/v1.2/labels,
                                        training/v2.0/labels, likewise for validation)"""


_SPLIT_FOLDERS = {"train": "training", "training": "training", "val": "validation",
                  "validation": "validation"}  # fmt: skip


def list_mapillary(
    root: str | os.PathLike, split: str = "train", *, version: str = "1.2"
) -> list[tuple[str, str]]:
    """Lists Mapillary Vistas image/label pairs.

    Layout (as distributed; v1.2 labels in `{split}/labels` or `{split}/v1.2/labels`):
    ```
    {root}/config.json | config_v1.2.json | config_v2.0.json
    {root}/training/images/{key}.jpg
    {root}/training/labels/{key}.png  or  {root}/training/v{version}/labels/{key}.png
    {root}/validation/...
    ```

    Args:
        root: str or path. The Mapillary folder.
        split: str, defaults to `"train"`. `"train"`/`"training"`,
            `"val"`/`"validation"` or `"trainval"`.
        version: str, `"1.2"` (default) or `"2.0"`.

    Returns:
        A sorted list of `(image_path, label_path)`: `*.jpg` images, palette-index
        `*.png` labels.

    Example:
    >>> import tempfile
    >>> from keras_sfnet.synthetic import generate_synthetic_layout
    >>> root = generate_synthetic_layout(tempfile.mkdtemp(), "mapillary", num_train=2, num_val=1)
    >>> len(list_mapillary(root, "val")), len(list_mapillary(root, "trainval", version="1.2"))
    (1, 3)
    """
    version = _check_version(version)
    return list_splits(
        root, split, ("train", "val", "trainval", "training", "validation"), _LAYOUT,
        lambda root, split: _list_split(root, split, version),
    )  # fmt: skip


def _list_split(root: str, split: str, version: str) -> list[tuple[str, str]]:
    mapillary_config_path(root, version)
    base = join_path(root, _SPLIT_FOLDERS[split])
    image_dir = join_path(base, "images")
    label_dir = join_path(base, f"v{version}", "labels")
    if version == "1.2" and not file_system.isdir(label_dir):
        label_dir = join_path(base, "labels")
    require_folders((image_dir, label_dir), _LAYOUT, root=root, split=split)
    images = list_images(image_dir, (".jpg", ".jpeg", ".png"))
    if not images:
        raise no_images_error(image_dir, "'*.jpg' images")
    return pair_by_stem(images, label_dir, ".png")


def _spec(version: str, space: str) -> DatasetSpec:
    suffix = "" if version == "1.2" else "_v2"
    name = f"mapillary{suffix}" + ("_19" if space == "cityscapes" else "")
    return DatasetSpec(
        name=name,
        make_info=lambda root=None: mapillary_info(version, space, root=root),
        list_files=lambda root, split="train": list_mapillary(root, split, version=version),
        layout=_LAYOUT,
        cityscapes_space=f"mapillary{suffix}_19",
        folder=f"mapillary{suffix}",
    )


SPECS: tuple[DatasetSpec, ...] = tuple(
    _spec(version, space) for version in MAPILLARY_VERSIONS for space in ("native", "cityscapes")
)
