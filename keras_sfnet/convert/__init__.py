"""Conversion of the authors' PyTorch checkpoints (read without torch).

The converter lives in :mod:`keras_sfnet.weights`; this package keeps the old import
paths (``keras_sfnet.convert.from_official_checkpoint``, ...) working.
"""

from keras_sfnet.weights.backbone_weights import load_backbone_weights
from keras_sfnet.weights.dispatch import from_official_checkpoint
from keras_sfnet.weights.encoder_names import encoder_name_table
from keras_sfnet.weights.official import (
    CheckpointMismatchError,
    backbone_name_table,
    infer_official_config,
    load_official_weights,
    official_name_table,
    resolve_stdc_aliases,
    to_official_state_dict,
)

__all__ = [
    "CheckpointMismatchError",
    "backbone_name_table",
    "encoder_name_table",
    "from_official_checkpoint",
    "infer_official_config",
    "load_backbone_weights",
    "load_official_weights",
    "official_name_table",
    "resolve_stdc_aliases",
    "to_official_state_dict",
]
