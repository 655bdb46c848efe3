"""Colour palettes for segmentation maps."""

import numpy as np

CITYSCAPES_CLASS_NAMES = (
    "road",
    "sidewalk",
    "building",
    "wall",
    "fence",
    "pole",
    "traffic light",
    "traffic sign",
    "vegetation",
    "terrain",
    "sky",
    "person",
    "rider",
    "car",
    "truck",
    "bus",
    "train",
    "motorcycle",
    "bicycle",
)
"""The 19 Cityscapes evaluation classes, in train-id order."""

CITYSCAPES_PALETTE = np.array(
    [
        (128, 64, 128),
        (244, 35, 232),
        (70, 70, 70),
        (102, 102, 156),
        (190, 153, 153),
        (153, 153, 153),
        (250, 170, 30),
        (220, 220, 0),
        (107, 142, 35),
        (152, 251, 152),
        (70, 130, 180),
        (220, 20, 60),
        (255, 0, 0),
        (0, 0, 142),
        (0, 0, 70),
        (0, 60, 100),
        (0, 80, 100),
        (0, 0, 230),
        (119, 11, 32),
    ],
    dtype=np.uint8,
)
"""`(19, 3)` uint8 RGB colours of the Cityscapes train ids (official colours)."""
CITYSCAPES_PALETTE.setflags(write=False)


def check_palette(palette) -> np.ndarray:
    """Returns `palette` as a `(K, 3)` uint8 array, or raises a clear error."""
    if palette is None:
        return CITYSCAPES_PALETTE
    array = np.asarray(palette)
    if array.ndim != 2 or array.shape[1] != 3 or array.shape[0] < 1:
        raise ValueError(
            f"`palette` must have shape (num_classes, 3). Received: palette.shape={array.shape}"
        )
    if np.any(array < 0) or np.any(array > 255):
        raise ValueError("`palette` values must be in [0, 255].")
    return array.astype(np.uint8)
