"""Loads pretrained weights into an SFNet whose classes may differ (fine-tuning)."""

from __future__ import annotations

import logging
import os

import keras

__all__ = ["WEIGHT_SOURCES", "load_pretrained_weights", "transfer_weights"]

logger = logging.getLogger(__name__)

WEIGHT_SOURCES = (
    "a keras.Model",
    "a '.keras' file",
    "a '.weights.h5' file",
    "a preset folder or 'hf://' / 'kaggle://' handle",
    "an authors' '.pth' checkpoint",
)


def _head_layers(model) -> list:
    """The layers that depend on `num_classes`: the classifier and the auxiliary heads."""
    layers = [getattr(model, "classifier", None), *getattr(model, "aux_heads", ())]
    return [layer for layer in layers if layer is not None]


def _class_specific_paths(model) -> set[str]:
    """Paths of the variables whose shape depends on `num_classes`."""
    layers = [getattr(model, "classifier", None)]
    layers += [getattr(head, "classifier", None) for head in getattr(model, "aux_heads", ())]
    return {v.path for layer in layers if layer is not None for v in layer.weights}


def _head_paths(model) -> set[str]:
    return {v.path for layer in _head_layers(model) for v in layer.weights}


def _layer_of(path: str) -> str:
    return path.rsplit("/", 1)[0]


def transfer_weights(source: keras.Model, target: keras.Model, allow_new_heads: bool = True):
    """Copies every weight of ``source`` into ``target``, except mismatched class heads.

    Variables are matched by path (``decoder/ppm/...``, ``classifier/kernel``). The
    class-specific layers of ``target`` (``classifier``, and the auxiliary heads'
    classifiers) keep their fresh initialisation when their shapes differ (another
    ``num_classes``); auxiliary heads that ``source`` lacks stay fresh, and ``source``'s
    auxiliary heads that ``target`` lacks are dropped. Any other difference is an
    architecture mismatch and raises before anything is assigned.

    Args:
        source: the pretrained model.
        target: the model to initialise (an :class:`~keras_sfnet.SFNet`).
        allow_new_heads: bool, False to refuse mismatched class heads as well (an
            exact copy). Defaults to True.

    Returns:
        The sorted names of ``target``'s layers left freshly initialised (logged too).

    Example:
    >>> pretrained = SFNet(num_classes=19, decoder_filters=16)
    >>> model = SFNet(num_classes=5, decoder_filters=16)
    >>> transfer_weights(pretrained, model)
    ['classifier']
    """
    source_vars = {v.path: v for v in source.weights}
    target_vars = {v.path: v for v in target.weights}
    class_specific = _class_specific_paths(target) | _class_specific_paths(source)
    heads = _head_paths(target) | _head_paths(source)
    fresh, problems, assignments = set(), [], []
    for path, variable in target_vars.items():
        if path not in source_vars:
            if path in heads and allow_new_heads:
                fresh.add(_layer_of(path))
            else:
                problems.append(f"{path!r} is missing from the pretrained weights")
            continue
        value = source_vars[path]
        if tuple(value.shape) == tuple(variable.shape):
            assignments.append((variable, value))
        elif path in class_specific and allow_new_heads:
            fresh.add(_layer_of(path))
        else:
            problems.append(
                f"{path!r} has shape {tuple(value.shape)} in the pretrained weights and "
                f"{tuple(variable.shape)} in the model"
            )
    dropped = sorted(p for p in source_vars if p not in target_vars)
    problems += [f"{p!r} exists only in the pretrained weights" for p in dropped if p not in heads]
    if problems:
        hint = (
            " Build the model with the pretrained model's architecture (backbone, "
            "decoder_filters, ...); only the class-specific layers may differ."
            if allow_new_heads
            else " Use `init_from` / `load_pretrained_weights` to fine-tune to another "
            "number of classes (fresh class heads)."
        )
        raise ValueError(
            f"The pretrained weights do not fit the model: {problems[0]}"
            f"{f' (and {len(problems) - 1} more)' if len(problems) > 1 else ''}.{hint}"
        )
    for variable, value in assignments:
        variable.assign(keras.ops.convert_to_numpy(value))
    fresh = sorted(fresh)
    if fresh:
        logger.info(
            "Loaded %d of %d weights; freshly initialised (class-specific): %s",
            len(assignments),
            len(target_vars),
            ", ".join(fresh),
        )
    if dropped:
        layers = sorted({_layer_of(p) for p in dropped})
        logger.info("Ignored pretrained layers the model does not have: %s", ", ".join(layers))
    return fresh


def _weights_file_num_classes(path: str) -> tuple[int, bool]:
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


def _source_model(source, target):
    """The pretrained model that ``source`` names, built to fit ``target``."""
    from keras_sfnet.models.presets import is_preset, load_preset_model
    from keras_sfnet.models.sfnet import SFNet

    if isinstance(source, keras.Model):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"The pretrained weights must be one of {list(WEIGHT_SOURCES)}. "
            f"Received: {type(source).__name__}"
        )
    path = os.fspath(source)
    if is_preset(path):
        return load_preset_model(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Pretrained weights not found: '{path}'")
    if path.endswith(".keras"):
        return keras.saving.load_model(path, compile=False)
    if path.endswith(".pth") or path.endswith(".pt"):
        from keras_sfnet.convert.official import from_official_checkpoint

        return from_official_checkpoint(path)
    if path.endswith(".weights.h5"):
        if not isinstance(target, SFNet):
            raise TypeError("A '.weights.h5' file can only be loaded into an SFNet.")
        num_classes, deep_supervision = _weights_file_num_classes(path)
        config = target.get_config()
        config.update(num_classes=num_classes, deep_supervision=deep_supervision)
        model = SFNet.from_config(config)
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
    pretrained = _source_model(source, model)
    fresh = transfer_weights(pretrained, model, allow_new_heads=allow_new_heads)
    if not fresh:
        logger.info("Loaded all %d weights from %s", len(model.weights), _describe(source))
    return fresh


def _describe(source) -> str:
    if isinstance(source, keras.Model):
        return f"model '{source.name}'"
    return f"'{os.fspath(source)}'"
