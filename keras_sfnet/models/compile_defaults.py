"""The defaults of ``SFNet.compile()``: now :mod:`keras_sfnet.models.recipe` (old names kept)."""

from __future__ import annotations

from keras_sfnet.models.recipe import (
    DEFAULT_DECAY_STEPS,
    replicate_for_outputs,
)
from keras_sfnet.models.recipe import (
    compile_arguments as default_compile_arguments,
)

__all__ = [
    "DEFAULT_DECAY_STEPS",
    "LOSS_NAMES",
    "default_compile_arguments",
    "replicate_for_outputs",
]

from keras_sfnet.names import LOSSES as LOSS_NAMES  # noqa: E402,F401 (re-exported)
