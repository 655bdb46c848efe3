"""`NonLocalBlock`: embedded-Gaussian non-local self-attention, a context head."""

from __future__ import annotations

import keras

from keras_sfnet.layers.conv_bn_relu import batch_norm

__all__ = ["NonLocalBlock"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class NonLocalBlock(keras.layers.Layer):
    """Non-local block (Wang et al., "Non-local Neural Networks", CVPR 2018), embedded
    Gaussian version, the "+NL" context of SFNet's Table 1(c).

    ``theta, phi, g = conv1x1(x)`` (``inter_filters`` each, with bias);
    ``a = softmax(theta . phi^T)`` over all positions; ``y = a . g``;
    output ``x + BN(conv1x1(y))`` (same channels as ``x``). The output BatchNorm's
    scale starts at zero, so a new block starts as the identity (the paper's init).
    The attention logits and softmax are computed in float32.

    Args:
        inter_filters: int or None, channels of theta/phi/g. Defaults to half of the
            input channels.

    Example:
    >>> block = NonLocalBlock()
    >>> tuple(block(keras.ops.zeros((2, 6, 5, 16))).shape)
    (2, 6, 5, 16)
    """

    def __init__(self, inter_filters: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if inter_filters is not None and int(inter_filters) < 1:
            raise ValueError(
                f"`inter_filters` must be >= 1 or None. Received: inter_filters={inter_filters}"
            )
        self.inter_filters = None if inter_filters is None else int(inter_filters)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(
                f"`NonLocalBlock` needs a known channel count. Received: shape={input_shape}"
            )
        channels = int(channels)
        inter = self.inter_filters or max(1, channels // 2)
        policy = self.dtype_policy
        conv = keras.layers.Conv2D
        self.theta = conv(inter, 1, dtype=policy, name="theta")
        self.phi = conv(inter, 1, dtype=policy, name="phi")
        self.g = conv(inter, 1, dtype=policy, name="g")
        self.out_conv = conv(channels, 1, use_bias=False, dtype=policy, name="out_conv")
        self.out_bn = batch_norm("out_bn")
        for layer in (self.theta, self.phi, self.g):
            layer.build(input_shape)
        inter_shape = tuple(input_shape[:-1]) + (inter,)
        self.out_conv.build(inter_shape)
        self.out_bn.build(tuple(input_shape))
        self.out_bn.gamma.assign(keras.ops.zeros_like(self.out_bn.gamma))

    def call(self, inputs, training=None):
        shape = keras.ops.shape(inputs)
        theta = self.theta(inputs)
        inter = theta.shape[-1]
        flat = lambda t: keras.ops.reshape(t, (shape[0], -1, inter))  # noqa: E731
        theta = keras.ops.cast(flat(theta), "float32")
        phi = keras.ops.cast(flat(self.phi(inputs)), "float32")
        g = flat(self.g(inputs))
        attention = keras.ops.softmax(
            keras.ops.matmul(theta, keras.ops.transpose(phi, (0, 2, 1))), axis=-1
        )
        y = keras.ops.matmul(keras.ops.cast(attention, g.dtype), g)
        y = keras.ops.reshape(y, (shape[0], shape[1], shape[2], inter))
        return inputs + self.out_bn(self.out_conv(y), training=training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"inter_filters": self.inter_filters})
        return config
