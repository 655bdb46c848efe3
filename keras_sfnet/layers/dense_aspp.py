"""Moved to :mod:`keras_sfnet.decoders.dense_aspp`; this module keeps the old import path working."""

from keras_sfnet.decoders.dense_aspp import (  # noqa: F401 (re-exported)
    DenseASPP,
)

__all__ = ["DenseASPP"]
