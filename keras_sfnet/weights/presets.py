"""Presets in the keras-hub layout: a folder (or hub handle) that rebuilds a model.

A preset folder holds ``config.json`` (the serialized model, as keras-hub writes it:
``module``, ``class_name``, ``config``, ``registered_name``), ``model.weights.h5``,
``preprocessor.json`` (the serialized image converter: scale, mean/std, channel order)
and ``metadata.json`` (versions, parameter count, class names, palette, mIoU).
Handles ``hf://owner/repo`` and ``kaggle://owner/model/keras/variation[/version]``
are downloaded file by file with ``huggingface_hub`` / ``kagglehub`` (optional
dependencies), as keras-hub does.
"""

from __future__ import annotations

import datetime
import json
import logging
import os

import keras
import numpy as np

from keras_sfnet.version import __version__

__all__ = [
    "CONFIG_FILE",
    "METADATA_FILE",
    "PREPROCESSOR_FILE",
    "WEIGHTS_FILE",
    "is_preset",
    "load_preset_metadata",
    "load_preset_model",
    "load_preset_preprocessor",
    "preset_file",
    "save_preset",
]

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
PREPROCESSOR_FILE = "preprocessor.json"
METADATA_FILE = "metadata.json"
HUB_SCHEMES = {"hf://": "huggingface_hub", "kaggle://": "kagglehub"}
# The authors' normalisation (torchvision's ImageNet statistics on [0, 1] RGB).
DEFAULT_PREPROCESSOR = {
    "module": "keras_sfnet.layers.image_converter",
    "class_name": "ImageConverter",
    "config": {
        "name": "image_converter",
        "scale": 1.0 / 255.0,
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
        "bgr": False,
    },
    "registered_name": "keras_sfnet>ImageConverter",
}


def _hub_scheme(preset: str) -> str | None:
    return next((s for s in HUB_SCHEMES if preset.startswith(s)), None)


def is_preset(preset) -> bool:
    """True for a hub handle or a local folder holding a ``config.json``.

    Example:
    >>> is_preset("hf://my-org/sfnet-r18-cityscapes")
    True
    """
    if not isinstance(preset, (str, os.PathLike)):
        return False
    preset = os.fspath(preset)
    if _hub_scheme(preset):
        return True
    return os.path.isdir(preset) and os.path.exists(os.path.join(preset, CONFIG_FILE))


def _import_hub(module: str, preset: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"Loading the preset '{preset}' needs the `{module}` package. Install it "
            f"(`pip install {module.replace('_', '-')}`), or download the preset folder "
            "and pass its local path."
        ) from None


def preset_file(preset, name: str) -> str:
    """The local path of one file of a preset, downloaded first for a hub handle.

    Args:
        preset: a local folder, ``"hf://owner/repo"`` or
            ``"kaggle://owner/model/keras/variation[/version]"``.
        name: the file name inside the preset (``"config.json"``, ...).

    Example:
    >>> preset_file("runs/cs_r18/preset", "config.json")  # doctest: +SKIP
    'runs/cs_r18/preset/config.json'
    """
    preset = os.fspath(preset)
    scheme = _hub_scheme(preset)
    if scheme == "hf://":
        hub = _import_hub("huggingface_hub", preset)
        repo_id = preset[len(scheme) :].strip("/")
        return hub.hf_hub_download(repo_id=repo_id, filename=name)
    if scheme == "kaggle://":
        hub = _import_hub("kagglehub", preset)
        handle = preset[len(scheme) :].strip("/")
        return hub.model_download(handle, path=name)
    if not os.path.isdir(preset):
        raise FileNotFoundError(
            f"Preset not found: '{preset}' is neither a folder nor a 'hf://' / 'kaggle://' handle."
        )
    path = os.path.join(preset, name)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"'{preset}' is not a complete preset: '{name}' is missing (a preset holds "
            f"{CONFIG_FILE}, {WEIGHTS_FILE}, {PREPROCESSOR_FILE} and {METADATA_FILE}; "
            "write one with `model.save_to_preset(folder)`)."
        )
    return path


