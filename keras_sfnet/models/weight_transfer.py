"""Deprecated: weight transfer moved to :mod:`keras_sfnet.weights`."""

from keras_sfnet.lazy_exports import moved_names

__getattr__ = moved_names(__name__, {
    "ARCHITECTURE_FIELDS": "keras_sfnet.weights.architecture",
    "architecture_differences": "keras_sfnet.weights.architecture",
    "WEIGHT_SOURCES": "keras_sfnet.weights.loading",
    "load_pretrained_weights": "keras_sfnet.weights.loading",
    "pretrained_architecture": "keras_sfnet.weights.loading",
    "pretrained_model": "keras_sfnet.weights.dispatch",
    "transfer_weights": "keras_sfnet.weights.transfer",
    "with_new_heads": "keras_sfnet.weights.transfer",
})  # fmt: skip
