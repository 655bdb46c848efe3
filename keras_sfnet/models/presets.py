"""Deprecated: the preset machinery moved to :mod:`keras_sfnet.weights.presets`."""

from keras_sfnet.lazy_exports import moved_names

__getattr__ = moved_names(__name__, {"keras_sfnet.weights.presets": (
    "CONFIG_FILE", "DEFAULT_PREPROCESSOR", "HUB_SCHEMES", "METADATA_FILE",
    "PREPROCESSOR_FILE", "WEIGHTS_FILE", "is_preset", "load_preset_metadata",
    "load_preset_model", "load_preset_preprocessor", "preset_file", "save_preset",
    "segmenter_arguments",
)})
