"""Moved to :mod:`keras_sfnet.decoders.deformable_alignment`; this module keeps the old import path working."""

from keras_sfnet.decoders.deformable_alignment import (  # noqa: F401 (re-exported)
    DCN_VERSIONS,
    DeformableAlignment,
)

__all__ = ["DCN_VERSIONS", "DeformableAlignment"]
