"""One dispatcher from a weight source to a model: ``load_model(source, **overrides)``.

Every format the library reads goes through here: ``.keras`` files, ``.weights.h5``
files (with the preset or training-run ``config.json`` beside them), presets (a
local folder, ``hf://``, ``kaggle://``) and the authors' ``.pth`` checkpoints. The
converter and the loaders import the model, never the reverse (keras-hub's
``get_preset_loader`` / ``convert_resnet`` pattern).
"""

from __future__ import annotations

import logging
import os
import zipfile

import keras

from keras_sfnet.models.sfnet import SFNet
from keras_sfnet.weights.loading import (
    describe_source,
    load_pretrained_weights,
    pretrained_architecture,
    source_model,
    source_path,
    weights_file_num_classes,
)
from keras_sfnet.weights.official import build_official_model
from keras_sfnet.weights.presets import is_preset, load_preset_model

__all__ = ["from_official_checkpoint", "load_model", "pretrained_model"]

logger = logging.getLogger(__name__)

CHECKPOINT_SUFFIXES = (".pth", ".pt", ".pth.tar", ".tar")


def from_official_checkpoint(checkpoint, backbone=None, num_classes=None,
                             deep_supervision=None, input_shape=(None, None, 3), head=None,
                             **kwargs) -> SFNet:
    """Builds an SFNet and loads the authors' checkpoint into it, architecture inferred.

    Converts every released network of the authors (ResNet-18/50/101, DFNet v1/v2,
    STDC1/2, SFNet-Lite on ResNet-18 and STDC1/2), reading ``.pth`` files without
    torch; arguments left as None are inferred from the tensors. See
    :func:`keras_sfnet.weights.official.build_official_model` for every argument.

    Example:
    >>> model = from_official_checkpoint("sfnet_lite_stdcv1.pth")  # doctest: +SKIP
    """
    return build_official_model(
        checkpoint, SFNet, backbone=backbone, num_classes=num_classes,
        deep_supervision=deep_supervision, input_shape=input_shape, head=head, **kwargs,
    )  # fmt: skip


def load_model(source, **overrides) -> keras.Model:
    """The model that a weight source holds, rebuilt and loaded (the one dispatcher).

    - a preset folder (holding ``config.json``) or ``hf://`` / ``kaggle://`` handle:
      :func:`~keras_sfnet.weights.load_preset_model` (``overrides``: ``num_classes``,
      ``dtype``, ...);
    - ``.keras``: ``keras.saving.load_model`` (not compiled); ``overrides`` such as
      ``num_classes`` give a copy with fresh class heads;
    - ``.weights.h5`` with the preset or training-run ``config.json`` beside it:
      :func:`pretrained_model` (``overrides``: ``num_classes`` and SFNet arguments);
    - ``.pth`` / ``.pt`` / ``.pth.tar``: :func:`from_official_checkpoint`
      (``overrides``: ``backbone``, ``num_classes``, ...).

    Args:
        source: str or path of the model (or an already built ``keras.Model``).
        **overrides: constructor arguments to change.

    Returns:
        A ``keras.Model`` (a :class:`~keras_sfnet.SFNet` for every format).

    Raises:
        FileNotFoundError: no such file.
        ValueError: an unknown file extension, or a ``.keras`` file that is not a zip
            archive (corrupt or truncated).

    Example:
    >>> model = load_model("runs/demo/model.keras")  # doctest: +SKIP
    >>> model = load_model("hf://my-org/sfnet-r18-cityscapes", num_classes=5)  # doctest: +SKIP
    """
    if isinstance(source, keras.Model):
        return _with_overrides(source, overrides)
    path = source_path(source, "The model source")
    if is_preset(path):
        return load_preset_model(path, **overrides)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Model file '{path}' does not exist.")
    lower = path.lower()
    if lower.endswith(".keras"):
        if not zipfile.is_zipfile(path):
            # Keras would report this as "File not found" although the file exists.
            raise ValueError(
                f"'{path}' is not a valid .keras file: a .keras file is a zip archive and "
                "this one is corrupt, truncated or of another format. Save the model again "
                "with `model.save(path)`."
            )
        return _with_overrides(keras.saving.load_model(path, compile=False), overrides)
    if lower.endswith(CHECKPOINT_SUFFIXES):
        return from_official_checkpoint(path, **overrides)
    if lower.endswith(".weights.h5"):
        return pretrained_model(path, **overrides)
    raise ValueError(
        "The model must be a '.keras' file, a '.weights.h5' file (with its config.json), a "
        "preset folder (holding config.json) or handle, or the authors' '.pth' checkpoint. "
        f"Received: path='{path}'"
    )


def _with_overrides(model: keras.Model, overrides: dict) -> keras.Model:
    if not overrides or all(model.get_config().get(k) == v for k, v in overrides.items()):
        return model
    return pretrained_model(model, **overrides)


def pretrained_model(source, num_classes: int | None = None, **overrides) -> keras.Model:
    """An SFNet of the source's architecture, initialised from its weights (fine-tuning).

    The architecture (backbone, dilation, stem, decoder width, head, decoder
    switches) is the source's; `overrides` change some of it, and the fields
    that then differ from the source are logged. Only the class-specific layers
    are re-made for another `num_classes`.

    Args:
        source: a `keras.Model`, a `.keras` file, a `.weights.h5` file with the
            preset or run `config.json` beside it, a preset folder or handle, or
            an authors' `.pth` checkpoint.
        num_classes: int or `None` (the source's).
        **overrides: other SFNet arguments (`deep_supervision`, `dropout`,
            `dilated`, ...).

    Returns:
        The :class:`~keras_sfnet.SFNet`.

    Example:
    >>> model = pretrained_model("runs/demo/model.keras", num_classes=3)  # doctest: +SKIP
    """
    architecture = pretrained_architecture(source)
    if architecture is None:
        raise ValueError(
            f"{describe_source(source)} records no architecture (a bare '.weights.h5' file): pass "
            "the '.keras' file or the preset folder, or build the SFNet yourself and call "
            "`load_pretrained_weights(model, source)`."
        )
    changed = {
        k: v for k, v in overrides.items() if k in architecture and architecture[k] != v
    }
    if changed:
        logger.info(
            "Overriding the architecture of %s: %s",
            describe_source(source),
            "; ".join(f"{k}={v!r} (source: {architecture[k]!r})" for k, v in changed.items()),
        )
    config = {**architecture, **overrides}
    weights_file = isinstance(source, (str, os.PathLike)) and os.fspath(source).endswith(
        ".weights.h5"
    )
    if num_classes is None and weights_file:
        num_classes = weights_file_num_classes(os.fspath(source))[0]
    elif num_classes is None:
        source = source_model(source, SFNet)  # loaded once, for its classes and weights
        num_classes = int(source.num_classes)
    model = SFNet(**config, num_classes=num_classes)
    load_pretrained_weights(model, source)
    return model
