"""The architecture fields of SFNet configs: normalised, compared, read beside weight files."""

from __future__ import annotations

import json
import logging
import os

__all__ = [
    "ARCHITECTURE_FIELDS",
    "architecture_differences",
    "architecture_of_config",
    "read_json_or_none",
    "weights_file_architecture",
]
from keras_sfnet.names import DECODER_SWITCHES

logger = logging.getLogger(__name__)

# SFNet's constructor arguments that make its architecture (all but the classes).
_NETWORK_FIELDS = ("backbone", "head", "dilated", "stem", "decoder_filters")
ARCHITECTURE_FIELDS = _NETWORK_FIELDS + DECODER_SWITCHES
"""SFNet arguments that a pretrained source fixes (its classes aside)."""


def architecture_of_config(config: dict) -> dict:
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
    return architecture_of_config(config)


def read_json_or_none(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def weights_file_architecture(path: str) -> dict | None:
    """The architecture recorded beside a `.weights.h5` file, if any.

    A preset folder's `config.json` (a serialized SFNet), or a training run's
    `config.json` (a `TrainConfig`) in the same folder or the one above
    (`run/checkpoints/ckpt-*.weights.h5`).
    """
    folder = os.path.dirname(os.path.abspath(path))
    for candidate in (folder, os.path.dirname(folder)):
        values = read_json_or_none(os.path.join(candidate, "config.json"))
        if not isinstance(values, dict):
            continue
        if isinstance(values.get("config"), dict) and "class_name" in values:
            return architecture_of_config(values["config"])
        if "backbone" in values and "dataset" in values:
            return _train_config_architecture(values)
    return None


def architecture_differences(source: dict, model: dict) -> list[str]:
    """`field: source value -> model value` for each architecture field that differs.

    Fields that one side does not record are not compared.

    Example:
    >>> architecture_differences({"dilated": False, "backbone": "resnet18"},
    ...                          {"dilated": True, "backbone": "resnet18"})
    ['dilated: False in the pretrained weights, True in the model']
    """
    source, model = architecture_of_config(source), architecture_of_config(model)
    return [
        f"{k}: {source[k]!r} in the pretrained weights, {model[k]!r} in the model"
        for k in ARCHITECTURE_FIELDS
        if k in source and k in model and source[k] != model[k]
    ]
