"""Moved to :mod:`keras_sfnet.decoders.context_head`; this module keeps the old import path working."""

from keras_sfnet.decoders.context_head import (  # noqa: F401 (re-exported)
    CONTEXT_HEADS,
    ContextHead,
)

__all__ = ["CONTEXT_HEADS", "ContextHead"]
