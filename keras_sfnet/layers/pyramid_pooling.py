"""Moved to :mod:`keras_sfnet.decoders.pyramid_pooling`; this module keeps the old import path working."""

from keras_sfnet.decoders.pyramid_pooling import (  # noqa: F401 (re-exported)
    PyramidPooling,
)

__all__ = ["PyramidPooling"]
