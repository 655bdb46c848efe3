"""Colour class maps and blend them over images."""

import numpy as np

from keras_sfnet.visualize.palettes import check_palette


def _check_class_map(class_map) -> np.ndarray:
    class_map = np.asarray(class_map)
    if class_map.ndim != 2:
        raise ValueError(
            f"`class_map` must have shape (H, W). Received: class_map.shape={class_map.shape}"
        )
    if not (np.issubdtype(class_map.dtype, np.integer) or class_map.dtype == bool):
        raise TypeError(
            f"`class_map` must hold integer class ids. Received: class_map.dtype={class_map.dtype}"
        )
    return class_map.astype(np.int64)


def colorize(class_map: np.ndarray, palette=None, ignore_index: int = 255) -> np.ndarray:
    """Maps an `(H, W)` class-id map to an `(H, W, 3)` uint8 RGB image.

    Args:
        class_map: `(H, W)` integer array of class ids.
        palette: `(num_classes, 3)` RGB colours, row `i` for class `i`.
            Defaults to `CITYSCAPES_PALETTE` (19 Cityscapes train ids).
        ignore_index: value drawn black. Defaults to `255`.

    Returns:
        `(H, W, 3)` uint8 RGB image.

    Raises:
        ValueError: if a value is neither `ignore_index` nor in
            `[0, num_classes)`.

    Example:

    ```python
    rgb = keras_sfnet.visualize.colorize(prediction)  # (H, W) train ids
    ```
    """
    class_map = _check_class_map(class_map)
    palette = check_palette(palette)
    ignored = class_map == ignore_index
    bad = ~ignored & ((class_map < 0) | (class_map >= len(palette)))
    if bad.any():
        raise ValueError(
            f"`class_map` values must be in [0, {len(palette)}) or equal to "
            f"`ignore_index`={ignore_index}. Received values: "
            f"{sorted(np.unique(class_map[bad]).tolist())[:10]}"
        )
    out = palette[np.where(ignored, 0, class_map)]
    out[ignored] = 0
    return out


def overlay(
    image: np.ndarray,
    class_map: np.ndarray,
    palette=None,
    alpha: float = 0.5,
    ignore_index: int = 255,
) -> np.ndarray:
    """Blends the colourised `class_map` over an RGB `image`.

    `out = (1 - alpha) * image + alpha * colour` on labelled pixels; pixels
    equal to `ignore_index` keep the image unchanged.

    Args:
        image: `(H, W, 3)` RGB image, uint8 (or floats in [0, 255]).
        class_map: `(H, W)` integer class ids.
        palette: `(num_classes, 3)` RGB colours. Defaults to
            `CITYSCAPES_PALETTE`.
        alpha: float in [0, 1], weight of the colours. Defaults to `0.5`.
        ignore_index: value left uncoloured. Defaults to `255`.

    Returns:
        `(H, W, 3)` uint8 RGB image.

    Example:

    ```python
    blended = keras_sfnet.visualize.overlay(image, prediction, alpha=0.6)
    ```
    """
    image = np.asarray(image)
    class_map = _check_class_map(class_map)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"`image` must have shape (H, W, 3). Received: image.shape={image.shape}")
    if image.shape[:2] != class_map.shape:
        raise ValueError(
            "`image` and `class_map` must have the same height and width. Received: "
            f"image.shape={image.shape}, class_map.shape={class_map.shape}"
        )
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"`alpha` must be in [0, 1]. Received: alpha={alpha}")
    colours = colorize(class_map, palette, ignore_index).astype(np.float64)
    base = image.astype(np.float64)
    blended = (1.0 - alpha) * base + alpha * colours
    blended = np.where((class_map == ignore_index)[..., None], base, blended)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)
