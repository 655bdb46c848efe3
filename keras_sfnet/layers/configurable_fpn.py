"""Moved to :mod:`keras_sfnet.decoders.configurable_fpn`; this module keeps the old import path working."""

from keras_sfnet.decoders.configurable_fpn import (  # noqa: F401 (re-exported)
    ALIGNMENTS,
    FAM_LEVELS,
    FINAL_FUSIONS,
    LEVELS,
    ConfigurableFPN,
)

__all__ = ["ALIGNMENTS", "FAM_LEVELS", "FINAL_FUSIONS", "LEVELS", "ConfigurableFPN"]
