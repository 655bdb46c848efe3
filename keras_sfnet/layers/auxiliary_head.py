"""Moved to :mod:`keras_sfnet.decoders.auxiliary_head`; this module keeps the old import path working."""

from keras_sfnet.decoders.auxiliary_head import (  # noqa: F401 (re-exported)
    AuxiliaryHead,
)

__all__ = ["AuxiliaryHead"]
