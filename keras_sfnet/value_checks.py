"""Argument checks shared by the data and inference settings (Keras-style messages).

Example:
>>> parse_pair((1, "2"), "window", int, "a (height, width) pair")
(1, 2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["parse_pair"]


def parse_pair(value: Any, name: str, convert: Callable[[Any], Any], expected: str) -> tuple:
    """`value` as a pair of `convert`ed items, else a `ValueError` naming `name`.

    Args:
        value: the argument; an iterable of exactly two items.
        name: str. The parameter, as the message names it.
        convert: the type of each item (e.g. `int`, `float`).
        expected: str. What the message says `name` must be (e.g. `"a pair (min, max)"`).

    Returns:
        `(first, second)`.

    Example:
    >>> parse_pair([0.5, 2], "scale_range", float, "a pair (min, max)")
    (0.5, 2.0)
    """
    try:
        first, second = (convert(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be {expected}. Received: {name}={value!r}") from None
    return first, second
