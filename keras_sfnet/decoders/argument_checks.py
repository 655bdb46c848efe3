"""Argument checks shared by the decoder layers and SFNet's decoder switches.

Each check raises a keras-style ``ValueError`` naming the argument as the caller
spells it (``kernel_size`` on a layer, ``flow_kernel_size`` on :class:`SFNet`), so the
rules are written once and the messages still point at the right argument.

Example:
>>> check_choice("upsampling", "nearest", ("bilinear", "nearest"))
'nearest'
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

__all__ = [
    "check_choice",
    "check_fam_options",
    "check_levels",
    "check_odd_kernel",
    "pyramid_as_list",
    "select_levels",
]


def check_choice(name: str, value, choices: Sequence):
    """Returns ``value`` if it is one of ``choices``, else raises naming ``name``."""
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}. Received: {name}={value!r}")
    return value


def check_odd_kernel(name: str, value) -> int:
    """Returns ``int(value)`` for a positive odd integer (symmetric padding ``k // 2``)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 1
        or value % 2 != 1
    ):
        raise ValueError(
            f"`{name}` must be a positive odd integer (symmetric padding). "
            f"Received: {name}={value!r}"
        )
    return int(value)


def check_fam_options(alignment: str, options: dict) -> None:
    """Refuses FAM-only options (``{argument name: (value, default)}``) with ``"dcn"``."""
    if alignment != "dcn":
        return
    changed = {name: value for name, (value, default) in options.items() if value != default}
    if changed:
        names = " and ".join(f"`{name}`" for name in options)
        received = ", ".join(f"{name}={value!r}" for name, (value, _) in options.items())
        raise ValueError(
            f"{names} are FAM options; with alignment='dcn' leave them at their "
            f"defaults. Received: {received}"
        )


def check_levels(levels) -> tuple[str, ...]:
    """``levels`` as a tuple of at least two distinct pyramid keys, fine to coarse."""
    levels = (levels,) if isinstance(levels, str) else tuple(str(k) for k in levels)
    if len(levels) < 2 or len(set(levels)) != len(levels):
        raise ValueError(
            "`levels` must name at least 2 distinct pyramid keys, fine to coarse. "
            f"Received: levels={levels!r}"
        )
    return levels


def select_levels(
    name: str, selected: Iterable[str] | str | None, allowed: Sequence[str], upper: bool = True
) -> tuple[str, ...]:
    """The members of ``allowed`` named by ``selected`` (None: all), in ``allowed``'s order.

    ``upper`` accepts ``"p4"`` for ``"P4"``.
    """
    if selected is None:
        return tuple(allowed)
    if isinstance(selected, str):
        selected = (selected,)
    selected = tuple(str(k).upper() if upper else str(k) for k in selected)
    bad = [k for k in selected if k not in allowed]
    if bad:
        raise ValueError(
            f"`{name}` must be a subset of {list(allowed)}. Received: {name}={bad}"
        )
    return tuple(k for k in allowed if k in selected)


def pyramid_as_list(pyramid, levels: Sequence[str], kind: str, allow_list: bool = True) -> list:
    """The maps (or shapes) of ``levels`` from a pyramid dict, or a list of that length.

    ``kind`` (the layer's class name) leads the message when a level is missing;
    ``allow_list=False`` refuses anything but a dict.

    Example:
    >>> pyramid_as_list({"P4": 4, "P5": 5, "P3": 3}, ("P4", "P5"), "AlignedFPN")
    [4, 5]
    """
    if isinstance(pyramid, dict):
        missing = [k for k in levels if k not in pyramid]
        if missing:
            raise ValueError(
                f"`{kind}` needs pyramid levels {list(levels)}. Missing: "
                f"{missing}. Received keys: {sorted(pyramid)}"
            )
        return [pyramid[k] for k in levels]
    if not allow_list:
        raise ValueError(
            f"`{kind}` takes a pyramid dict with keys {list(levels)}. "
            f"Received: {type(pyramid).__name__}"
        )
    if len(pyramid) != len(levels):
        raise ValueError(
            f"`{kind}` needs {len(levels)} pyramid levels {list(levels)}. "
            f"Received: {len(pyramid)}"
        )
    return list(pyramid)
