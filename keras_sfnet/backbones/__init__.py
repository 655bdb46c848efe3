"""Encoders that return a feature pyramid dict keyed by stride (``"P2"`` = stride 4, ...).

Every encoder has ``decoder_levels``: the pyramid keys SFNet's v1 head reads, fine to
coarse (the last one goes through pyramid pooling).
"""

from keras_sfnet.backbones.dfnet import DFNET_PYRAMID, DFNetBackbone
from keras_sfnet.backbones.resnet import ResNetBackbone
from keras_sfnet.backbones.shufflenet_v2 import ShuffleNetV2Backbone
from keras_sfnet.backbones.stdc import STDCBackbone
from keras_sfnet.names import RESNET_BACKBONES  # noqa: F401 (re-exported)

BACKBONES = {
    "resnet18": (ResNetBackbone, {"depth": 18}),
    "resnet50": (ResNetBackbone, {"depth": 50}),
    "resnet101": (ResNetBackbone, {"depth": 101}),
    "dfnet1": (DFNetBackbone, {"version": 1}),
    "dfnet2": (DFNetBackbone, {"version": 2}),
    "stdc1": (STDCBackbone, {"version": 1}),
    "stdc2": (STDCBackbone, {"version": 2}),
    "shufflenetv2": (ShuffleNetV2Backbone, {}),
}
"""Name -> (encoder class, its constructor arguments)."""

DECODER_LEVELS = {
    name: tuple(DFNET_PYRAMID[kwargs["version"]].values())
    if cls is DFNetBackbone
    else ("P2", "P3", "P4", "P5")
    for name, (cls, kwargs) in BACKBONES.items()
}
"""Name -> the pyramid keys SFNet's v1 head reads, fine to coarse (``decoder_levels``)."""


def get_backbone(backbone: str, **kwargs):
    """Builds a registered backbone by name (one of ``BACKBONES``).

    Extra keyword arguments go to the encoder's constructor (``input_shape``, ``name``;
    ``stem`` and ``dilated`` for the ResNets, ``p5`` for ShuffleNetV2).

    Example:
    >>> backbone = get_backbone("stdc1", input_shape=(64, 64, 3))
    """
    if backbone not in BACKBONES:
        raise ValueError(
            f"`backbone` must be one of {list(BACKBONES)}. Received: backbone={backbone!r}"
        )
    cls, defaults = BACKBONES[backbone]
    return cls(**defaults, **kwargs)


__all__ = [
    "BACKBONES",
    "DECODER_LEVELS",
    "DFNetBackbone",
    "RESNET_BACKBONES",
    "ResNetBackbone",
    "STDCBackbone",
    "ShuffleNetV2Backbone",
    "get_backbone",
]
