"""Where the fused flow-warp library is built and loaded from."""

from __future__ import annotations

import sysconfig
from pathlib import Path

__all__ = ["KERNEL_DIR", "LIBRARY_NAME", "default_library_path"]

KERNEL_DIR = Path(__file__).resolve().parent
LIBRARY_NAME = "_flow_warp_op" + (sysconfig.get_config_var("SHLIB_SUFFIX") or ".so")


def default_library_path() -> Path:
    """The library that ``import keras_sfnet.kernels`` loads.

    Example:
    >>> default_library_path().name.startswith("_flow_warp_op")
    True
    """
    return KERNEL_DIR / LIBRARY_NAME
