"""Moved to :mod:`keras_sfnet.weights.encoder_names` (the light encoders' name tables)."""

from keras_sfnet.lazy_exports import lazy_exports

#: The new homes of the names (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {"keras_sfnet.weights.encoder_names": (
    "STDC_ALIAS", "STDC_CLASSIFIER", "dfnet_name_table", "encoder_name_table",
    "shufflenet_v2_name_table", "stdc_name_table",
)})
