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

#: Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "ARCHITECTURE_FIELDS": "keras_sfnet.weights.architecture",
    "architecture_differences": "keras_sfnet.weights.architecture",
    "from_official_checkpoint": "keras_sfnet.weights.dispatch",
    "load_model": "keras_sfnet.weights.dispatch",
    "pretrained_model": "keras_sfnet.weights.dispatch",
    "load_backbone_weights": "keras_sfnet.weights.backbone_weights",
    "encoder_name_table": "keras_sfnet.weights.encoder_names",
    "WEIGHT_SOURCES": "keras_sfnet.weights.loading",
    "load_pretrained_weights": "keras_sfnet.weights.loading",
    "pretrained_architecture": "keras_sfnet.weights.loading",
    "CheckpointMismatchError": "keras_sfnet.weights.official",
    "backbone_name_table": "keras_sfnet.weights.official",
    "build_official_model": "keras_sfnet.weights.official",
    "infer_official_config": "keras_sfnet.weights.official",
    "load_official_weights": "keras_sfnet.weights.official",
    "official_name_table": "keras_sfnet.weights.official",
    "resolve_stdc_aliases": "keras_sfnet.weights.official",
    "to_official_state_dict": "keras_sfnet.weights.official",
    "is_preset": "keras_sfnet.weights.presets",
    "load_preset_metadata": "keras_sfnet.weights.presets",
    "load_preset_model": "keras_sfnet.weights.presets",
    "load_preset_preprocessor": "keras_sfnet.weights.presets",
    "save_preset": "keras_sfnet.weights.presets",
    "CheckpointError": "keras_sfnet.weights.torch_checkpoint",
    "load_torch_checkpoint": "keras_sfnet.weights.torch_checkpoint",
    "read_state_dict": "keras_sfnet.weights.torch_checkpoint",
    "transfer_weights": "keras_sfnet.weights.transfer",
    "with_new_heads": "keras_sfnet.weights.transfer",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
