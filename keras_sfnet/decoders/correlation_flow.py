"""`CorrelationFlow`: a FlowNet-C style flow estimator (local correlation + conv)."""

from __future__ import annotations

import keras

__all__ = ["CorrelationFlow", "correlation_volume"]


def correlation_volume(first, second, max_displacement: int):
    """Local correlation of two maps of the same size (FlowNet-C's correlation layer).

    For each displacement ``(dy, dx)`` in ``[-D, D]^2`` (row-major: ``dy`` outer,
    ``dx`` inner) the output channel ``(dy + D) * (2D + 1) + (dx + D)`` holds
    ``mean_c(first[b, y, x, c] * second[b, y + dy, x + dx, c])``, with ``second`` zero
    outside its borders. Shape ``(B, H, W, (2D + 1)^2)``, ``first``'s dtype.
    Pure elementwise ops and slices: converts to TFLite and ONNX.

    Args:
        first: ``(B, H, W, C)`` tensor, the reference grid.
        second: ``(B, H, W, C)`` tensor, the map displaced.
        max_displacement: int ``D >= 0``.

    Example:
    >>> x = keras.ops.ones((1, 4, 5, 3))
    >>> tuple(correlation_volume(x, x, 1).shape)
    (1, 4, 5, 9)
    """
    d = int(max_displacement)
    padded = keras.ops.pad(second, ((0, 0), (d, d), (d, d), (0, 0)))
    shape = keras.ops.shape(first)
    height, width = shape[1], shape[2]
    channels = []
    for dy in range(2 * d + 1):
        for dx in range(2 * d + 1):
            shifted = keras.ops.slice(padded, (0, dy, dx, 0), (shape[0], height, width, shape[3]))
            channels.append(keras.ops.mean(first * shifted, axis=-1, keepdims=True))
    return keras.ops.concatenate(channels, axis=-1)


@keras.saving.register_keras_serializable(package="keras_sfnet")
class CorrelationFlow(keras.layers.Layer):
    """FlowNet-C style flow estimator, the "correlation" row of SFNet's Table 2(c).

    From Dosovitskiy et al., "FlowNet: Learning Optical Flow with Convolutional
    Networks" (ICCV 2015), adapted to SFNet's FAM: called on ``[first, second]``
    (``first`` = the reduced fine map ``l``, ``second`` = the reduced, upsampled coarse
    map ``hh``, same size), it computes the local correlation volume
    (:func:`correlation_volume`, ``(2D + 1)^2`` channels) and returns
    ``flow = conv_k(concat([corr, second, first]))`` with 2 channels (x, y), no bias,
    symmetric padding ``k // 2``, like the default FAM's flow conv on
    ``concat([hh, l])``.

    Args:
        max_displacement: int ``D``, largest displacement correlated, in pixels of the
            fine grid. Defaults to 3 (49 correlation channels).
        kernel_size: int, odd size of the flow conv. Defaults to 3.

    Example:
    >>> est = CorrelationFlow(max_displacement=1)
    >>> x = keras.ops.zeros((1, 8, 8, 4))
    >>> tuple(est([x, x]).shape)
    (1, 8, 8, 2)
    """

    def __init__(self, max_displacement: int = 3, kernel_size: int = 3, **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_displacement, bool) or int(max_displacement) < 0:
            raise ValueError(
                "`max_displacement` must be an integer >= 0. "
                f"Received: max_displacement={max_displacement!r}"
            )
        if int(kernel_size) < 1 or int(kernel_size) % 2 != 1:
            raise ValueError(
                "`kernel_size` must be a positive odd integer (symmetric padding). "
                f"Received: kernel_size={kernel_size!r}"
            )
        self.max_displacement = int(max_displacement)
        self.kernel_size = int(kernel_size)
        self.flow_conv = keras.layers.Conv2D(
            2, self.kernel_size, padding="same", use_bias=False, dtype=self.dtype_policy,
            name="flow_conv",
        )  # fmt: skip

    @property
    def correlation_channels(self) -> int:
        """``(2 * max_displacement + 1) ** 2``."""
        return (2 * self.max_displacement + 1) ** 2

    def build(self, input_shape):
        first_shape, second_shape = input_shape
        if first_shape[-1] is None or second_shape[-1] is None:
            raise ValueError(
                "`CorrelationFlow` needs known channel counts. "
                f"Received: shapes={first_shape}, {second_shape}"
            )
        if int(first_shape[-1]) != int(second_shape[-1]):
            raise ValueError(
                "`CorrelationFlow` correlates maps with the same channels; reduce them "
                f"first. Received: first.shape={first_shape}, second.shape={second_shape}"
            )
        channels = self.correlation_channels + 2 * int(first_shape[-1])
        self.flow_conv.build(tuple(first_shape[:-1]) + (channels,))

    def call(self, inputs):
        first, second = inputs
        corr = correlation_volume(first, second, self.max_displacement)
        return self.flow_conv(keras.ops.concatenate([corr, second, first], axis=-1))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (2,)

    def get_config(self):
        config = super().get_config()
        config.update({"max_displacement": self.max_displacement, "kernel_size": self.kernel_size})
        return config
