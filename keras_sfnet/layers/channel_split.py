"""`ChannelSplit`: splits a tensor into two halves along the channels."""

from __future__ import annotations

import keras

__all__ = ["ChannelSplit"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ChannelSplit(keras.layers.Layer):
    """Returns ``(x[..., :C/2], x[..., C/2:])``: torchvision's ``x.chunk(2, dim=1)``.

    Example:
    >>> a, b = ChannelSplit()(keras.ops.zeros((1, 4, 4, 6)))
    >>> tuple(a.shape), tuple(b.shape)
    ((1, 4, 4, 3), (1, 4, 4, 3))
    """

    def build(self, input_shape):
        if input_shape[-1] is None or input_shape[-1] % 2:
            raise ValueError(
                "`ChannelSplit` needs a known, even channel count. "
                f"Received: input_shape={input_shape}"
            )

    def call(self, inputs):
        half = inputs.shape[-1] // 2
        return inputs[..., :half], inputs[..., half:]

    def compute_output_shape(self, input_shape):
        half = tuple(input_shape[:-1]) + (input_shape[-1] // 2,)
        return half, half
