"""`ConvBNReLU`: convolution, batch normalisation and optional ReLU."""

from __future__ import annotations

import keras

from keras_sfnet.layers.config_layer import FiltersLayer
from keras_sfnet.layers.split_input_conv import SplitInputConv2D
from keras_sfnet.layers.unbiased_batch_normalization import UnbiasedBatchNormalization

__all__ = ["ConvBNReLU"]

BN_EPSILON = 1e-5
"""PyTorch's BatchNorm epsilon (Keras defaults to 1e-3)."""
BN_MOMENTUM = 0.9
"""Keras momentum equal to PyTorch's default momentum of 0.1."""


def batch_norm(name: str, **kwargs) -> UnbiasedBatchNormalization:
    """A BatchNorm layer with the authors' epsilon and momentum and PyTorch's moving variance.

    Every encoder and decoder builds its batch normalisation here, so that the moving
    variance is updated with the unbiased batch variance as in the authors' training
    (see `UnbiasedBatchNormalization`).

    Args:
        name: str, the layer name.
        **kwargs: other `keras.layers.BatchNormalization` arguments (e.g. `dtype`).

    Example:
    >>> batch_norm("stem_bn1").momentum
    0.9
    """
    return UnbiasedBatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name, **kwargs)


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ConvBNReLU(FiltersLayer):
    """Stride-1 convolution with symmetric padding, BatchNorm and optional ReLU.

    The decoder's building block. Odd kernels with ``padding="same"`` at stride 1 pad
    symmetrically, as PyTorch's ``padding=k // 2 * dilation``.

    Args:
        filters: int, output channels.
        kernel_size: int, odd kernel size. Defaults to 1.
        dilation_rate: int. Defaults to 1.
        use_bias: bool, whether the convolution has a bias. Defaults to False.
        activation: bool, apply ReLU after BatchNorm. Defaults to True.

    Example:
    >>> layer = ConvBNReLU(16, kernel_size=3)
    >>> tuple(layer(keras.ops.zeros((1, 8, 8, 4))).shape)
    (1, 8, 8, 16)
    """

    config_arguments = ("filters", "kernel_size", "dilation_rate", "use_bias", "activation")

    def __init__(
        self,
        filters: int,
        kernel_size: int = 1,
        dilation_rate: int = 1,
        use_bias: bool = False,
        activation: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if kernel_size % 2 != 1:
            raise ValueError(
                f"`kernel_size` must be odd for symmetric padding. Received: kernel_size={kernel_size}"
            )
        self._store_arguments(locals())
        self.conv = SplitInputConv2D(
            filters,
            kernel_size,
            padding="same",
            dilation_rate=dilation_rate,
            use_bias=use_bias,
            dtype=self.dtype_policy,
            name="conv",
        )
        self.bn = batch_norm("bn", dtype=self.dtype_policy)

    def build(self, input_shape):
        self.conv.build(input_shape)
        self.bn.build(tuple(input_shape[:-1]) + (self.filters,))

    def call(self, inputs, training=None):
        x = self.bn(self.conv(inputs, training=training), training=training)
        if self.activation:
            x = keras.ops.relu(x)
        return x
