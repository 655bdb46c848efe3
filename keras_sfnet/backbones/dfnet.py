"""`DFNetBackbone`: DFNet v1/v2 (Li et al., "Partial Order Pruning", CVPR 2019)."""

from __future__ import annotations

import keras

from keras_sfnet.backbones.backbone import Backbone, check_choice, image_input
from keras_sfnet.backbones.padded_conv import conv_bn, padded_conv
from keras_sfnet.layers.conv_bn_relu import batch_norm

# (authors' stage name, width, blocks, stride of the first block), in order.
DFNET_STAGES = {
    1: (
        ("stage2", 64, 3, 2),
        ("stage3", 128, 3, 2),
        ("stage4", 256, 3, 2),
        ("stage5", 512, 1, 1),
    ),
    2: (
        ("stage2_1", 64, 2, 2),
        ("stage2_2", 128, 1, 1),
        ("stage3_1", 128, 10, 2),
        ("stage3_2", 256, 1, 1),
        ("stage4_1", 256, 4, 2),
        ("stage4_2", 512, 2, 1),
    ),
}
# Which stage output is which pyramid key, and the levels the SFNet head reads (fine to
# coarse; the last one goes through the pyramid pooling module).
DFNET_PYRAMID = {
    1: {"stage3": "P4", "stage4": "P5_stage4", "stage5": "P5"},
    2: {"stage2_2": "P3", "stage3_2": "P4", "stage4_2": "P5"},
}


def basic_block(x, planes: int, strides: int, name: str):
    """ResNet BasicBlock: conv3x3(stride) BN ReLU conv3x3 BN, shortcut, add, ReLU."""
    shortcut = x
    if strides != 1 or x.shape[-1] != planes:
        shortcut = padded_conv(x, planes, 1, strides, f"{name}_shortcut_conv")
        shortcut = batch_norm(f"{name}_shortcut_bn")(shortcut)
    y = padded_conv(x, planes, 3, strides, f"{name}_conv1")
    y = keras.layers.ReLU(name=f"{name}_relu1")(batch_norm(f"{name}_bn1")(y))
    y = batch_norm(f"{name}_bn2")(padded_conv(y, planes, 3, 1, f"{name}_conv2"))
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.ReLU(name=f"{name}_out")(y)


@keras.saving.register_keras_serializable(package="keras_sfnet")
class DFNetBackbone(Backbone):
    """DFNet encoder, as the SFNet authors use it (``network/dfnet.py``).

    Stem: conv3x3(3->32, s2) BN ReLU, conv3x3(32->64, s2) BN ReLU (stride 4), then
    BasicBlock stages. Version 1: 3 blocks 64 (s2), 3 blocks 128 (s2), 3 blocks 256
    (s2), 1 block 512 at **stride 1**. Version 2: 2x64 (s2), 1x128, 10x128 (s2),
    1x256, 4x256 (s2), 2x512. Padding is symmetric as in PyTorch.

    The pyramid dict holds the three maps SFNet's head reads:

    - version 1: ``"P4"`` (stride 16, 128 ch, ``stage3``), ``"P5_stage4"`` (stride 32,
      256 ch, ``stage4``) and ``"P5"`` (stride 32, 512 ch, ``stage5``): DFNet v1 has
      two stride-32 levels, and the one that is not the encoder's top is named after
      its stage;
    - version 2: ``"P3"`` (stride 8, 128 ch), ``"P4"`` (16, 256 ch), ``"P5"`` (32, 512).

    ``decoder_levels`` lists them fine to coarse, in the order the head consumes them.

    Args:
        version: int, 1 or 2.
        input_shape: tuple, input shape without batch. Defaults to ``(None, None, 3)``.

    Example:
    >>> backbone = DFNetBackbone(version=1)
    >>> pyramid = backbone(keras.ops.zeros((1, 64, 64, 3)))
    >>> [tuple(pyramid[k].shape[1:]) for k in backbone.decoder_levels]
    [(4, 4, 128), (2, 2, 256), (2, 2, 512)]
    """

    config_arguments = ("version",)

    def __init__(self, version: int = 1, input_shape=(None, None, 3), **kwargs):
        check_choice("version", version, DFNET_STAGES)
        input_shape, inputs = image_input(input_shape)
        x = conv_bn(inputs, 32, 3, 2, "stem1")
        x = conv_bn(x, 64, 3, 2, "stem2")
        keys = DFNET_PYRAMID[version]
        pyramid = {}
        for stage, width, blocks, stride in DFNET_STAGES[version]:
            for b in range(blocks):
                x = basic_block(x, width, stride if b == 0 else 1, f"{stage}_block{b + 1}")
            if stage in keys:
                pyramid[keys[stage]] = x
        self._init_pyramid(inputs, pyramid, input_shape, {"version": version}, decoder_levels=tuple(keys.values()), **kwargs)
