"""`PyramidPooling`: the Pyramid Pooling Module (PPM) that adds global context."""

from __future__ import annotations

import keras

from keras_sfnet import ops as sf_ops
from keras_sfnet.layers.config_layer import FiltersLayer
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU

__all__ = ["PyramidPooling"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class PyramidPooling(FiltersLayer):
    """Pyramid Pooling Module (Zhao et al., PSPNet), as in SFNet's decoder.

    For each bin ``b``: adaptive average pooling to ``b x b`` (PyTorch's bins, exact
    for any size), 1x1 conv (no bias) + BatchNorm (no ReLU), align-corners resize back.
    ``concat([bin_1, ..., bin_n, x])`` then goes through 1x1 conv + BN + ReLU and
    spatial dropout.

    Args:
        filters: int, channels of every branch and of the output.
        bins: tuple of ints, pooled sizes. Defaults to ``(1, 2, 3, 6)``.
        dropout: float, spatial (channel) dropout rate. Defaults to 0.1.

    Example:
    >>> ppm = PyramidPooling(32)
    >>> tuple(ppm(keras.ops.zeros((2, 8, 16, 64))).shape)
    (2, 8, 16, 32)
    """

    config_arguments = ("filters", "bins", "dropout")

    def __init__(self, filters: int, bins=(1, 2, 3, 6), dropout: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.bins = tuple(int(b) for b in bins)
        self.dropout = dropout
        self.stages = [
            ConvBNReLU(filters, 1, activation=False, dtype=self.dtype_policy, name=f"bin{b}")
            for b in self.bins
        ]
        self.bottleneck = ConvBNReLU(filters, 1, dtype=self.dtype_policy, name="bottleneck")
        self.spatial_dropout = keras.layers.SpatialDropout2D(
            dropout, dtype=self.dtype_policy, name="dropout"
        )

    def build(self, input_shape):
        for stage in self.stages:
            stage.build(input_shape)
        channels = int(input_shape[-1]) + len(self.bins) * self.filters
        self.bottleneck.build(tuple(input_shape[:-1]) + (channels,))

    def call(self, inputs, training=None):
        size = sf_ops.spatial_size(inputs)
        branches = []
        for b, stage in zip(self.bins, self.stages):
            pooled = sf_ops.adaptive_avg_pool(inputs, b)
            branches.append(sf_ops.resize_align_corners(stage(pooled, training=training), size))
        branches.append(inputs)
        x = self.bottleneck(keras.ops.concatenate(branches, axis=-1), training=training)
        return self.spatial_dropout(x, training=training)
