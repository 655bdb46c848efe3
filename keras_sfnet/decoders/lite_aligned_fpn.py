"""`LiteAlignedFPN`: SFNet-Lite's decoder (the authors' ``UperNetAlignHeadV2``)."""

from __future__ import annotations

import keras

from keras_sfnet import ops as sf_ops
from keras_sfnet.decoders.argument_checks import pyramid_as_list
from keras_sfnet.decoders.gated_flow_alignment import GatedFlowAlignment
from keras_sfnet.decoders.pyramid_pooling import PyramidPooling
from keras_sfnet.layers.config_layer import ConfigLayer
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU
from keras_sfnet.names import LITE_LEVELS  # noqa: F401 (re-exported)

__all__ = ["LiteAlignedFPN"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class LiteAlignedFPN(ConfigLayer):
    """SFNet-Lite decoder: one gated dual-flow alignment from context to stride 4.

    From "SFNet: Faster and Accurate Semantic Segmentation via Semantic Flow" (Li et
    al., IJCV 2023), as released (``UperNetAlignHeadV2`` with ``fa_type="spatial_atten"``):

    1. ``g = PyramidPooling(P5)``; ``p2 = ReLU(BN(conv1x1(P2)))``,
       ``p4 = ReLU(BN(conv1x1(P4)))`` (1x1 convs with bias). P3 is not used.
    2. ``fused = GatedFlowAlignment([p2, g])``.
    3. ``features = ConvBNReLU3x3(concat[fused, resize_align_corners(p4, size(p2))])``.

    Input: the encoder's pyramid dict (keys ``"P2"``, ``"P4"``, ``"P5"``; others are
    ignored). Output: a dict with ``"features"`` (stride 4, ``filters`` channels, the
    input of the class-specific 1x1 classifier), ``"flow_p2"`` (the GD-FAM flow that
    warps the context onto P2's grid) and ``"flow_p2_self"`` (the one that warps P2
    itself), both float32 with 2 channels (x, y).

    Args:
        filters: int, decoder width (``fpn_dim``). Defaults to 128 (the authors').
        bins: tuple of ints, pyramid pooling bins. Defaults to ``(1, 2, 3, 6)``.
        dropout: float, spatial dropout in the PPM. Defaults to 0.1.

    Example:
    >>> decoder = LiteAlignedFPN(filters=16)
    >>> pyramid = {f"P{i}": keras.ops.zeros((1, 64 // 2**i, 64 // 2**i, 8)) for i in (2, 4, 5)}
    >>> tuple(decoder(pyramid)["features"].shape)
    (1, 16, 16, 16)
    """

    config_arguments = ("filters", "bins", "dropout")

    def __init__(self, filters: int = 128, bins=(1, 2, 3, 6), dropout: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.bins = tuple(int(b) for b in bins)
        self.dropout = dropout
        policy = self.dtype_policy
        self.ppm = PyramidPooling(self.filters, self.bins, dropout, dtype=policy, name="ppm")
        self.laterals = [
            ConvBNReLU(self.filters, 1, use_bias=True, dtype=policy, name=f"p{i}_lateral")
            for i in (2, 4)
        ]
        self.aligner = GatedFlowAlignment(
            self.filters // 2, return_flow=True, dtype=policy, name="p2_gdfam"
        )
        self.fuse = ConvBNReLU(self.filters, 3, dtype=policy, name="fuse")

    def _as_list(self, pyramid):
        return pyramid_as_list(pyramid, LITE_LEVELS, type(self).__name__, allow_list=False)

    def build(self, input_shape):
        p2, p4, p5 = self._as_list(input_shape)
        fpn_shape = tuple(p2[:-1]) + (self.filters,)
        self.ppm.build(p5)
        self.laterals[0].build(p2)
        self.laterals[1].build(p4)
        self.aligner.build([fpn_shape, tuple(p5[:-1]) + (self.filters,)])
        self.fuse.build(tuple(p2[:-1]) + (2 * self.filters,))

    def call(self, inputs, training=None):
        p2, p4, p5 = self._as_list(inputs)
        context = self.ppm(p5, training=training)
        p2 = self.laterals[0](p2, training=training)
        p4 = self.laterals[1](p4, training=training)
        fused, flow = self.aligner([p2, context])
        p4 = sf_ops.resize_align_corners(p4, sf_ops.spatial_size(fused))
        features = self.fuse(keras.ops.concatenate([fused, p4], axis=-1), training=training)
        return {"features": features, "flow_p2": flow[..., :2], "flow_p2_self": flow[..., 2:]}
