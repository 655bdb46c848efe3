"""Dataset metadata: class names, colour palettes and label-value mappings.

`DatasetInfo` describes one label space: how many classes there are, their names
and colours, which value means "ignore", and how the values stored in the mask
files map to class indices. `get_dataset_info` returns the built-in descriptions
of every registered dataset (`keras_sfnet.data.registry`; re-exported here); make
a `DatasetInfo` directly for your own data.
"""

from __future__ import annotations

import colorsys
import dataclasses
import types
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from keras_sfnet.lazy_exports import lazy_exports

__all__ = [
    "ADE20K_CLASS_NAMES",
    "CAMVID_CLASS_NAMES",
    "CAMVID_PALETTE",
    "CITYSCAPES_CLASS_NAMES",
    "CITYSCAPES_LABEL_ID_TO_TRAIN_ID",
    "CITYSCAPES_LABELS",
    "CITYSCAPES_PALETTE",
    "DatasetInfo",
    "PASCAL_CONTEXT_CLASS_NAMES",
    "make_palette",
]

# Cityscapes label definitions (cityscapesScripts, `labels.py`):
# (name, labelId, trainId, RGB colour). trainId 255 = not used for training.
# "license plate" has labelId -1 in the official table; it never appears in the
# labelIds images, so it is left out here.
from keras_sfnet.names import (  # noqa: F401 (re-exported)
    BUILTIN_DATASETS,
    CITYSCAPES_CLASS_NAMES,
    CITYSCAPES_LABELS,
    CITYSCAPES_PALETTE,
)

#: Cityscapes labelId -> trainId for every labelId 0..33 (255 = ignore).
CITYSCAPES_LABEL_ID_TO_TRAIN_ID: Mapping[int, int] = types.MappingProxyType(
    {label_id: train_id for _, label_id, train_id, _ in CITYSCAPES_LABELS}
)


# CamVid in the SegNet layout (11 classes; value 11 = "Unlabelled"/void).
CAMVID_CLASS_NAMES: tuple[str, ...] = (
    "Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car",
    "Pedestrian", "Bicyclist",
)  # fmt: skip
CAMVID_PALETTE: tuple[tuple[int, int, int], ...] = (
    (128, 128, 128), (128, 0, 0), (192, 192, 128), (128, 64, 128), (60, 40, 222),
    (128, 128, 0), (192, 128, 128), (64, 64, 128), (64, 0, 128), (64, 64, 0), (0, 128, 192),
)  # fmt: skip

# ADE20K SceneParsing (ADEChallengeData2016) 150 classes, in label order 1..150
# (objectInfo150); value 0 = "other objects" (ignored).
ADE20K_CLASS_NAMES: tuple[str, ...] = (
    "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed", "windowpane",
    "grass", "cabinet", "sidewalk", "person", "earth", "door", "table", "mountain", "plant",
    "curtain", "chair", "car", "water", "painting", "sofa", "shelf", "house", "sea",
    "mirror", "rug", "field", "armchair", "seat", "fence", "desk", "rock", "wardrobe",
    "lamp", "bathtub", "railing", "cushion", "base", "box", "column", "signboard",
    "chest of drawers", "counter", "sand", "sink", "skyscraper", "fireplace",
    "refrigerator", "grandstand", "path", "stairs", "runway", "case", "pool table",
    "pillow", "screen door", "stairway", "river", "bridge", "bookcase", "blind",
    "coffee table", "toilet", "flower", "book", "hill", "bench", "countertop", "stove",
    "palm", "kitchen island", "computer", "swivel chair", "boat", "bar", "arcade machine",
    "hovel", "bus", "towel", "light", "truck", "tower", "chandelier", "awning",
    "streetlight", "booth", "television receiver", "airplane", "dirt track", "apparel",
    "pole", "land", "bannister", "escalator", "ottoman", "bottle", "buffet", "poster",
    "stage", "van", "ship", "fountain", "conveyer belt", "canopy", "washer", "plaything",
    "swimming pool", "stool", "barrel", "basket", "waterfall", "tent", "bag", "minibike",
    "cradle", "oven", "ball", "food", "step", "tank", "trade name", "microwave", "pot",
    "animal", "bicycle", "lake", "dishwasher", "screen", "blanket", "sculpture", "hood",
    "sconce", "vase", "traffic light", "tray", "ashcan", "fan", "pier", "crt screen",
    "plate", "monitor", "bulletin board", "shower", "radiator", "glass", "clock", "flag",
)  # fmt: skip

