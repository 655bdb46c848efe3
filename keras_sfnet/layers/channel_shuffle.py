"""`ChannelShuffle`: ShuffleNet's channel interleaving."""

from __future__ import annotations

import keras

__all__ = ["ChannelShuffle"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ChannelShuffle(keras.layers.Layer):
    """Interleaves the channels of ``groups`` equal groups (ShuffleNet, Zhang et al. 2018).

    Output channel ``j * groups + g`` is input channel ``g * (C / groups) + j``: the
    NHWC form of torchvision's ``view(B, g, C/g, H, W).transpose(1, 2)``.

    Args:
        groups: int, number of groups. Defaults to 2.

    Example:
    >>> x = keras.ops.reshape(keras.ops.arange(4.0), (1, 1, 1, 4))
    >>> keras.ops.convert_to_numpy(ChannelShuffle(2)(x)).ravel().tolist()
    [0.0, 2.0, 1.0, 3.0]
    """

    def __init__(self, groups: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.groups = int(groups)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % self.groups:
            raise ValueError(
                f"`ChannelShuffle` needs a known channel count divisible by groups={self.groups}. "
                f"Received: input_shape={input_shape}"
            )

    def call(self, inputs):
        shape = keras.ops.shape(inputs)
        channels = inputs.shape[-1]
        x = keras.ops.reshape(
            inputs, (shape[0], shape[1], shape[2], self.groups, channels // self.groups)
        )
        x = keras.ops.transpose(x, (0, 1, 2, 4, 3))
        return keras.ops.reshape(x, (shape[0], shape[1], shape[2], channels))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["groups"] = self.groups
        return config