def _read_json(preset, name: str) -> dict:
    with open(preset_file(preset, name), encoding="utf-8") as f:
        return json.load(f)


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def save_preset(
    model: keras.Model,
    preset_dir,
    *,
    class_names=None,
    palette=None,
    mean_iou: float | None = None,
    preprocessor=None,
    metadata: dict | None = None,
) -> str:
    """Writes ``model`` as a preset folder (config, weights, preprocessor, metadata).

    Args:
        model: the :class:`~keras_sfnet.SFNet` to save.
        preset_dir: folder to write (created; existing preset files are replaced).
        class_names: sequence of ``num_classes`` names, or None.
        palette: ``(num_classes, 3)`` RGB colours, or None.
        mean_iou: float or None, the model's validation mIoU (in [0, 1]).
        preprocessor: a serializable image converter layer, or None for the authors'
            ImageNet normalisation of uint8 RGB images.
        metadata: dict, more JSON-serializable fields for ``metadata.json``
            (``dataset``, ``source``, ...).

    Returns:
        The folder's path.

    Example:
    >>> save_preset(model, "my_preset", class_names=["road", "car"])  # doctest: +SKIP
    'my_preset'
    """
    num_classes = getattr(model, "num_classes", None)
    for name, value in (("class_names", class_names), ("palette", palette)):
        if value is not None and num_classes is not None and len(value) != num_classes:
            raise ValueError(
                f"`{name}` must have one entry per class ({num_classes}). "
                f"Received: {len(value)} entries"
            )
    if palette is not None and np.shape(palette)[1:] != (3,):
        raise ValueError(
            f"`palette` must be (num_classes, 3) RGB colours. Received shape {np.shape(palette)}"
        )
    if mean_iou is not None and not 0.0 <= float(mean_iou) <= 1.0:
        raise ValueError(f"`mean_iou` must be in [0, 1]. Received: mean_iou={mean_iou}")
    preset_dir = os.fspath(preset_dir)
    if _hub_scheme(preset_dir):
        raise ValueError(
            f"`save_to_preset` writes a local folder. Received: '{preset_dir}'. Save locally, "
            "then upload the folder with huggingface_hub / kagglehub."
        )
    os.makedirs(preset_dir, exist_ok=True)
    config = keras.saving.serialize_keras_object(model)
    config.pop("compile_config", None)  # a preset is a model, not a training run
    with open(os.path.join(preset_dir, CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    model.save_weights(os.path.join(preset_dir, WEIGHTS_FILE), overwrite=True)
    converter = (
        DEFAULT_PREPROCESSOR
        if preprocessor is None
        else keras.saving.serialize_keras_object(preprocessor)
    )
    with open(os.path.join(preset_dir, PREPROCESSOR_FILE), "w", encoding="utf-8") as f:
        json.dump(converter, f, indent=2)
    info = {
        "keras_version": keras.__version__,
        "keras_sfnet_version": __version__,
        "parameter_count": int(model.count_params()),
        "date_saved": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d@%H:%M:%S"),
        "num_classes": num_classes,
        "class_names": list(class_names) if class_names is not None else None,
        "palette": _jsonable(np.asarray(palette, dtype=int)) if palette is not None else None,
        "mean_iou": float(mean_iou) if mean_iou is not None else None,
        **_jsonable(dict(metadata or {})),
    }
    with open(os.path.join(preset_dir, METADATA_FILE), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
    logger.info("Wrote preset %s", preset_dir)
    return preset_dir


def load_preset_metadata(preset) -> dict:
    """The preset's ``metadata.json`` (class names, palette, mIoU, versions).

    Example:
    >>> load_preset_metadata("my_preset")["class_names"]  # doctest: +SKIP
    ['road', 'car']
    """
    return _read_json(preset, METADATA_FILE)


def load_preset_preprocessor(preset):
    """The preset's image converter, deserialized (its config dict while the converter
    class is not available).

    Example:
    >>> converter = load_preset_preprocessor("my_preset")  # doctest: +SKIP
    """
    config = _read_json(preset, PREPROCESSOR_FILE)
    if keras.saving.get_registered_object(config.get("registered_name")) is None:
        return config
    return keras.saving.deserialize_keras_object(config)


def load_preset_model(preset, num_classes: int | None = None, **overrides) -> keras.Model:
    """Rebuilds the model of a preset and loads its weights.

    Args:
        preset: a folder, ``"hf://owner/repo"`` or ``"kaggle://..."`` handle.
        num_classes: int or None (the preset's). Another number of classes keeps every
            weight but the class-specific layers, which are freshly initialised.
            The architecture is the preset's; overrides of it are logged, and one
            that changes weight shapes is an error naming every differing field.
        **overrides: other constructor arguments to change (``dtype``,
            ``input_shape``, ``deep_supervision``, ...).

    Example:
    >>> model = load_preset_model("runs/cs_r18/preset", num_classes=5)  # doctest: +SKIP
    """
    config = _read_json(preset, CONFIG_FILE)
    if not isinstance(config, dict) or "config" not in config or "class_name" not in config:
        raise ValueError(
            f"'{preset}' has no model config in {CONFIG_FILE} (expected a serialized Keras "
            "model with 'class_name' and 'config')."
        )
    weights = preset_file(preset, WEIGHTS_FILE)
    try:
        pretrained = keras.saving.deserialize_keras_object(config)
    except TypeError as error:
        raise TypeError(
            f"Could not rebuild the model of preset '{preset}' ({error}). A keras_sfnet "
            "preset needs `import keras_sfnet` first."
        ) from None
    pretrained.load_weights(weights)
    if num_classes is not None:
        overrides["num_classes"] = num_classes
    if not overrides or all(pretrained.get_config().get(k) == v for k, v in overrides.items()):
        return pretrained
    from keras_sfnet.weights.architecture import architecture_differences
    from keras_sfnet.weights.transfer import transfer_weights

    target_config = dict(config)
    target_config["config"] = {**config["config"], **overrides}
    model = keras.saving.deserialize_keras_object(target_config)
    differences = architecture_differences(pretrained.get_config(), model.get_config())
    if differences:
        logger.info("Overriding the architecture of preset '%s': %s", preset, "; ".join(differences))
    try:
        transfer_weights(pretrained, model)
    except ValueError as error:
        if not differences:
            raise
        raise ValueError(
            f"The overrides change the architecture of preset '{preset}' so that its weights "
            f"do not fit: {'; '.join(differences)}. ({error})"
        ) from None
    return model


def segmenter_arguments(preset) -> dict:
    """Keyword arguments of :class:`~keras_sfnet.Segmenter` stored in a preset."""
    converter = load_preset_preprocessor(preset)
    return {} if isinstance(converter, dict) else {"preprocessor": converter}
