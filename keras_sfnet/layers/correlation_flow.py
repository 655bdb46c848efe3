"""Moved to :mod:`keras_sfnet.decoders.correlation_flow`; this module keeps the old import path working."""

from keras_sfnet.decoders.correlation_flow import (  # noqa: F401 (re-exported)
    CorrelationFlow,
    correlation_volume,
)

__all__ = ["CorrelationFlow", "correlation_volume"]