# Pascal Context, the common 59-class layout (values 1..59; 0 = background, ignored).
PASCAL_CONTEXT_CLASS_NAMES: tuple[str, ...] = (
    "aeroplane", "bag", "bed", "bedclothes", "bench", "bicycle", "bird", "boat", "book",
    "bottle", "building", "bus", "cabinet", "car", "cat", "ceiling", "chair", "cloth",
    "computer", "cow", "cup", "curtain", "dog", "door", "fence", "floor", "flower", "food",
    "grass", "ground", "horse", "keyboard", "light", "motorbike", "mountain", "mouse",
    "person", "plate", "platform", "pottedplant", "road", "rock", "sheep", "shelves",
    "sidewalk", "sign", "sky", "snow", "sofa", "table", "track", "train", "tree", "truck",
    "tvmonitor", "wall", "water", "window", "wood",
)  # fmt: skip



def make_palette(num_classes: int, seed: int = 0) -> np.ndarray:
    """Makes a deterministic palette of well separated colours.

    Hues follow the golden-ratio sequence; saturation and value alternate so that
    neighbouring class indices differ clearly.

    Args:
        num_classes: int. Number of colours.
        seed: int, defaults to 0. Offsets the hue sequence.

    Returns:
        A `(num_classes, 3)` uint8 array of RGB colours.

    Example:
    >>> make_palette(3).shape
    (3, 3)
    """
    colors = []
    for i in range(num_classes):
        hue = (seed * 0.1 + i * 0.6180339887498949) % 1.0
        sat = (0.55, 0.85, 0.7)[i % 3]
        val = (0.95, 0.7, 0.5)[(i // 3) % 3]
        r, g, b = colorsys.hsv_to_rgb(hue, sat, val)
        colors.append((round(r * 255), round(g * 255), round(b * 255)))
    return np.asarray(colors, dtype=np.uint8).reshape(num_classes, 3)


@dataclasses.dataclass(frozen=True, eq=False)
class DatasetInfo:
    """Describes the label space of a segmentation dataset.

    Values read from a mask file are turned into class indices by
    `label_mapping`: listed values become the given class index (or
    `ignore_index`); values not listed stay as they are, or become `ignore_index`
    when `unmapped_to_ignore=True`. After mapping, every value must lie in
    `[0, num_classes)` or equal `ignore_index`; anything else is reported as an
    error naming the file.

    Args:
        name: str. Dataset name, used in messages.
        num_classes: int. Number of classes (labels `0..num_classes-1`).
        class_names: sequence of `num_classes` str, or `None` for
            `"class_0"...`.
        palette: `(num_classes, 3)` RGB colours (any array-like of ints in
            0..255), or `None` for `make_palette(num_classes)`.
        ignore_index: int, defaults to 255. Label value that carries no class.
        label_mapping: mapping from on-disk value to class index (or
            `ignore_index`), or `None` when the files already hold class indices.
        unmapped_to_ignore: bool, defaults to `False`. With a `label_mapping`,
            send values it does not list to `ignore_index` instead of keeping them.
            This hides corrupt masks (any stray value trains as "ignore"); prefer
            listing every valid value, as the built-in datasets do, so that other
            values are reported.
        palette_indices: bool, defaults to `False`. The label files are palette
            PNGs whose palette *index* is the label value (Mapillary Vistas);
            otherwise palette PNGs are rejected.

    Example:
    >>> info = DatasetInfo(name="roads", num_classes=2,
    ...                    class_names=("background", "road"),
    ...                    label_mapping={0: 0, 1: 1, 254: 255})
    >>> info.palette.shape
    (2, 3)
    """

    name: str
    num_classes: int
    class_names: Sequence[str] | None = None
    palette: Any = None
    ignore_index: int = 255
    label_mapping: Mapping[int, int] | None = None
    unmapped_to_ignore: bool = False
    palette_indices: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.num_classes, (int, np.integer)) or self.num_classes < 1:
            raise ValueError(
                f"`num_classes` must be a positive int. Received: num_classes={self.num_classes!r}"
            )
        num_classes = int(self.num_classes)
        object.__setattr__(self, "num_classes", num_classes)
        if not 0 <= int(self.ignore_index) <= 65535:
            raise ValueError(
                "`ignore_index` must be in [0, 65535]. "
                f"Received: ignore_index={self.ignore_index!r}"
            )
        if 0 <= int(self.ignore_index) < num_classes:
            raise ValueError(
                "`ignore_index` must not be a class index (0..num_classes-1). "
                f"Received: ignore_index={self.ignore_index!r} with num_classes={num_classes}"
            )
        object.__setattr__(self, "ignore_index", int(self.ignore_index))

        names = self.class_names
        if names is None:
            names = tuple(f"class_{i}" for i in range(num_classes))
        names = tuple(str(n) for n in names)
        if len(names) != num_classes:
            raise ValueError(
                f"`class_names` must have `num_classes`={num_classes} entries. "
                f"Received: {len(names)} class_names"
            )
        object.__setattr__(self, "class_names", names)

        palette = make_palette(num_classes) if self.palette is None else self.palette
        palette = np.asarray(palette)
        if palette.shape != (num_classes, 3) or palette.min() < 0 or palette.max() > 255:
            raise ValueError(
                f"`palette` must be a ({num_classes}, 3) array of RGB values in 0..255. "
                f"Received: palette with shape {palette.shape}"
            )
        palette = palette.astype(np.uint8)
        palette.setflags(write=False)
        object.__setattr__(self, "palette", palette)

        if self.label_mapping is not None:
            mapping = {}
            for key, value in dict(self.label_mapping).items():
                key, value = int(key), int(value)
                if not 0 <= key <= 65535:
                    raise ValueError(
                        "`label_mapping` keys must be mask values in [0, 65535]. "
                        f"Received: key {key}"
                    )
                if not (0 <= value < num_classes or value == self.ignore_index):
                    raise ValueError(
                        "`label_mapping` values must be class indices "
                        f"(0..{num_classes - 1}) or ignore_index={self.ignore_index}. "
                        f"Received: {key} -> {value}"
                    )
                mapping[key] = value
            object.__setattr__(self, "label_mapping", types.MappingProxyType(mapping))

    def _key(self) -> tuple:
        mapping = None if self.label_mapping is None else tuple(sorted(self.label_mapping.items()))
        return (
            self.name,
            self.num_classes,
            self.class_names,
            self.palette.tobytes(),
            self.ignore_index,
            mapping,
            self.unmapped_to_ignore,
            self.palette_indices,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DatasetInfo):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def lookup_table(self, size: int = 65536) -> np.ndarray | None:
        """Returns the dense value -> class-index table, or `None` without a mapping.

        Args:
            size: int, defaults to 65536. Table length (largest mask value + 1).

        Returns:
            An int32 array `table` with `table[value]` the class index for each
            mask value, or `None` if `label_mapping` is `None`.

        Example:
        >>> from keras_sfnet.data import get_dataset_info
        >>> get_dataset_info("ade20k").lookup_table()[[0, 1, 150]].tolist()
        [255, 0, 149]
        """
        if self.label_mapping is None:
            return None
        if self.unmapped_to_ignore:
            table = np.full((size,), self.ignore_index, dtype=np.int32)
        else:
            table = np.arange(size, dtype=np.int32)
        for key, value in self.label_mapping.items():
            if key < size:
                table[key] = value
        return table

    def without_mapping(self) -> DatasetInfo:
        """Returns a copy whose mask files are taken to hold class indices already.

        Example:
        >>> from keras_sfnet.data import get_dataset_info
        >>> get_dataset_info("cityscapes").without_mapping().label_mapping is None
        True
        """
        return dataclasses.replace(self, label_mapping=None, unmapped_to_ignore=False)

    def colorize(self, label: np.ndarray) -> np.ndarray:
        """Paints a label map with the palette (ignore and unknown values black).

        Args:
            label: integer array of class indices, any shape.

        Returns:
            A uint8 array of shape `label.shape + (3,)`.

        Example:
        >>> from keras_sfnet.data import get_dataset_info
        >>> info = get_dataset_info("cityscapes")
        >>> info.colorize(np.array([[0, 255]])).tolist()
        [[[128, 64, 128], [0, 0, 0]]]
        """
        label = np.asarray(label)
        out = np.zeros(label.shape + (3,), dtype=np.uint8)
        valid = (label >= 0) & (label < self.num_classes)
        out[valid] = self.palette[label[valid]]
        return out


# `get_dataset_info` lives in the dataset registry (every lookup by name goes
# through it); it is re-exported here, lazily, because the registry imports this module.
__getattr__, _ = lazy_exports(__name__, {"keras_sfnet.data.registry": ("get_dataset_info",)})
__all__ += __getattr__("__all__")
