"""Moved to :mod:`keras_sfnet.models.family`; this module keeps the old import path working."""

from keras_sfnet.models.family import (  # noqa: F401 (re-exported)
    ALIASES,
    CONFIGURATIONS,
    ModelConfiguration,
    get_configuration,
    list_models,
)

__all__ = ["ALIASES", "CONFIGURATIONS", "ModelConfiguration", "get_configuration", "list_models"]
