"""Old home of the authors' checkpoint converter: see :mod:`keras_sfnet.weights.official`."""

from keras_sfnet.weights.backbone_weights import detect_backbone_style, load_backbone_weights
from keras_sfnet.weights.dispatch import from_official_checkpoint
from keras_sfnet.weights.official import (
    BACKBONE_STYLES,
    CheckpointMismatchError,
    backbone_name_table,
    build_official_model,
    infer_official_config,
    load_official_weights,
    official_name_table,
    resolve_stdc_aliases,
    to_official_state_dict,
)

__all__ = [
    "BACKBONE_STYLES",
    "CheckpointMismatchError",
    "backbone_name_table",
    "build_official_model",
    "detect_backbone_style",
    "from_official_checkpoint",
    "infer_official_config",
    "load_backbone_weights",
    "load_official_weights",
    "official_name_table",
    "resolve_stdc_aliases",
    "to_official_state_dict",
]
