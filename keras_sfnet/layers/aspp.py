"""Moved to :mod:`keras_sfnet.decoders.aspp`; this module keeps the old import path working."""

from keras_sfnet.decoders.aspp import (  # noqa: F401 (re-exported)
    ASPP,
)

__all__ = ["ASPP"]
