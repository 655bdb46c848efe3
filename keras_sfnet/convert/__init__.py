"""Conversion of the authors' PyTorch checkpoints (read without torch)."""

from keras_sfnet.convert.encoder_names import encoder_name_table
from keras_sfnet.convert.official import (
    CheckpointMismatchError,
    backbone_name_table,
    from_official_checkpoint,
    infer_official_config,
    load_backbone_weights,
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
