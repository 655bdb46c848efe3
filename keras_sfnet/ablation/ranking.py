"""Rank agreement between two orderings of the same rows (Kendall's tau-b)."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["kendall_tau", "rank_descending"]


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b of two paired samples (ties counted as in ``scipy.stats.kendalltau``).

    ``tau_b = (C - D) / sqrt((n0 - n1) * (n0 - n2))`` over the ``n0 = n (n - 1) / 2``
    pairs: C concordant, D discordant, n1 pairs tied in ``x``, n2 tied in ``y``. 1 is
    the same order, -1 the reverse.

    Returns:
        float in [-1, 1], or None when it is undefined: fewer than 2 pairs, or all of
        ``x`` (or all of ``y``) equal.

    Raises:
        ValueError: if ``x`` and ``y`` differ in length.

    Example:
    >>> kendall_tau([1, 2, 3, 4], [1, 3, 2, 4])
    0.6666666666666666
    """
    x, y = [float(v) for v in x], [float(v) for v in y]
    if len(x) != len(y):
        raise ValueError(
            f"`x` and `y` must have the same length. Received: len(x)={len(x)}, len(y)={len(y)}"
        )
    n = len(x)
    concordant = discordant = ties_x = ties_y = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                ties_x += 1
                ties_y += 1
            elif dx == 0:
                ties_x += 1
            elif dy == 0:
                ties_y += 1
            elif (dx > 0) == (dy > 0):
                concordant += 1
            else:
                discordant += 1
    pairs = n * (n - 1) // 2
    denominator = math.sqrt((pairs - ties_x) * (pairs - ties_y))
    if denominator == 0:
        return None
    return (concordant - discordant) / denominator


def rank_descending(values: Sequence[float]) -> list[int]:
    """1-based ranks, highest value first; equal values share the best rank ("1, 2, 2, 4").

    Example:
    >>> rank_descending([77.5, 78.3, 77.5, 76.6])
    [2, 1, 2, 4]
    """
    values = [float(v) for v in values]
    return [1 + sum(other > v for other in values) for v in values]
