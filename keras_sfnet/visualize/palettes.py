"""Colour palettes for segmentation maps."""

import numpy as np

from keras_sfnet import names

CITYSCAPES_CLASS_NAMES = names.CITYSCAPES_CLASS_NAMES
"""The 19 Cityscapes evaluation classes, in train-id order."""

CITYSCAPES_PALETTE = np.array(names.CITYSCAPES_PALETTE, dtype=np.uint8)
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
