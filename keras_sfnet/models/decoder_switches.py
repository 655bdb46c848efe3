"""Moved to :mod:`keras_sfnet.decoders.switches` (and ``build_decoder`` to
:mod:`keras_sfnet.decoders.decoder_factory`); this module keeps the old import path."""

from keras_sfnet.decoders.decoder_factory import build_decoder  # noqa: F401 (re-exported)
from keras_sfnet.decoders.switches import (  # noqa: F401 (re-exported)
    DECODERS,
    DEFAULT_SWITCHES,
    SINGLE_LEVEL_DECODERS,
    changed_switches,
    check_switches,
    is_released,
)

__all__ = [
    "DECODERS",
    "DEFAULT_SWITCHES",
    "SINGLE_LEVEL_DECODERS",
    "build_decoder",
    "changed_switches",
    "check_switches",
    "is_released",
]
