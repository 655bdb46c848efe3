"""Deprecated: weight transfer moved to :mod:`keras_sfnet.weights`."""

from keras_sfnet.lazy_exports import moved_names

__getattr__ = moved_names(__name__, {
    "keras_sfnet.weights.architecture": ("ARCHITECTURE_FIELDS", "architecture_differences"),
    "keras_sfnet.weights.loading": (
        "WEIGHT_SOURCES", "load_pretrained_weights", "pretrained_architecture",
    ),
    "keras_sfnet.weights.dispatch": ("pretrained_model",),
    "keras_sfnet.weights.transfer": ("transfer_weights", "with_new_heads"),
})
