"""Sliding-window inference: overlapping tiles, logits averaged where they overlap."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from keras import ops

from keras_sfnet.value_checks import parse_pair

__all__ = ["sliding_window_boxes", "sliding_window_logits", "sliding_window_tensor"]


def window_pair(window, name: str = "window") -> tuple[int, int]:
    if isinstance(window, (int, np.integer)) and not isinstance(window, bool):
        window = (int(window), int(window))
    height, width = parse_pair(window, name, int, "an int or a (height, width) pair")
    if height < 1 or width < 1:
        raise ValueError(f"`{name}` must be positive. Received: {name}={window!r}")
    return height, width


def _starts(size: int, window: int, stride: int) -> list[int]:
    if size <= window:
        return [0]
    count = math.ceil((size - window) / stride) + 1
    return sorted({min(i * stride, size - window) for i in range(count)})


def sliding_window_boxes(
    height: int, width: int, window, overlap: float = 1 / 3
) -> list[tuple[int, int, int, int]]:
    """Tiles covering an image, as `(top, left, bottom, right)` boxes.

    Tiles are `window` large (clipped to the image where it is smaller, so a
    window at least as large as the image gives the whole image as one tile),
    start every `ceil(window * (1 - overlap))` pixels, and the last row/column
    of tiles is moved back to end at the image border, as in the authors'
    evaluation script.

    Args:
        height: int. Image height.
        width: int. Image width.
        window: int or `(height, width)`. Tile size.
        overlap: float in [0, 1), defaults to 1/3. Fraction of a tile shared
            with its neighbour.

    Returns:
        A list of boxes, row by row.

    Example:
    >>> sliding_window_boxes(100, 200, 100, overlap=0.5)
    [(0, 0, 100, 100), (0, 50, 100, 150), (0, 100, 100, 200)]
    """
    win_h, win_w = window_pair(window)
    if not 0.0 <= float(overlap) < 1.0:
        raise ValueError(f"`overlap` must be in [0, 1). Received: overlap={overlap!r}")
    stride_h = max(1, math.ceil(win_h * (1.0 - overlap)))
    stride_w = max(1, math.ceil(win_w * (1.0 - overlap)))
    tile_h, tile_w = min(win_h, height), min(win_w, width)
    return [
        (top, left, top + tile_h, left + tile_w)
        for top in _starts(height, win_h, stride_h)
        for left in _starts(width, win_w, stride_w)
    ]


def sliding_window_logits(
    logits_fn: Callable[[np.ndarray], np.ndarray],
    images: np.ndarray,
    window,
    overlap: float = 1 / 3,
) -> np.ndarray:
    """Runs `logits_fn` on overlapping tiles and averages the logits per pixel.

    Args:
        logits_fn: callable `(N, h, w, 3) -> (N, h, w, C)` on normalised images
            (e.g. from `logits_function`).
        images: float32 `(N, H, W, 3)` normalised images.
        window: int or `(height, width)`. Tile size (the model's input size).
        overlap: float in [0, 1), defaults to 1/3.

    Returns:
        float32 `(N, H, W, C)` logits.

    Example:
    >>> fn = lambda x: x[..., :2]  # a stand-in "model"
    >>> sliding_window_logits(fn, np.ones((1, 8, 8, 3), np.float32), 4).shape
    (1, 8, 8, 2)
    """
    images = np.asarray(images, np.float32)

    def call(x):
        return ops.convert_to_tensor(np.asarray(logits_fn(ops.convert_to_numpy(x)), np.float32))

    return ops.convert_to_numpy(
        sliding_window_tensor(call, ops.convert_to_tensor(images), window, overlap)
    )


def sliding_window_tensor(
    call: Callable, images, window, overlap: float
):
    """Graph code of `sliding_window_logits`: tiles batched into one `call`, averaged.

    `images` must have a static shape; a window covering the image calls `call` on
    the images unchanged. Used inside `augmented_logits_function`'s compiled graph.

    Args:
        call: `(n, h, w, 3) -> (n, h, w, C)` tensor function.
        images: `(N, H, W, 3)` tensor with a static shape.
        window: int or `(height, width)`.
        overlap: float in [0, 1).

    Returns:
        float32 `(N, H, W, C)` tensor.

    Example:
    >>> tuple(sliding_window_tensor(lambda x: x[..., :2], ops.ones([1, 8, 8, 3]), 4, 0.5).shape)
    (1, 8, 8, 2)
    """
    num, height, width = (int(d) for d in images.shape[:3])
    boxes = sliding_window_boxes(height, width, window, overlap)
    if len(boxes) == 1:
        return ops.cast(call(images), "float32")
    tiles = ops.concatenate(
        [images[:, top:bot, left:right] for top, left, bot, right in boxes], axis=0
    )
    tile_logits = ops.cast(call(tiles), "float32")
    total = None
    count = np.zeros((1, height, width, 1), np.float32)
    for i, (top, left, bottom, right) in enumerate(boxes):
        padded = ops.pad(
            tile_logits[i * num : (i + 1) * num],
            [[0, 0], [top, height - bottom], [left, width - right], [0, 0]],
        )
        total = padded if total is None else total + padded
        count[:, top:bottom, left:right] += 1.0
    return total / ops.convert_to_tensor(count)
