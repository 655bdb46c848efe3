"""Segmentation models, their presets and fine-tuning helpers."""

from keras_sfnet.models.family import (
    CONFIGURATIONS,
    ModelConfiguration,
    get_configuration,
    list_models,
)
from keras_sfnet.models.presets import (
    is_preset,
    load_preset_metadata,
    load_preset_model,
    load_preset_preprocessor,
    save_preset,
)
from keras_sfnet.models.sfnet import SFNet
from keras_sfnet.models.weight_transfer import (
    load_pretrained_weights,
    pretrained_architecture,
    pretrained_model,
    transfer_weights,
)

__all__ = [
    "CONFIGURATIONS",
    "ModelConfiguration",
    "SFNet",
    "get_configuration",
    "is_preset",
    "list_models",
    "load_preset_metadata",
    "load_preset_model",
    "load_preset_preprocessor",
    "load_pretrained_weights",
    "pretrained_architecture",
    "pretrained_model",
    "save_preset",
    "transfer_weights",
]
