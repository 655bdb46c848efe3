"""`ResNetBackbone`: ResNet-18/50/101 feature pyramid with the authors' deep stem."""

from __future__ import annotations

import keras

from keras_sfnet.backbones.backbone import Backbone, check_choice, image_input
from keras_sfnet.layers.conv_bn_relu import batch_norm
from keras_sfnet.layers.split_input_conv import SplitInputConv2D
from keras_sfnet.layers.subsample import Subsample2D
from keras_sfnet.names import STEMS  # noqa: F401 (re-exported)

RESNET_BLOCKS = {18: (2, 2, 2, 2), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}

STAGE_WIDTHS = (64, 128, 256, 512)


def _conv(x, filters, kernel_size, strides, dilation, name):
    """Convolution with PyTorch's symmetric padding ``kernel_size // 2 * dilation``."""
    conv = SplitInputConv2D
    if kernel_size == 1:
        return conv(filters, 1, strides=strides, use_bias=False, name=name)(x)
    if strides == 1:
        # Odd kernel at stride 1: "same" pads (k - 1) * d, split evenly.
        return conv(
            filters, kernel_size, padding="same", dilation_rate=dilation, use_bias=False, name=name
        )(x)
    if dilation == 1:
        # Keras "same" pads 0 before / 1 after at stride 2: pad explicitly instead.
        x = keras.layers.ZeroPadding2D(kernel_size // 2, name=f"{name}_pad")(x)
        return conv(filters, kernel_size, strides=strides, use_bias=False, name=name)(x)
    # Stride and dilation together: stride-1 dilated conv, then keep every s-th sample.
    x = conv(
        filters, kernel_size, padding="same", dilation_rate=dilation, use_bias=False, name=name
    )(x)
    return Subsample2D(strides, name=f"{name}_subsample")(x)


def _conv_bn(x, filters, kernel_size, strides, dilation, name, conv_name, bn_name, relu=True):
    x = _conv(x, filters, kernel_size, strides, dilation, f"{name}_{conv_name}")
    x = batch_norm(f"{name}_{bn_name}")(x)
    if relu:
        x = keras.layers.ReLU(name=f"{name}_{bn_name}_relu")(x)
    return x


def _max_pool(x, name):
    # 3x3 / stride 2 / padding 1. The input follows a ReLU (>= 0), so zero padding is
    # equivalent to PyTorch's -inf padding: a padded cell never beats a real one.
    x = keras.layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name=name)(x)


def _basic_block(x, planes, strides, dilation, name):
    shortcut = x
    if strides != 1 or x.shape[-1] != planes:
        shortcut = _conv(x, planes, 1, strides, 1, f"{name}_shortcut_conv")
        shortcut = batch_norm(f"{name}_shortcut_bn")(shortcut)
    y = _conv_bn(x, planes, 3, strides, 1, name, "conv1", "bn1")
    y = _conv_bn(y, planes, 3, 1, dilation, name, "conv2", "bn2", relu=False)
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.ReLU(name=f"{name}_out")(y)


def _bottleneck_block(x, planes, strides, dilation, name):
    shortcut = x
    if strides != 1 or x.shape[-1] != planes * 4:
        shortcut = _conv(x, planes * 4, 1, strides, 1, f"{name}_shortcut_conv")
        shortcut = batch_norm(f"{name}_shortcut_bn")(shortcut)
    y = _conv_bn(x, planes, 1, 1, 1, name, "conv1", "bn1")
    y = _conv_bn(y, planes, 3, strides, dilation, name, "conv2", "bn2")
    y = _conv_bn(y, planes * 4, 1, 1, 1, name, "conv3", "bn3", relu=False)
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.ReLU(name=f"{name}_out")(y)


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ResNetBackbone(Backbone):
    """ResNet encoder returning its feature pyramid ``{"P2", "P3", "P4", "P5"}``.

    The authors' "resnet-deep" trunk: a deep stem (three 3x3 convs 3->64->64->128,
    BN, ReLU, 3x3/2 max-pool; output stride 4) and four stages of BasicBlocks (depth
    18) or Bottlenecks (50, 101). With ``dilated=True`` (the released "variant D") the
    ``conv2`` of every block of stage 3 has dilation 2 and of stage 4 dilation 4, and
    the strides stay, so the output strides are 4, 8, 16, 32. All padding is
    symmetric as in PyTorch, BatchNorm epsilon 1e-5. ``stem="standard"`` uses
    torchvision's 7x7 stem instead, to load ImageNet weights of that family.

    Args:
        depth: int, one of 18, 50, 101.
        stem: str, ``"deep"`` (authors) or ``"standard"`` (torchvision). Defaults to
            ``"deep"``.
        dilated: bool, the released variant's stage-3/4 dilations. Defaults to True.
        input_shape: tuple, input shape without batch. Defaults to ``(None, None, 3)``.
        output_stride: int, 32 (default), 16 or 8. Below 32 the first block of stage
            4 (16) or of stages 3 and 4 (8) keeps stride 1 and the stage-3/4 dilations
            (2, 4) are used whatever ``dilated`` says: the "dilated FCN" encoder of the
            paper's Table 1(a). The pyramid keys then name the stage (P4/P5 at
            stride 8 or 16), not the stride.

    Example:
    >>> backbone = ResNetBackbone(depth=18)
    >>> pyramid = backbone(keras.ops.zeros((1, 64, 64, 3)))
    >>> [tuple(pyramid[k].shape[1:3]) for k in ("P2", "P3", "P4", "P5")]
    [(16, 16), (8, 8), (4, 4), (2, 2)]
    """

    config_arguments = ("depth", "stem", "dilated", "output_stride")

    def __init__(
        self,
        depth: int = 18,
        stem: str = "deep",
        dilated: bool = True,
        input_shape=(None, None, 3),
        output_stride: int = 32,
        **kwargs,
    ):
        check_choice("output_stride", output_stride, (8, 16, 32))
        check_choice("depth", depth, RESNET_BLOCKS)
        check_choice("stem", stem, STEMS)
        input_shape, inputs = image_input(input_shape)
        if stem == "deep":
            x = _conv_bn(inputs, 64, 3, 2, 1, "stem", "conv1", "bn1")
            x = _conv_bn(x, 64, 3, 1, 1, "stem", "conv2", "bn2")
            x = _conv_bn(x, 128, 3, 1, 1, "stem", "conv3", "bn3")
        else:
            x = _conv_bn(inputs, 64, 7, 2, 1, "stem", "conv1", "bn1")
        x = _max_pool(x, "stem_pool")

        block = _basic_block if depth == 18 else _bottleneck_block
        dilations = (1, 1, 2, 4) if dilated or output_stride < 32 else (1, 1, 1, 1)
        # Stages whose first block keeps stride 1 (output_stride 16: stage 4; 8: 3 and 4).
        unstrided = {32: (), 16: (4,), 8: (3, 4)}[output_stride]
        pyramid = {}
        for stage, (width, blocks) in enumerate(zip(STAGE_WIDTHS, RESNET_BLOCKS[depth]), start=1):
            for b in range(blocks):
                strides = 2 if (stage > 1 and b == 0 and stage not in unstrided) else 1
                x = block(x, width, strides, dilations[stage - 1], f"stage{stage}_block{b + 1}")
            pyramid[f"P{stage + 1}"] = x
        self._init_pyramid(inputs, pyramid, input_shape, dict(depth=depth, stem=stem, dilated=dilated, output_stride=output_stride), **kwargs)
