"""Loads pretrained weights into an SFNet whose classes may differ (fine-tuning)."""

from __future__ import annotations

import json
import logging
import os
import zipfile

import keras

__all__ = [
    "ARCHITECTURE_FIELDS",
    "WEIGHT_SOURCES",
    "architecture_differences",
    "load_pretrained_weights",
    "pretrained_architecture",
    "pretrained_model",
    "transfer_weights",
    "with_new_heads",
]

logger = logging.getLogger(__name__)

WEIGHT_SOURCES = (
    "a keras.Model",
    "a '.keras' file",
    "a '.weights.h5' file",
    "a preset folder or 'hf://' / 'kaggle://' handle",
    "an authors' '.pth' checkpoint",
)


# SFNet's constructor arguments that make its architecture (all but the classes).
_NETWORK_FIELDS = ("backbone", "head", "dilated", "stem", "decoder_filters")
ARCHITECTURE_FIELDS = _NETWORK_FIELDS + (
    "decoder",
    "context",
    "fam_levels",
    "flow_kernel_size",
    "fam_upsampling",
    "flow_estimator",
    "alignment",
    "final_fusion",
)
"""SFNet arguments that a pretrained source fixes (its classes aside)."""


def _architecture_of_config(config: dict) -> dict:
    """The architecture fields of an SFNet config, switches completed and normalised."""
    from keras_sfnet.decoders.switches import DEFAULT_SWITCHES, check_switches

    architecture = {k: config[k] for k in _NETWORK_FIELDS if config.get(k) is not None}
    switches = {k: config[k] for k in DEFAULT_SWITCHES if k in config}
    try:
        architecture.update(check_switches(switches))
    except ValueError:
        architecture.update(switches)
    if "fam_levels" in architecture and architecture["fam_levels"] is not None:
        architecture["fam_levels"] = tuple(architecture["fam_levels"])
    return architecture


def _train_config_architecture(values: dict) -> dict:
    """The architecture of a training run's `config.json` (a `TrainConfig`)."""
    config = {k: values.get(k) for k in _NETWORK_FIELDS}
    config.update(values.get("decoder_options") or {})
    return _architecture_of_config(config)


def _read_json(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _weights_file_architecture(path: str) -> dict | None:
    """The architecture recorded beside a `.weights.h5` file, if any.

    A preset folder's `config.json` (a serialized SFNet), or a training run's
    `config.json` (a `TrainConfig`) in the same folder or the one above
    (`run/checkpoints/ckpt-*.weights.h5`).
    """
    folder = os.path.dirname(os.path.abspath(path))
    for candidate in (folder, os.path.dirname(folder)):
        values = _read_json(os.path.join(candidate, "config.json"))
        if not isinstance(values, dict):
            continue
        if isinstance(values.get("config"), dict) and "class_name" in values:
            return _architecture_of_config(values["config"])
        if "backbone" in values and "dataset" in values:
            return _train_config_architecture(values)
    return None


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
    from keras_sfnet.models.presets import CONFIG_FILE, is_preset, preset_file

    if isinstance(source, keras.Model):
        return _architecture_of_config(source.get_config())
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"The pretrained weights must be one of {list(WEIGHT_SOURCES)}. "
            f"Received: {type(source).__name__}"
        )
    path = os.fspath(source)
    if is_preset(path):
        values = _read_json(preset_file(path, CONFIG_FILE))
        if not isinstance(values, dict) or not isinstance(values.get("config"), dict):
            raise ValueError(f"Preset '{path}' has no model config in {CONFIG_FILE}.")
        return _architecture_of_config(values["config"])
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
        return _architecture_of_config(values.get("config", {}))
    if path.endswith((".pth", ".pt", ".tar")):
        from keras_sfnet.convert.official import infer_official_config
        from keras_sfnet.convert.torch_checkpoint import read_state_dict

        inferred = infer_official_config(read_state_dict(path))
        # The authors' networks: deep stem, released dilations, released switches.
        return _architecture_of_config(
            {**{k: inferred[k] for k in ("backbone", "head", "decoder_filters")},
             "dilated": True, "stem": "deep"}
        )  # fmt: skip
    if path.endswith(".weights.h5"):
        return _weights_file_architecture(path)
    raise ValueError(
        f"The pretrained weights must be one of {list(WEIGHT_SOURCES)}. Received: '{path}'"
    )


def architecture_differences(source: dict, model: dict) -> list[str]:
    """`field: source value -> model value` for each architecture field that differs.

    Fields that one side does not record are not compared.

    Example:
    >>> architecture_differences({"dilated": False, "backbone": "resnet18"},
    ...                          {"dilated": True, "backbone": "resnet18"})
    ['dilated: False in the pretrained weights, True in the model']
    """
    source, model = _architecture_of_config(source), _architecture_of_config(model)
    return [
        f"{k}: {source[k]!r} in the pretrained weights, {model[k]!r} in the model"
        for k in ARCHITECTURE_FIELDS
        if k in source and k in model and source[k] != model[k]
    ]


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
        # The architecture recorded beside the file (preset or training run), if any.
        config.update(_weights_file_architecture(path) or {})
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
    differences = []
    if hasattr(pretrained, "get_config") and hasattr(model, "get_config"):
        differences = architecture_differences(pretrained.get_config(), model.get_config())
    try:
        fresh = transfer_weights(pretrained, model, allow_new_heads=allow_new_heads)
    except ValueError as error:
        if not differences:
            raise
        raise ValueError(
            f"The pretrained weights of {_describe(source)} do not fit the model, whose "
            f"architecture differs: {'; '.join(differences)}. Build the model with the "
            "pretrained architecture (`pretrained_model(source, num_classes=...)`, or "
            f"`init_from` in training, which does). ({error})"
        ) from None
    if differences:
        logger.warning(
            "The model's architecture differs from that of %s (weights loaded all the same): %s",
            _describe(source),
            "; ".join(differences),
        )
    if not fresh:
        logger.info("Loaded all %d weights from %s", len(model.weights), _describe(source))
    return fresh


def _describe(source) -> str:
    if isinstance(source, keras.Model):
        return f"model '{source.name}'"
    return f"'{os.fspath(source)}'"


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
    from keras_sfnet.models.sfnet import SFNet

    architecture = pretrained_architecture(source)
    if architecture is None:
        raise ValueError(
            f"{_describe(source)} records no architecture (a bare '.weights.h5' file): pass "
            "the '.keras' file or the preset folder, or build the SFNet yourself and call "
            "`load_pretrained_weights(model, source)`."
        )
    changed = {
        k: v for k, v in overrides.items() if k in architecture and architecture[k] != v
    }
    if changed:
        logger.info(
            "Overriding the architecture of %s: %s",
            _describe(source),
            "; ".join(f"{k}={v!r} (source: {architecture[k]!r})" for k, v in changed.items()),
        )
    config = {**architecture, **overrides}
    weights_file = isinstance(source, (str, os.PathLike)) and os.fspath(source).endswith(
        ".weights.h5"
    )
    if num_classes is None and weights_file:
        num_classes = _weights_file_num_classes(os.fspath(source))[0]
    elif num_classes is None:
        source = _source_model(source, None)  # loaded once, for its classes and weights
        num_classes = int(source.num_classes)
    model = SFNet(**config, num_classes=num_classes)
    load_pretrained_weights(model, source)
    return model
