"""Copies weights between SFNets whose class heads may differ (fine-tuning)."""

from __future__ import annotations

import logging

import keras

__all__ = ["transfer_weights", "with_new_heads"]

logger = logging.getLogger(__name__)


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


def with_new_heads(pretrained, num_classes=None, deep_supervision=None, **overrides):
    """A copy of an SFNet with another ``num_classes`` / ``deep_supervision``.

    Every weight is copied but the class-specific layers, which stay freshly
    initialised (see :func:`transfer_weights`).

    Example:
    >>> model = with_new_heads(SFNet(num_classes=19, decoder_filters=16), num_classes=5)
    >>> model.num_classes
    5
    """
    config = pretrained.get_config()
    if num_classes is not None:
        config["num_classes"] = num_classes
    if deep_supervision is not None:
        config["deep_supervision"] = deep_supervision
    config.update(overrides)
    model = type(pretrained).from_config(config)
    transfer_weights(pretrained, model)
    return model
