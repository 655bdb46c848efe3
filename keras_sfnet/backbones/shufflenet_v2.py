"""`ShuffleNetV2Backbone`: torchvision's ShuffleNetV2 x1.0 trunk (Ma et al., ECCV 2018)."""

from __future__ import annotations

import keras

from keras_sfnet.backbones.backbone import Backbone, image_input
from keras_sfnet.backbones.padded_conv import conv_bn, max_pool_3x3_s2
from keras_sfnet.layers.channel_shuffle import ChannelShuffle
from keras_sfnet.layers.channel_split import ChannelSplit

SHUFFLENET_V2_STAGES = (("stage2", 116, 4), ("stage3", 232, 8), ("stage4", 464, 4))
"""torchvision's ``shufflenet_v2_x1_0``: (stage, output channels, blocks)."""
SHUFFLENET_V2_STEM = 24
SHUFFLENET_V2_CONV5 = 1024
P5_CHOICES = ("stage4", "conv5")


def inverted_residual(x, filters: int, strides: int, name: str):
    """torchvision's ShuffleNetV2 ``InvertedResidual``.

    Stride 1: split the channels in two, ``branch2`` (1x1 BN ReLU, depthwise 3x3 BN,
    1x1 BN ReLU) on the second half, concat, shuffle. Stride 2: ``branch1``
    (depthwise 3x3 s2 BN, 1x1 BN ReLU) and ``branch2`` (with a strided depthwise) both
    on the whole input, concat, shuffle.
    """
    half = filters // 2
    if strides == 1:
        passthrough, x2 = ChannelSplit(name=f"{name}_split")(x)
    else:
        passthrough = conv_bn(x, None, 3, strides, f"{name}_branch1_dw", False, True)
        passthrough = conv_bn(passthrough, half, 1, 1, f"{name}_branch1_pw")
        x2 = x
    y = conv_bn(x2, half, 1, 1, f"{name}_branch2_pw1")
    y = conv_bn(y, None, 3, strides, f"{name}_branch2_dw", relu=False, depthwise=True)
    y = conv_bn(y, half, 1, 1, f"{name}_branch2_pw2")
    y = keras.layers.Concatenate(name=f"{name}_concat")([passthrough, y])
    return ChannelShuffle(2, name=f"{name}_shuffle")(y)


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ShuffleNetV2Backbone(Backbone):
    """ShuffleNetV2 1.0x encoder: the trunk of torchvision's ``shufflenet_v2_x1_0``.

    The SFNet paper's Table 1(d) backbone. ``conv1`` 3x3 s2 (24) BN ReLU + 3x3/2
    max-pool (stride 4), then stages of 4, 8, 4 inverted residuals (116, 232, 464
    channels). Pyramid: ``"P2"`` (stride 4, 24 ch), ``"P3"`` (8, 116), ``"P4"`` (16,
    232), ``"P5"`` (32): ``stage4`` (464 ch) or, with ``p5="conv5"``, torchvision's
    ``conv5`` (1x1 -> 1024, BN, ReLU) after it. ``"stage4"`` is the default: it gives
    the paper's cost (see ``benchmarks/README.md``). Padding is symmetric as in PyTorch.

    Args:
        p5: str, ``"stage4"`` or ``"conv5"``. Defaults to ``"stage4"``.
        input_shape: tuple, input shape without batch. Defaults to ``(None, None, 3)``.

    Example:
    >>> backbone = ShuffleNetV2Backbone()
    >>> pyramid = backbone(keras.ops.zeros((1, 64, 64, 3)))
    >>> [tuple(pyramid[k].shape[1:]) for k in ("P2", "P3", "P4", "P5")]
    [(16, 16, 24), (8, 8, 116), (4, 4, 232), (2, 2, 464)]
    """

    config_arguments = ("p5",)

    def __init__(self, p5: str = "stage4", input_shape=(None, None, 3), **kwargs):
        if p5 not in P5_CHOICES:
            raise ValueError(f"`p5` must be one of {list(P5_CHOICES)}. Received: p5={p5!r}")
        input_shape, inputs = image_input(input_shape)
        x = conv_bn(inputs, SHUFFLENET_V2_STEM, 3, 2, "conv1")
        x = max_pool_3x3_s2(x, "stem_pool")
        pyramid = {"P2": x}
        for level, (stage, filters, blocks) in enumerate(SHUFFLENET_V2_STAGES, 3):
            for b in range(blocks):
                x = inverted_residual(x, filters, 2 if b == 0 else 1, f"{stage}_block{b + 1}")
            pyramid[f"P{level}"] = x
        if p5 == "conv5":
            pyramid["P5"] = conv_bn(x, SHUFFLENET_V2_CONV5, 1, 1, "conv5")
        self._init_pyramid(inputs, pyramid, input_shape, {"p5": p5}, **kwargs)
