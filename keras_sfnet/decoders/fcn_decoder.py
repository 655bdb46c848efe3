"""`FCNDecoder` (old name `FCNHead`): the single-level decoder of the FCN baselines."""

from __future__ import annotations

import keras

from keras_sfnet.decoders.argument_checks import pyramid_as_list
from keras_sfnet.decoders.context_head import ContextHead
from keras_sfnet.layers.config_layer import ConfigLayer
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU

__all__ = ["FCNDecoder", "FCNHead"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class FCNDecoder(ConfigLayer):
    """FCN decoder: context head on the coarsest level, then a 3x3 ConvBNReLU.

    The "FCN" (stride-32 encoder) and "Dilated FCN" (stride-8 encoder) baselines of
    SFNet's Table 1(a). Takes the encoder's pyramid (dict ``"P2".."P5"`` or a list)
    and uses ``"P5"`` only. Output (the decoder contract of :class:`AlignedFPN`): a
    dict with ``"features"`` (``filters`` channels at P5's stride); no flows, no
    auxiliary features.

    Args:
        filters: int, decoder width. Defaults to 128.
        context: str, the :class:`ContextHead` kind. Defaults to ``"none"``.
        bins: tuple of ints, PPM bins (``context="ppm"``). Defaults to ``(1, 2, 3, 6)``.
        dropout: float, spatial dropout of the context head. Defaults to 0.1.

    Example:
    >>> decoder = FCNDecoder(filters=16)
    >>> pyramid = {f"P{i}": keras.ops.zeros((1, 64 // 2**i, 64 // 2**i, 8)) for i in range(2, 6)}
    >>> tuple(decoder(pyramid)["features"].shape)
    (1, 2, 2, 16)
    """

    config_arguments = ("filters", "context", "bins", "dropout")

    def __init__(
        self, filters: int = 128, context: str = "none", bins=(1, 2, 3, 6), dropout: float = 0.1,
        **kwargs,
    ):  # fmt: skip
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.context = context
        self.bins = tuple(int(b) for b in bins)
        self.dropout = dropout
        self.context_head = ContextHead(
            context, self.filters, self.bins, dropout, dtype=self.dtype_policy, name="context"
        )
        self.out_conv = ConvBNReLU(self.filters, 3, dtype=self.dtype_policy, name="p5_out")

    def _top(self, pyramid):
        """P5 of a pyramid dict, or the last (coarsest) map of a list."""
        if isinstance(pyramid, dict):
            return pyramid_as_list(pyramid, ("P5",), type(self).__name__)[0]
        return list(pyramid)[-1]

    def build(self, input_shape):
        shape = tuple(self._top(input_shape))
        self.context_head.build(shape)
        self.out_conv.build(shape[:-1] + (self.filters,))

    def call(self, inputs, training=None):
        x = self.context_head(self._top(inputs), training=training)
        return {"features": self.out_conv(x, training=training)}


@keras.saving.register_keras_serializable(package="keras_sfnet")
class FCNHead(FCNDecoder):
    """:class:`FCNDecoder` under its older name, which saved models address it by.

    Keras files weights by class name (``layers/fcn_head/...``), so
    :func:`keras_sfnet.decoders.build_decoder` keeps building this class for
    ``decoder="fcn"`` / ``"dilated_fcn"`` and old ``.keras`` / ``.weights.h5`` files
    load unchanged. It is an FCN decoder (pyramid in, ``{"features"}`` out), not a
    class head; new code can use :class:`FCNDecoder`.

    Example:
    >>> head = FCNHead(filters=16)
    """
