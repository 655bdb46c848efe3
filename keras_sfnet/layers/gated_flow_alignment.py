"""Moved to :mod:`keras_sfnet.decoders.gated_flow_alignment`; this module keeps the old import path working."""

from keras_sfnet.decoders.gated_flow_alignment import (  # noqa: F401 (re-exported)
    GatedFlowAlignment,
)

__all__ = ["GatedFlowAlignment"]
