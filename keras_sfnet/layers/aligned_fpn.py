"""Moved to :mod:`keras_sfnet.decoders.aligned_fpn`; this module keeps the old import path working."""

from keras_sfnet.decoders.aligned_fpn import (  # noqa: F401 (re-exported)
    LEVELS,
    AlignedFPN,
)

__all__ = ["LEVELS", "AlignedFPN"]
