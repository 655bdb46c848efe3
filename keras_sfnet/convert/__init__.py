"""Moved to :mod:`keras_sfnet.weights` (conversion of the authors' PyTorch checkpoints).

The converter lives in :mod:`keras_sfnet.weights`; this package keeps the old import
paths (``keras_sfnet.convert.from_official_checkpoint``, ...) working.
"""

from keras_sfnet.lazy_exports import lazy_exports

#: The new homes of the names (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {
    "keras_sfnet.weights.backbone_weights": ("load_backbone_weights",),
    "keras_sfnet.weights.dispatch": ("from_official_checkpoint",),
    "keras_sfnet.weights.encoder_names": ("encoder_name_table",),
    "keras_sfnet.weights.official": (
        "CheckpointMismatchError", "backbone_name_table", "infer_official_config",
        "load_official_weights", "official_name_table", "resolve_stdc_aliases",
        "to_official_state_dict",
    ),
})
