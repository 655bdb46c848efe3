"""Moved to :mod:`keras_sfnet.decoders.flow_alignment`; this module keeps the old import path working."""

from keras_sfnet.decoders.flow_alignment import (  # noqa: F401 (re-exported)
    FLOW_ESTIMATORS,
    UPSAMPLINGS,
    FlowAlignment,
)

__all__ = ["FLOW_ESTIMATORS", "UPSAMPLINGS", "FlowAlignment"]
