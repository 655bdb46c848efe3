"""Old home of the light encoders' name tables: see :mod:`keras_sfnet.weights.encoder_names`."""

from keras_sfnet.weights.encoder_names import (
    STDC_ALIAS,
    STDC_CLASSIFIER,
    dfnet_name_table,
    encoder_name_table,
    shufflenet_v2_name_table,
    stdc_name_table,
)

__all__ = [
    "STDC_ALIAS",
    "STDC_CLASSIFIER",
    "dfnet_name_table",
    "encoder_name_table",
    "shufflenet_v2_name_table",
    "stdc_name_table",
]
