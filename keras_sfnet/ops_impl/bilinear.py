"""The bilinear corners of a sampling grid, written once for every backend's warp.

Backend-neutral: the caller passes its own ``floor`` and integer cast (``tf`` or
``keras.ops``), so each warp keeps the ops its runtime and exporters need.

Example:
>>> import numpy as np
>>> corners = bilinear_corners(np.array([0.25]), np.array([1.5]), np.floor,
...                            lambda v: v.astype(np.int32))
>>> [(int(y[0]), int(x[0]), float(w[0])) for y, x, w in corners]
[(1, 0, 0.375), (1, 1, 0.125), (2, 0, 0.375), (2, 1, 0.125)]
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["bilinear_corners", "weighted_corner_sum"]


def bilinear_corners(x, y, floor: Callable, to_int: Callable) -> tuple:
    """``((y0, x0, w00), (y0, x1, w01), (y1, x0, w10), (y1, x1, w11))`` of points ``(x, y)``.

    Args:
        x, y: float source-pixel coordinates (any shape, the same for both).
        floor: the backend's elementwise floor.
        to_int: the backend's cast to int32.
    """
    x0f = floor(x)
    y0f = floor(y)
    wx1 = x - x0f
    wy1 = y - y0f
    wx0 = 1.0 - wx1
    wy0 = 1.0 - wy1
    x0 = to_int(x0f)
    y0 = to_int(y0f)
    x1 = x0 + 1
    y1 = y0 + 1
    return ((y0, x0, wy0 * wx0), (y0, x1, wy0 * wx1), (y1, x0, wy1 * wx0), (y1, x1, wy1 * wx1))


def weighted_corner_sum(corner: Callable, corners: tuple):
    """``corner(y0, x0, w00) + corner(y0, x1, w01) + ...``, summed left to right.

    Example:
    >>> weighted_corner_sum(lambda y, x, w: w, ((0, 0, 0.5), (0, 1, 0.25)))
    0.75
    """
    total = None
    for yi, xi, weight in corners:
        value = corner(yi, xi, weight)
        total = value if total is None else total + value
    return total
