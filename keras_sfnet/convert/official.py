"""Moved to :mod:`keras_sfnet.weights.official` (the authors' checkpoint converter)."""

from keras_sfnet.lazy_exports import lazy_exports

#: The new homes of the names (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {
    "keras_sfnet.weights.backbone_weights": ("detect_backbone_style", "load_backbone_weights"),
    "keras_sfnet.weights.dispatch": ("from_official_checkpoint",),
    "keras_sfnet.weights.official": (
        "BACKBONE_STYLES", "CheckpointMismatchError", "backbone_name_table",
        "build_official_model", "infer_official_config", "load_official_weights",
        "official_name_table", "resolve_stdc_aliases", "to_official_state_dict",
    ),
})
