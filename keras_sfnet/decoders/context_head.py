"""`ContextHead`: the context module on P5 (PPM, ASPP, non-local, DenseASPP or none)."""

from __future__ import annotations

import keras

from keras_sfnet.decoders.aspp import ASPP
from keras_sfnet.decoders.dense_aspp import DenseASPP
from keras_sfnet.decoders.non_local_block import NonLocalBlock
from keras_sfnet.decoders.pyramid_pooling import PyramidPooling
from keras_sfnet.layers.config_layer import FiltersLayer
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU
from keras_sfnet.names import CONTEXT_HEADS  # noqa: F401 (re-exported)

__all__ = ["ContextHead"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ContextHead(FiltersLayer):
    """Maps the coarsest encoder level to ``filters`` channels, with or without context.

    The "context" rows of SFNet's Tables 1(a) and 1(c):

    - ``"ppm"``: :class:`PyramidPooling` (the released network).
    - ``"none"``: a lateral ``ReLU(BN(conv1x1 with bias))``, like the other FPN levels.
    - ``"aspp"``: :class:`ASPP` (rates 6, 12, 18; ``filters``-wide branches).
    - ``"non_local"``: :class:`NonLocalBlock` on the input (``C/2`` inner channels),
      then a 1x1 ConvBNReLU to ``filters`` and spatial dropout.
    - ``"dense_aspp"``: :class:`DenseASPP` (rates 3, 6, 12, 18, 24).

    Args:
        kind: str, one of the above. Defaults to ``"ppm"``.
        filters: int, output channels. Defaults to 128.
        bins: tuple of ints, PPM bins. Defaults to ``(1, 2, 3, 6)``.
        dropout: float, spatial dropout of the context module. Defaults to 0.1.

    Example:
    >>> head = ContextHead("aspp", filters=16)
    >>> tuple(head(keras.ops.zeros((1, 4, 6, 32))).shape)
    (1, 4, 6, 16)
    """

    config_arguments = ("kind", "filters", "bins", "dropout")

    def __init__(
        self, kind: str = "ppm", filters: int = 128, bins=(1, 2, 3, 6), dropout: float = 0.1,
        **kwargs,
    ):  # fmt: skip
        super().__init__(**kwargs)
        if kind not in CONTEXT_HEADS:
            raise ValueError(
                f"`kind` (the context head) must be one of {list(CONTEXT_HEADS)}. "
                f"Received: kind={kind!r}"
            )
        self.kind = kind
        self.filters = int(filters)
        self.bins = tuple(int(b) for b in bins)
        self.dropout = dropout
        policy = self.dtype_policy
        self.blocks = []
        if kind == "ppm":
            self.blocks = [
                PyramidPooling(self.filters, self.bins, dropout, dtype=policy, name="ppm")
            ]
        elif kind == "none":
            self.blocks = [ConvBNReLU(self.filters, 1, use_bias=True, dtype=policy, name="lateral")]
        elif kind == "aspp":
            self.blocks = [ASPP(self.filters, dropout=dropout, dtype=policy, name="aspp")]
        elif kind == "dense_aspp":
            self.blocks = [
                DenseASPP(self.filters, dropout=dropout, dtype=policy, name="dense_aspp")
            ]
        else:
            self.blocks = [
                NonLocalBlock(dtype=policy, name="non_local"),
                ConvBNReLU(self.filters, 1, dtype=policy, name="reduce"),
                keras.layers.SpatialDropout2D(dropout, dtype=policy, name="dropout"),
            ]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for block in self.blocks:
            block.build(shape)
            shape = shape[:-1] + (
                shape[-1] if isinstance(block, (NonLocalBlock, keras.layers.SpatialDropout2D))
                else self.filters,
            )  # fmt: skip

    def call(self, inputs, training=None):
        x = inputs
        for block in self.blocks:
            x = block(x, training=training)
        return x
