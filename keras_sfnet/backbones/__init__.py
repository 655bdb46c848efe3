"""Encoders that return a feature pyramid ``{"P2", "P3", "P4", "P5"}``."""

from keras_sfnet.backbones.resnet import ResNetBackbone

BACKBONES = {
    "resnet18": {"depth": 18},
    "resnet50": {"depth": 50},
    "resnet101": {"depth": 101},
}


def get_backbone(backbone: str, **kwargs) -> ResNetBackbone:
    """Builds a registered backbone by name (``"resnet18"``, ``"resnet50"``, ``"resnet101"``).

    Example:
    >>> backbone = get_backbone("resnet18", input_shape=(64, 64, 3))
    """
    if backbone not in BACKBONES:
        raise ValueError(
            f"`backbone` must be one of {list(BACKBONES)}. Received: backbone={backbone!r}"
        )
    return ResNetBackbone(**BACKBONES[backbone], **kwargs)


__all__ = ["BACKBONES", "ResNetBackbone", "get_backbone"]
