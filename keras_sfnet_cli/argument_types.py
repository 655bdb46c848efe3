"""Argument types shared by the command-line tools (`--scales`, `--window`, existing paths)."""

from __future__ import annotations

import argparse
import os

__all__ = ["existing_path", "scales_argument", "window_argument"]


def existing_path(text: str) -> str:
    """An input path that must exist (checked while parsing, before any model loads).

    Example:
    >>> existing_path(".")
    '.'
    """
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"'{text}' does not exist")
    return text


def scales_argument(text: str) -> tuple[float, ...]:
    """Parses comma-separated test-time scales, e.g. ``"0.75,1.0,1.25"``.

    Example:
    >>> scales_argument("0.75,1.0")
    (0.75, 1.0)
    """
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None


def window_argument(text: str):
    """Parses a sliding-window size: ``"512"`` (square) or ``"512x1024"`` / ``"512,1024"``.

    Example:
    >>> window_argument("512x1024")
    (512, 1024)
    """
    try:
        parts = [int(v) for v in text.lower().replace("x", ",").split(",") if v.strip()]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2):
        raise argparse.ArgumentTypeError(f"expected SIZE or HxW, got {text!r}")
    return parts[0] if len(parts) == 1 else tuple(parts)
