"""`STDCBackbone`: STDC1 / STDC2 (Fan et al., "Rethinking BiSeNet", CVPR 2021)."""

from __future__ import annotations

import keras

from keras_sfnet.backbones.backbone import Backbone, check_choice, image_input
from keras_sfnet.backbones.padded_conv import avg_pool_3x3_s2, conv_bn

STDC_LAYERS = {1: (2, 2, 2), 2: (4, 5, 3)}
"""Blocks per stage: STDC1 is the authors' ``STDCNet813``, STDC2 ``STDCNet1446``."""
STDC_WIDTHS = (256, 512, 1024)
STDC_BASE = 64


def cat_bottleneck(x, filters: int, strides: int, name: str):
    """STDC's ``CatBottleneck`` with 4 sub-blocks.

    ``out0 = ConvX1x1(x -> C/2)``; at stride 2 ``a = BN(depthwise3x3_s2(out0))`` and
    ``skip = AvgPool3x3_s2(out0)`` (padded zeros count: border windows divide by 9);
    ``out1 = ConvX3x3(a or out0 -> C/4)``, ``out2 = ConvX3x3(-> C/8)``,
    ``out3 = ConvX3x3(-> C/8)``; output ``concat[skip or out0, out1, out2, out3]``.
    """
    out0 = conv_bn(x, filters // 2, 1, 1, f"{name}_convx0")
    y = out0
    if strides == 2:
        y = conv_bn(out0, None, 3, 2, f"{name}_avd", relu=False, depthwise=True)
        out0 = avg_pool_3x3_s2(out0, f"{name}_skip")
    out1 = conv_bn(y, filters // 4, 3, 1, f"{name}_convx1")
    out2 = conv_bn(out1, filters // 8, 3, 1, f"{name}_convx2")
    out3 = conv_bn(out2, filters // 8, 3, 1, f"{name}_convx3")
    return keras.layers.Concatenate(name=f"{name}_concat")([out0, out1, out2, out3])


@keras.saving.register_keras_serializable(package="keras_sfnet")
class STDCBackbone(Backbone):
    """STDC encoder (the authors' ``STDCNet813`` / ``STDCNet1446`` trunk, "cat" blocks).

    ``ConvX(3->32, 3x3 s2)``, ``ConvX(32->64, 3x3 s2)`` (stride 4), then three stages
    of CatBottlenecks with widths 256, 512, 1024 (the first block of each has stride
    2): [2, 2, 2] blocks for STDC1, [4, 5, 3] for STDC2. ConvX = conv (no bias,
    symmetric padding) + BN + ReLU. The ImageNet classifier (``conv_last``, ``fc``,
    ``bn``, ``linear``) is not built: segmentation never calls it.

    Pyramid: ``"P2"`` (stride 4, 64 ch), ``"P3"`` (8, 256), ``"P4"`` (16, 512),
    ``"P5"`` (32, 1024).

    Args:
        version: int, 1 (STDC1) or 2 (STDC2).
        input_shape: tuple, input shape without batch. Defaults to ``(None, None, 3)``.

    Example:
    >>> backbone = STDCBackbone(version=1)
    >>> pyramid = backbone(keras.ops.zeros((1, 64, 64, 3)))
    >>> [tuple(pyramid[k].shape[1:]) for k in ("P2", "P3", "P4", "P5")]
    [(16, 16, 64), (8, 8, 256), (4, 4, 512), (2, 2, 1024)]
    """

    config_arguments = ("version",)

    def __init__(self, version: int = 1, input_shape=(None, None, 3), **kwargs):
        check_choice("version", version, STDC_LAYERS)
        input_shape, inputs = image_input(input_shape)
        x = conv_bn(inputs, STDC_BASE // 2, 3, 2, "stem1")
        x = conv_bn(x, STDC_BASE, 3, 2, "stem2")
        pyramid = {"P2": x}
        for stage, (width, blocks) in enumerate(zip(STDC_WIDTHS, STDC_LAYERS[version]), 3):
            for b in range(blocks):
                x = cat_bottleneck(x, width, 2 if b == 0 else 1, f"stage{stage}_block{b + 1}")
            pyramid[f"P{stage}"] = x
        self._init_pyramid(inputs, pyramid, input_shape, {"version": version}, **kwargs)
