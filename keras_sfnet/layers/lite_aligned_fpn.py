"""Moved to :mod:`keras_sfnet.decoders.lite_aligned_fpn`; this module keeps the old import path working."""

from keras_sfnet.decoders.lite_aligned_fpn import (  # noqa: F401 (re-exported)
    LITE_LEVELS,
    LiteAlignedFPN,
)

__all__ = ["LITE_LEVELS", "LiteAlignedFPN"]
