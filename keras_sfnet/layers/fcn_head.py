"""Moved to :mod:`keras_sfnet.decoders.fcn_decoder`; this module keeps the old import path working."""

from keras_sfnet.decoders.fcn_decoder import (  # noqa: F401 (re-exported)
    FCNHead,
)

__all__ = ["FCNHead"]
