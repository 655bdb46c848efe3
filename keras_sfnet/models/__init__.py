"""Segmentation models and their family table.

The weight sources (presets, fine-tuning transfer, the authors' checkpoints) live in
:mod:`keras_sfnet.weights`; their old names here are deprecated aliases.
"""

from keras_sfnet.lazy_exports import moved_names
from keras_sfnet.models.family import (
    CONFIGURATIONS,
    ModelConfiguration,
    get_configuration,
    list_models,
)
from keras_sfnet.models.sfnet import SFNet

__all__ = [
    "CONFIGURATIONS",
    "ModelConfiguration",
    "SFNet",
    "get_configuration",
    "list_models",
]

__getattr__ = moved_names(__name__, {
    "keras_sfnet.weights.presets": (
        "is_preset", "load_preset_metadata", "load_preset_model", "load_preset_preprocessor",
        "save_preset",
    ),
    "keras_sfnet.weights.loading": ("load_pretrained_weights", "pretrained_architecture"),
    "keras_sfnet.weights.dispatch": ("pretrained_model",),
    "keras_sfnet.weights.transfer": ("transfer_weights",),
})
