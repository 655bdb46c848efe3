"""Argument types shared by the command-line tools (`--scales`, `--window`, existing paths)."""

from __future__ import annotations

import argparse
import os

__all__ = [
    "class_names_argument",
    "dataset_info_name",
    "existing_path",
    "model_source",
    "scales_argument",
    "window_argument",
]

#: The datasets whose class names and palette are built in (`keras_sfnet.data.get_dataset_info`;
#: tests/test_command_line.py checks them against the library, so that --help needs no TensorFlow).
from keras_sfnet.names import DATASET_INFOS, HUB_SCHEMES  # noqa: F401 (re-exported)

#: What `--model` accepts besides files and preset folders.


def existing_path(text: str) -> str:
    """An input path that must exist (checked while parsing, before any model loads).

    Example:
    >>> existing_path(".")
    '.'
    """
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"'{text}' does not exist")
    return text


def model_source(text: str) -> str:
    """A `--model`: a `.keras` / `.pth` file, a preset folder (with config.json) or a hub handle.

    Example:
    >>> model_source("hf://my-org/sfnet-r18")
    'hf://my-org/sfnet-r18'
    """
    if text.startswith(HUB_SCHEMES):
        return text
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"'{text}' does not exist")
    if os.path.isdir(text) and not os.path.exists(os.path.join(text, "config.json")):
        raise argparse.ArgumentTypeError(
            f"'{text}' is a folder without config.json, not a preset (a preset holds "
            "config.json, model.weights.h5, preprocessor.json and metadata.json)"
        )
    return text


def dataset_info_name(text: str, extra: tuple[str, ...] = ()) -> str:
    """A built-in dataset name (lower case, '-' as '_'), or one of `extra`.

    Example:
    >>> dataset_info_name("Pascal-Context")
    'pascal_context'
    """
    key = text.lower().replace("-", "_")
    if key not in DATASET_INFOS + tuple(extra):
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join(DATASET_INFOS + tuple(extra))} (got {text!r})"
        )
    return key


def class_names_argument(text: str) -> list[str]:
    """Comma-separated class names, e.g. ``"background,cat,dog"``.

    Example:
    >>> class_names_argument("background, cat,dog")
    ['background', 'cat', 'dog']
    """
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected names like road,car,sky (got {text!r})")
    return names


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
