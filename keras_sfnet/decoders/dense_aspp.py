"""`DenseASPP`: densely connected atrous convolutions, a context head for P5."""

from __future__ import annotations

import keras

from keras_sfnet.layers.config_layer import FiltersLayer
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU

__all__ = ["DenseASPP"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class DenseASPP(FiltersLayer):
    """DenseASPP (Yang et al., "DenseASPP for Semantic Segmentation in Street Scenes",
    CVPR 2018), the "+DenseASPP" context head of SFNet's Table 1(c).

    Each layer ``i`` (dilation ``rates[i]``) sees the concatenation of the input and
    all previous layers' outputs: ``ConvBNReLU1x1(-> bottleneck)`` then
    ``ConvBNReLU3x3(dilation) -> growth``. The input and all layer outputs are
    concatenated and projected by a 1x1 ConvBNReLU to ``filters``, then spatial dropout.

    Args:
        filters: int, output channels.
        rates: tuple of ints, dilation rates. Defaults to ``(3, 6, 12, 18, 24)``.
        growth: int or None, channels each dilated layer adds. Defaults to
            ``filters // 2``.
        bottleneck: int or None, channels of each 1x1 reduction. Defaults to
            ``filters``.
        dropout: float, spatial dropout after the projection. Defaults to 0.1.

    Example:
    >>> head = DenseASPP(16, rates=(1, 2))
    >>> tuple(head(keras.ops.zeros((1, 8, 8, 32))).shape)
    (1, 8, 8, 16)
    """

    config_arguments = ("filters", "rates", "growth", "bottleneck", "dropout")
    # `growth` / `bottleneck` hold the resolved widths; the config keeps the arguments.
    config_attributes = {"growth": "growth_arg", "bottleneck": "bottleneck_arg"}

    def __init__(
        self,
        filters: int,
        rates=(3, 6, 12, 18, 24),
        growth: int | None = None,
        bottleneck: int | None = None,
        dropout: float = 0.1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(filters) < 1:
            raise ValueError(f"`filters` must be >= 1. Received: filters={filters}")
        self.filters = int(filters)
        self.rates = tuple(int(r) for r in rates)
        if not self.rates or any(r < 1 for r in self.rates):
            raise ValueError(f"`rates` must be integers >= 1. Received: rates={rates}")
        self.growth = int(growth) if growth is not None else max(1, self.filters // 2)
        self.bottleneck = int(bottleneck) if bottleneck is not None else self.filters
        self.growth_arg, self.bottleneck_arg = growth, bottleneck
        self.dropout = dropout
        policy = self.dtype_policy
        self.reduces = [
            ConvBNReLU(self.bottleneck, 1, dtype=policy, name=f"rate{r}_reduce") for r in self.rates
        ]
        self.atrous = [
            ConvBNReLU(self.growth, 3, dilation_rate=r, dtype=policy, name=f"rate{r}_conv")
            for r in self.rates
        ]
        self.project = ConvBNReLU(self.filters, 1, dtype=policy, name="project")
        self.spatial_dropout = keras.layers.SpatialDropout2D(dropout, dtype=policy, name="dropout")

    def build(self, input_shape):
        channels = int(input_shape[-1])
        prefix = tuple(input_shape[:-1])
        for reduce, atrous in zip(self.reduces, self.atrous):
            reduce.build(prefix + (channels,))
            atrous.build(prefix + (self.bottleneck,))
            channels += self.growth
        self.project.build(prefix + (channels,))

    def call(self, inputs, training=None):
        x = inputs
        for reduce, atrous in zip(self.reduces, self.atrous):
            y = atrous(reduce(x, training=training), training=training)
            x = keras.ops.concatenate([x, y], axis=-1)
        x = self.project(x, training=training)
        return self.spatial_dropout(x, training=training)
