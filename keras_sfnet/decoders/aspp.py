"""`ASPP`: Atrous Spatial Pyramid Pooling (DeepLabV3), a context head for P5."""

from __future__ import annotations

import keras

from keras_sfnet import ops as sf_ops
from keras_sfnet.layers.config_layer import FiltersLayer
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU

__all__ = ["ASPP"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ASPP(FiltersLayer):
    """Atrous Spatial Pyramid Pooling (Chen et al., "Rethinking Atrous Convolution for
    Semantic Image Segmentation", 2017), the "+ASPP" context head of SFNet's Table 1(c).

    Branches: a 1x1 ConvBNReLU, one 3x3 ConvBNReLU per dilation rate, and image
    pooling (global average, 1x1 ConvBNReLU, broadcast back). The branches are
    concatenated and projected by a 1x1 ConvBNReLU, then spatial dropout.

    Args:
        filters: int, channels of every branch and of the output.
        rates: tuple of ints, dilation rates of the 3x3 branches. Defaults to
            ``(6, 12, 18)``.
        dropout: float, spatial dropout after the projection. Defaults to 0.1.

    Example:
    >>> aspp = ASPP(16, rates=(1, 2))
    >>> tuple(aspp(keras.ops.zeros((2, 8, 12, 32))).shape)
    (2, 8, 12, 16)
    """

    config_arguments = ("filters", "rates", "dropout")

    def __init__(self, filters: int, rates=(6, 12, 18), dropout: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        if int(filters) < 1:
            raise ValueError(f"`filters` must be >= 1. Received: filters={filters}")
        self.filters = int(filters)
        self.rates = tuple(int(r) for r in rates)
        if any(r < 1 for r in self.rates):
            raise ValueError(f"`rates` must be integers >= 1. Received: rates={rates}")
        self.dropout = dropout
        policy = self.dtype_policy
        self.branch_1x1 = ConvBNReLU(self.filters, 1, dtype=policy, name="branch_1x1")
        self.atrous = [
            ConvBNReLU(self.filters, 3, dilation_rate=r, dtype=policy, name=f"branch_rate{r}")
            for r in self.rates
        ]
        self.image_pool = ConvBNReLU(self.filters, 1, dtype=policy, name="image_pool")
        self.project = ConvBNReLU(self.filters, 1, dtype=policy, name="project")
        self.spatial_dropout = keras.layers.SpatialDropout2D(dropout, dtype=policy, name="dropout")

    def build(self, input_shape):
        self.branch_1x1.build(input_shape)
        for branch in self.atrous:
            branch.build(input_shape)
        self.image_pool.build((input_shape[0], 1, 1, input_shape[-1]))
        channels = (len(self.rates) + 2) * self.filters
        self.project.build(tuple(input_shape[:-1]) + (channels,))

    def call(self, inputs, training=None):
        size = sf_ops.spatial_size(inputs)
        branches = [self.branch_1x1(inputs, training=training)]
        branches += [branch(inputs, training=training) for branch in self.atrous]
        pooled = keras.ops.mean(inputs, axis=(1, 2), keepdims=True)
        pooled = self.image_pool(pooled, training=training)
        branches.append(sf_ops.resize_align_corners(pooled, size))
        x = self.project(keras.ops.concatenate(branches, axis=-1), training=training)
        return self.spatial_dropout(x, training=training)
