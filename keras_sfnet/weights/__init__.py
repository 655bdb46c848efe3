"""keras_sfnet.weights: every weight source, one dispatcher.

:func:`load_model` turns a source into a model and :func:`load_pretrained_weights`
initialises a built model from one (fresh class heads when ``num_classes``
differs). Sources: ``.keras`` files, ``.weights.h5`` files (with the preset or
training-run ``config.json`` beside them), presets (a local folder, ``hf://``,
``kaggle://``) and the authors' PyTorch ``.pth`` checkpoints, read without torch.
This layer imports the model core, never the reverse (``SFNet.from_preset`` /
``save_to_preset`` / ``load_pretrained_weights`` reach :mod:`.loading` lazily).

Example:
>>> from keras_sfnet.weights import load_model
>>> model = load_model("runs/demo/model.keras", num_classes=5)  # doctest: +SKIP
"""

from keras_sfnet.lazy_exports import lazy_exports

#: Module -> the public names it gives this package (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {
    ".architecture": ("ARCHITECTURE_FIELDS", "architecture_differences"),
    ".backbone_weights": ("load_backbone_weights",),
    ".dispatch": ("from_official_checkpoint", "load_model", "pretrained_model"),
    ".encoder_names": ("encoder_name_table",),
    ".loading": ("WEIGHT_SOURCES", "load_pretrained_weights", "pretrained_architecture"),
    ".official": (
        "CheckpointMismatchError", "backbone_name_table", "build_official_model",
        "infer_official_config", "load_official_weights", "official_name_table",
        "resolve_stdc_aliases", "to_official_state_dict",
    ),
    ".presets": (
        "is_preset", "load_preset_metadata", "load_preset_model", "load_preset_preprocessor",
        "save_preset",
    ),
    ".torch_checkpoint": ("CheckpointError", "load_torch_checkpoint", "read_state_dict"),
    ".transfer": ("transfer_weights", "with_new_heads"),
})
