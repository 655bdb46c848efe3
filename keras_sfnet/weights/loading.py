"""Initialises a model from any weight source: the fine-tuning entry point.

:func:`load_pretrained_weights` takes every source of :data:`WEIGHT_SOURCES`
(a ``keras.Model``, ``.keras``, ``.weights.h5``, a preset folder or ``hf://`` /
``kaggle://`` handle, the authors' ``.pth``) and keeps every weight but the
class-specific layers. This module is the model core's one way up (lazily, from
``SFNet.load_pretrained_weights`` / ``from_preset`` / ``save_to_preset``), so it never
imports the model: the model class comes from the caller.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile

import keras

from keras_sfnet.weights.architecture import (
    architecture_differences,
    architecture_of_config,
    read_json_or_none,
    weights_file_architecture,
)
from keras_sfnet.weights.official import build_official_model, infer_official_config
from keras_sfnet.weights.presets import (
    CONFIG_FILE,
    is_preset,
    load_preset_model,
    preset_file,
    save_preset,
)
from keras_sfnet.weights.torch_checkpoint import read_state_dict
from keras_sfnet.weights.transfer import transfer_weights

__all__ = [
    "WEIGHT_SOURCES",
    "describe_source",
    "load_pretrained_weights",
    "load_preset_model",
    "pretrained_architecture",
    "save_preset",
    "source_model",
    "source_path",
    "weights_file_num_classes",
]

logger = logging.getLogger(__name__)

WEIGHT_SOURCES = (
    "a keras.Model",
    "a '.keras' file",
    "a '.weights.h5' file",
    "a preset folder or 'hf://' / 'kaggle://' handle",
    "an authors' '.pth' checkpoint",
)


def source_path(source, what: str = "The pretrained weights") -> str:
    """The path of a file or preset source; a TypeError naming the accepted sources.

    Example:
    >>> source_path("runs/demo/model.keras")
    'runs/demo/model.keras'
    """
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"{what} must be one of {list(WEIGHT_SOURCES)}. Received: {type(source).__name__}"
        )
    return os.fspath(source)


def pretrained_architecture(source) -> dict | None:
    """The architecture of a pretrained source, read without loading its weights.

    Args:
        source: what `load_pretrained_weights` accepts: a `keras.Model`, a
            `.keras` file, a `.weights.h5` file (its architecture from the preset
            or training-run `config.json` beside it), a preset folder or handle,
            or an authors' `.pth` checkpoint (inferred from its tensors).

    Returns:
        A dict of `ARCHITECTURE_FIELDS` (those the source records), or `None`
        when the source records none (a bare `.weights.h5` file).

    Example:
    >>> pretrained_architecture("runs/demo/model.keras")  # doctest: +SKIP
    {'backbone': 'resnet18', 'head': 'v1', 'dilated': False, 'stem': 'deep', ...}
    """
    if isinstance(source, keras.Model):
        return architecture_of_config(source.get_config())
    path = source_path(source)
    if is_preset(path):
        values = read_json_or_none(preset_file(path, CONFIG_FILE))
        if not isinstance(values, dict) or not isinstance(values.get("config"), dict):
            raise ValueError(f"Preset '{path}' has no model config in {CONFIG_FILE}.")
        return architecture_of_config(values["config"])
    if not os.path.exists(path):
        raise FileNotFoundError(f"Pretrained weights not found: '{path}'")
    if path.endswith(".keras"):
        if not zipfile.is_zipfile(path):
            raise ValueError(
                f"'{path}' is not a valid .keras file (a .keras file is a zip archive; this "
                "one is corrupt, truncated or of another format)."
            )
        with zipfile.ZipFile(path) as archive:
            values = json.loads(archive.read("config.json"))
        return architecture_of_config(values.get("config", {}))
    if path.endswith((".pth", ".pt", ".tar")):
        inferred = infer_official_config(read_state_dict(path))
        # The authors' networks: deep stem, released dilations, released switches.
        return architecture_of_config(
            {**{k: inferred[k] for k in ("backbone", "head", "decoder_filters")},
             "dilated": True, "stem": "deep"}
        )  # fmt: skip
    if path.endswith(".weights.h5"):
        return weights_file_architecture(path)
    raise ValueError(
        f"The pretrained weights must be one of {list(WEIGHT_SOURCES)}. Received: '{path}'"
    )


def weights_file_num_classes(path: str) -> tuple[int, bool]:
    """Reads (num_classes, has auxiliary heads) off an SFNet ``.weights.h5`` file."""
    import h5py

    with h5py.File(path, "r") as f:
        layers = f.get("layers")
        names = list(layers) if layers is not None else []
        convs = [n for n in names if n == "conv2d" or n.startswith("conv2d_")]
        if len(convs) != 1 or f"layers/{convs[0]}/vars/1" not in f:
            raise ValueError(
                f"'{path}' is not the weights file of an SFNet (no single top-level "
                "classifier found). Pass the '.keras' file or the preset folder instead."
            )
        num_classes = int(f[f"layers/{convs[0]}/vars/1"].shape[0])
        return num_classes, any(n.startswith("auxiliary_head") for n in names)


def source_model(source, model_class, like=None) -> keras.Model:
    """The pretrained model that ``source`` names (see :data:`WEIGHT_SOURCES`).

    Args:
        source: a ``keras.Model``, a ``.keras`` file, a ``.weights.h5`` file, a
            preset folder or handle, or an authors' ``.pth`` checkpoint.
        model_class: the class to build for a ``.pth`` or ``.weights.h5`` source
            (:class:`~keras_sfnet.SFNet`); the caller passes it, so that this module
            never imports the model.
        like: a model whose config completes what a ``.weights.h5`` file does not
            record (its architecture, when no ``config.json`` lies beside it).

    Example:
    >>> source_model("runs/demo/model.keras", SFNet)  # doctest: +SKIP
    """
    if isinstance(source, keras.Model):
        return source
    path = source_path(source)
    if is_preset(path):
        return load_preset_model(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Pretrained weights not found: '{path}'")
    if path.endswith(".keras"):
        return keras.saving.load_model(path, compile=False)
    if path.endswith((".pth", ".pt")):
        return build_official_model(path, model_class)
    if path.endswith(".weights.h5"):
        if not all(hasattr(like, a) for a in ("num_classes", "deep_supervision", "switches")):
            raise TypeError("A '.weights.h5' file can only be loaded into an SFNet.")
        num_classes, deep_supervision = weights_file_num_classes(path)
        config = like.get_config()
        # The architecture recorded beside the file (preset or training run), if any.
        config.update(weights_file_architecture(path) or {})
        config.update(num_classes=num_classes, deep_supervision=deep_supervision)
        model = model_class.from_config(config)
        try:
            model.load_weights(path)
        except ValueError as error:
            raise ValueError(
                f"'{path}' does not fit a {num_classes}-class copy of the model: {error} "
                "Build the model with the pretrained model's architecture."
            ) from None
        return model
    raise ValueError(
        f"The pretrained weights must be one of {list(WEIGHT_SOURCES)}. Received: '{path}'"
    )


def load_pretrained_weights(model: keras.Model, source, allow_new_heads: bool = True):
    """Initialises ``model`` from pretrained weights, with fresh class heads if needed.

    The fine-tuning entry point: every weight of the pretrained model is kept except
    the class-specific layers (``classifier``, the auxiliary heads' classifiers), which
    stay freshly initialised when ``num_classes`` differs; the skipped layers are
    logged and returned.

    Args:
        model: the :class:`~keras_sfnet.SFNet` to initialise.
        source: a ``keras.Model``, a ``.keras`` file, a ``.weights.h5`` file (saved
            from an SFNet of the same architecture), a preset folder or handle
            (``hf://...``, ``kaggle://...``) or an authors' ``.pth`` checkpoint.
        allow_new_heads: bool, False for an exact copy (any mismatch raises).
            Defaults to True.

    Returns:
        The sorted names of the layers left freshly initialised.

    Example:
    >>> model = keras_sfnet.SFNet("resnet18", num_classes=5)
    >>> load_pretrained_weights(model, "sfnet_r18_cityscapes.pth")  # doctest: +SKIP
    ['classifier']
    """
    pretrained = source_model(source, type(model), like=model)
    differences = []
    if hasattr(pretrained, "get_config") and hasattr(model, "get_config"):
        differences = architecture_differences(pretrained.get_config(), model.get_config())
    try:
        fresh = transfer_weights(pretrained, model, allow_new_heads=allow_new_heads)
    except ValueError as error:
        if not differences:
            raise
        raise ValueError(
            f"The pretrained weights of {describe_source(source)} do not fit the model, whose "
            f"architecture differs: {'; '.join(differences)}. Build the model with the "
            "pretrained architecture (`pretrained_model(source, num_classes=...)`, or "
            f"`init_from` in training, which does). ({error})"
        ) from None
    if differences:
        logger.warning(
            "The model's architecture differs from that of %s (weights loaded all the same): %s",
            describe_source(source),
            "; ".join(differences),
        )
    if not fresh:
        logger.info("Loaded all %d weights from %s", len(model.weights), describe_source(source))
    return fresh


def describe_source(source) -> str:
    if isinstance(source, keras.Model):
        return f"model '{source.name}'"
    return f"'{os.fspath(source)}'"
