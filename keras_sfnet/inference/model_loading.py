"""Loading a trained segmentation model from a file, whatever its format.

A model trained by `keras_sfnet.training.train` knows its classes: its
`model.keras` holds, beside Keras' own files, `keras_sfnet_classes.json` (the
dataset name, class names and palette; `save_model_classes`), and a preset
records them in its `metadata.json`. `load_model_classes` reads either back as a
`DatasetInfo`, which `sfnet-predict` and `sfnet-evaluate` use for legends,
colours and per-class tables.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile

import keras
import numpy as np

__all__ = [
    "CLASSES_MEMBER",
    "is_model_source",
    "load_model_classes",
    "load_segmentation_model",
    "model_class_info",
    "save_model_classes",
    "segmenter_options",
]

logger = logging.getLogger(__name__)

#: The member of a `.keras` archive that records the model's classes.
CLASSES_MEMBER = "keras_sfnet_classes.json"
_HUB_SCHEMES = ("hf://", "kaggle://")


def is_model_source(path) -> bool:
    """True for what `load_segmentation_model` reads: a model file, preset folder or handle."""
    path = os.fspath(path)
    if path.startswith(_HUB_SCHEMES):
        return True
    if os.path.isdir(path):
        return os.path.exists(os.path.join(path, "config.json"))
    return path.lower().endswith((".keras", ".pth", ".pt", ".pth.tar", ".tar"))


def save_model_classes(path, info) -> None:
    """Records a `DatasetInfo`'s name, class names and palette inside a `.keras` file.

    The entry is added to the archive (Keras ignores it when loading).

    Args:
        path: str or path of a `.keras` file.
        info: a `keras_sfnet.data.DatasetInfo`.

    Example:
    >>> save_model_classes("runs/mine/model.keras", info)  # doctest: +SKIP
    """
    record = {
        "dataset": info.name,
        "num_classes": int(info.num_classes),
        "class_names": [str(n) for n in info.class_names],
        "palette": np.asarray(info.palette, dtype=int).tolist(),
        "ignore_index": int(info.ignore_index),
    }
    with zipfile.ZipFile(os.fspath(path), "a") as archive:
        if CLASSES_MEMBER in archive.namelist():
            raise ValueError(f"'{path}' already records its classes.")
        archive.writestr(CLASSES_MEMBER, json.dumps(record, indent=2))


def load_model_classes(path):
    """The classes a model records (`save_model_classes`, or a preset's metadata).

    Args:
        path: a `.keras` file, a preset folder or handle (other files record none).

    Returns:
        A `keras_sfnet.data.DatasetInfo` (named after the training dataset), or
        `None` when the model records no class names.

    Example:
    >>> load_model_classes("runs/mine/model.keras").class_names  # doctest: +SKIP
    ('background', 'cat', 'dog')
    """
    from keras_sfnet.data import DatasetInfo
    from keras_sfnet.weights.presets import is_preset, load_preset_metadata

    path = os.fspath(path)
    record = None
    if is_preset(path):
        record = load_preset_metadata(path)
    elif path.lower().endswith(".keras") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if CLASSES_MEMBER in archive.namelist():
                record = json.loads(archive.read(CLASSES_MEMBER))
    if not record or not record.get("class_names"):
        return None
    names = list(record["class_names"])
    return DatasetInfo(
        name=str(record.get("dataset") or "model"),
        num_classes=len(names),
        class_names=names,
        palette=record.get("palette"),
        ignore_index=int(record.get("ignore_index", 255)),
    )


def segmenter_options(path) -> dict:
    """`Segmenter` arguments a model source records (a preset's image converter).

    Example:
    >>> segmenter_options("runs/mine/model.keras")  # doctest: +SKIP
    {}
    """
    from keras_sfnet.weights.presets import is_preset, segmenter_arguments

    return segmenter_arguments(path) if is_preset(path) else {}


def model_class_info(
    path, num_classes: int, *, dataset: str | None = None, class_names=None
):
    """The classes to show a model's predictions with: given, recorded, or generic.

    In order: `class_names` (then the palette is the model's recorded one, or
    generated); the built-in `dataset` (`"none"`: generic names); the classes
    the model records (`load_model_classes`); Cityscapes for a 19-class model
    that records none (the authors' checkpoints); generic `class_0`, ... names.

    Args:
        path: the model (file, preset folder or handle).
        num_classes: int, the classes the model predicts.
        dataset: str or `None`. A built-in dataset name overriding the model's.
        class_names: sequence of `num_classes` str, or `None`.

    Returns:
        A `keras_sfnet.data.DatasetInfo` of `num_classes` classes.

    Raises:
        ValueError: the names or the dataset have another class count.

    Example:
    >>> model_class_info("runs/mine/model.keras", 3).class_names  # doctest: +SKIP
    ('background', 'cat', 'dog')
    """
    from keras_sfnet.data import DatasetInfo, get_dataset_info

    recorded = load_model_classes(path)
    if class_names is not None:
        names = [str(n) for n in class_names]
        if len(names) != num_classes:
            raise ValueError(
                f"The model predicts {num_classes} classes. Received {len(names)} class "
                f"names: {names}"
            )
        palette = recorded.palette if recorded is not None and (
            recorded.num_classes == num_classes
        ) else None  # fmt: skip
        name = recorded.name if recorded is not None else "predictions"
        return DatasetInfo(name=name, num_classes=num_classes, class_names=names, palette=palette)
    if dataset is not None and dataset.lower() == "none":
        return DatasetInfo(name="predictions", num_classes=num_classes)
    if dataset is not None:
        info = get_dataset_info(dataset)
        source = f"dataset '{info.name}'"
    elif recorded is not None:
        info, source = recorded, f"the classes recorded in '{os.fspath(path)}'"
    elif num_classes == 19:
        info, source = get_dataset_info("cityscapes"), "Cityscapes (a 19-class model)"
    else:
        return DatasetInfo(name="predictions", num_classes=num_classes)
    if info.num_classes != num_classes:
        raise ValueError(
            f"The model predicts {num_classes} classes but {source} has {info.num_classes}: "
            "pass another dataset (`--dataset`, 'none' for generic names) or the class "
            "names (`--class-names`)."
        )
    logger.info("Class names and colours of %s.", source)
    return info


def load_segmentation_model(path: str | os.PathLike, **kwargs) -> keras.Model:
    """Loads a segmentation model from a `.keras` file, a preset or an authors' `.pth`.

    The inference name of the one dispatcher, `keras_sfnet.weights.load_model`
    (which also reads a `.weights.h5` file with its `config.json`).

    - `.keras`: `keras.saving.load_model` (SFNet's classes are registered, no
      `custom_objects` needed); the model is loaded without compiling.
    - a preset folder (or `hf://` / `kaggle://` handle): `load_preset_model`
      (`**kwargs`: its overrides, e.g. `num_classes`).
    - `.pth` / `.pt` / `.pth.tar`: the authors' PyTorch checkpoint, converted by
      `keras_sfnet.weights.from_official_checkpoint` (no torch needed);
      `**kwargs` (e.g. `backbone`, `num_classes`) are passed to it.

    Args:
        path: str or path of the model file.
        **kwargs: for `.pth` files only.

    Returns:
        A `keras.Model` (a `keras_sfnet.SFNet` for both formats).

    Raises:
        FileNotFoundError: no such file.
        ValueError: an unknown file extension, or a `.keras` file that is not a zip
            archive (corrupt or truncated).

    Example:
    >>> model = load_segmentation_model("sfnet_r18_cityscapes.keras")  # doctest: +SKIP
    """
    from keras_sfnet.weights.dispatch import load_model

    path = os.fspath(path)
    if kwargs and path.lower().endswith(".keras") and os.path.isfile(path):
        raise ValueError(
            f"Extra arguments apply to .pth checkpoints only. Received: {sorted(kwargs)}"
        )
    return load_model(path, **kwargs)
