"""`Subsample2D`: keeps every n-th row and column."""

from __future__ import annotations

import keras

__all__ = ["Subsample2D"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class Subsample2D(keras.layers.Layer):
    """Keeps rows and columns ``0, s, 2s, ...`` of an NHWC tensor.

    A stride-``s`` convolution with dilation > 1 (which TensorFlow refuses) equals the
    stride-1 dilated convolution with the same symmetric padding followed by this.

    Args:
        stride: int, the step. Defaults to 2.

    Example:
    >>> tuple(Subsample2D(2)(keras.ops.zeros((1, 7, 8, 3))).shape)
    (1, 4, 4, 3)
    """

    def __init__(self, stride: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.stride = int(stride)

    def call(self, inputs):
        return inputs[:, :: self.stride, :: self.stride, :]

    def compute_output_shape(self, input_shape):
        def sub(n):
            return None if n is None else (n + self.stride - 1) // self.stride

        return (input_shape[0], sub(input_shape[1]), sub(input_shape[2]), input_shape[3])

    def get_config(self):
        config = super().get_config()
        config["stride"] = self.stride
        return config
