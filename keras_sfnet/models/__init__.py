"""Segmentation models."""

from keras_sfnet.models.configurations import (
    CONFIGURATIONS,
    ModelConfiguration,
    get_configuration,
    list_models,
)
from keras_sfnet.models.sfnet import SFNet

__all__ = ["CONFIGURATIONS", "ModelConfiguration", "SFNet", "get_configuration", "list_models"]
