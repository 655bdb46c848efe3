"""Convolutions and pools padded symmetrically, as PyTorch's ``padding=k // 2``.

Keras ``padding="same"`` pads 0 before and 1 after at stride 2 on even sizes, which
shifts every output by one pixel compared with PyTorch. These helpers pad explicitly
(``ZeroPadding2D(k // 2)`` then a ``"valid"`` op) whenever the stride is above 1, so the
light encoders (DFNet, STDC, ShuffleNetV2) sample exactly the authors' positions.
"""

from __future__ import annotations

import keras

from keras_sfnet.layers.conv_bn_relu import batch_norm
from keras_sfnet.layers.split_input_conv import SplitInputConv2D

__all__ = ["avg_pool_3x3_s2", "conv_bn", "max_pool_3x3_s2", "padded_conv"]


def padded_conv(x, filters: int, kernel_size: int, strides: int, name: str, depthwise=False):
    """Bias-free (depthwise) convolution with PyTorch's symmetric padding ``k // 2``.

    Args:
        x: NHWC Keras tensor.
        filters: int, output channels (ignored for ``depthwise=True``).
        kernel_size: int, odd.
        strides: int.
        name: str, the layer name.
        depthwise: bool, a depthwise (``groups=C``) convolution.

    Example:
    >>> y = padded_conv(keras.Input((32, 32, 3)), 8, 3, 2, "stem_conv")
    >>> tuple(y.shape)
    (None, 16, 16, 8)
    """
    if kernel_size > 1 and strides > 1:
        x = keras.layers.ZeroPadding2D(kernel_size // 2, name=f"{name}_pad")(x)
        padding = "valid"
    else:
        padding = "same"
    if depthwise:
        layer = keras.layers.DepthwiseConv2D(
            kernel_size, strides=strides, padding=padding, use_bias=False, name=name
        )
    else:
        layer = SplitInputConv2D(
            filters, kernel_size, strides=strides, padding=padding, use_bias=False, name=name
        )
    return layer(x)


def conv_bn(x, filters, kernel_size, strides, name, relu=True, depthwise=False):
    """``padded_conv`` (``{name}_conv``), BatchNorm (``{name}_bn``) and optional ReLU.

    Example:
    >>> y = conv_bn(keras.Input((32, 32, 3)), 8, 3, 2, "stem")
    """
    x = padded_conv(x, filters, kernel_size, strides, f"{name}_conv", depthwise=depthwise)
    x = batch_norm(f"{name}_bn")(x)
    if relu:
        x = keras.layers.ReLU(name=f"{name}_relu")(x)
    return x


def max_pool_3x3_s2(x, name: str):
    """3x3 / stride 2 / padding 1 max-pool of a non-negative (post-ReLU) map.

    Zero padding equals PyTorch's -inf padding here: a padded cell never beats a real,
    non-negative one.
    """
    x = keras.layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name=name)(x)


def avg_pool_3x3_s2(x, name: str):
    """PyTorch ``AvgPool2d(3, 2, padding=1)`` with its default ``count_include_pad=True``.

    Every window divides by 9, border windows included (their padded zeros count).
    """
    x = keras.layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
    return keras.layers.AveragePooling2D(3, strides=2, name=name)(x)
