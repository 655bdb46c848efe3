"""Loads ImageNet (or SFNet-trunk) weights into an encoder, for fine-tuning.

The authors' deep-stem ImageNet ResNets, torchvision ResNets and ShuffleNetV2, DFNet
and STDC ImageNet files, or the trunk of an authors' SFNet checkpoint, through the
name tables of :mod:`keras_sfnet.weights.official` and
:mod:`keras_sfnet.weights.encoder_names`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from keras_sfnet.backbones import ResNetBackbone
from keras_sfnet.weights.encoder_names import encoder_name_table
from keras_sfnet.weights.official import (
    CheckpointMismatchError,
    as_state_dict,
    assign_from_table,
    backbone_name_table,
    resolve_stdc_aliases,
)

__all__ = ["detect_backbone_style", "load_backbone_weights"]

logger = logging.getLogger(__name__)


def detect_backbone_style(state_dict: Mapping[str, np.ndarray]) -> str:
    """``"sfnet"``, ``"imagenet_deep"`` or ``"torchvision"`` from the tensor names."""
    if "layer0.0.0.weight" in state_dict:
        return "sfnet"
    if "conv1.0.weight" in state_dict:
        return "imagenet_deep"
    if "conv1.weight" in state_dict:
        return "torchvision"
    raise CheckpointMismatchError(
        "Not a ResNet checkpoint keras_sfnet knows: expected 'layer0.0.0.weight' (SFNet), "
        "'conv1.0.weight' (the authors' deep-stem ImageNet ResNet) or 'conv1.weight' "
        "(torchvision ResNet)."
    )


def _load_encoder_weights(backbone, state_dict, source):
    """Loads a DFNet/STDC/ShuffleNetV2 trunk, ignoring modules the encoder does not have."""
    prefix = "backbone." if any(k.startswith("backbone.") for k in state_dict) else ""
    state_dict = resolve_stdc_aliases(state_dict)
    table = encoder_name_table(backbone, prefix)
    modules = {name[len(prefix) :].split(".")[0] for name, _ in table}
    ignored = [
        k
        for k in state_dict
        if not k.startswith(prefix) or k[len(prefix) :].split(".")[0] not in modules
    ]
    if ignored:
        logger.info(
            "Skipped %d tensors of %s that the encoder does not build (first %r: "
            "classifier or decoder)",
            len(ignored),
            source,
            ignored[0],
        )
    kept = {k: v for k, v in state_dict.items() if k not in set(ignored)}
    return assign_from_table(table, kept, source)


def load_backbone_weights(backbone, checkpoint, style: str | None = None):
    """Loads ImageNet (or SFNet-trunk) weights into an encoder, for fine-tuning.

    Accepts, for a :class:`~keras_sfnet.backbones.ResNetBackbone`, the authors'
    ``resnet18-deep-inplane128.pth`` / ``resnet50-deep.pth`` / ``resnet101-deep.pth``
    (deep stem), torchvision ResNet state_dicts (build the backbone with
    ``stem="standard"``), or an SFNet checkpoint (its trunk); the classifier (``fc.*``)
    and an SFNet ``head.*`` are ignored. For the light encoders: the authors'
    ``df1_imagenet.pth`` / ``df2_imagenet.pth`` (:class:`DFNetBackbone`),
    ``STDCNet813_73.91.tar`` / ``STDCNet1446_76.47.tar`` (:class:`STDCBackbone`;
    aliases read once, the ImageNet classifier skipped), torchvision
    ``shufflenet_v2_x1_0`` state_dicts (:class:`ShuffleNetV2Backbone`; ``fc`` and, with
    ``p5="stage4"``, ``conv5`` skipped), or one of the authors' SFNet checkpoints
    (``backbone.*``). Modules the encoder does not build are skipped with one log line;
    tensors of the modules it builds must all fit.

    Example:
    >>> model = SFNet("resnet18", num_classes=19)
    >>> load_backbone_weights(model.backbone, "resnet18-deep-inplane128.pth")  # doctest: +SKIP
    """
    state_dict, source = as_state_dict(checkpoint)
    if not isinstance(backbone, ResNetBackbone):
        count = _load_encoder_weights(backbone, state_dict, source)
        logger.info("Loaded %d %s tensors from %s", count, type(backbone).__name__, source)
        return backbone
    style = style or detect_backbone_style(state_dict)
    table = backbone_name_table(backbone, style)
    count = assign_from_table(table, state_dict, source, ignore=("fc.", "head."))
    logger.info("Loaded %d backbone tensors (%s) from %s", count, style, source)
    return backbone
