"""Moved to :mod:`keras_sfnet.decoders.non_local_block`; this module keeps the old import path working."""

from keras_sfnet.decoders.non_local_block import (  # noqa: F401 (re-exported)
    NonLocalBlock,
)

__all__ = ["NonLocalBlock"]
