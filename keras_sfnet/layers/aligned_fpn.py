"""`AlignedFPN`: SFNet's decoder (the authors' ``UperNetAlignHead``)."""

from __future__ import annotations

import keras

from keras_sfnet import ops as sf_ops
from keras_sfnet.layers.auxiliary_head import AuxiliaryHead
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU
from keras_sfnet.layers.flow_alignment import FlowAlignment
from keras_sfnet.layers.pyramid_pooling import PyramidPooling

LEVELS = ("P2", "P3", "P4", "P5")


@keras.saving.register_keras_serializable(package="keras_sfnet")
class AlignedFPN(keras.layers.Layer):
    """SFNet's aligned feature-pyramid decoder, with pyramid pooling on top.

    From "Semantic Flow for Fast and Accurate Scene Parsing" (Li et al., ECCV 2020),
    as released (``UperNetAlignHead``):

    1. ``f = PyramidPooling(P5)``.
    2. For P4, P3, P2: ``lat = ReLU(BN(conv1x1(P_i)))``; ``f = lat + FAM_i([lat, f])``;
       ``out_i = ConvBNReLU3x3(f)`` (and, with deep supervision, ``aux_i = head(f)``).
    3. ``[out_2, out_3, out_4, ppm]`` resized (align corners) to P2's size,
       concatenated, 3x3 ConvBNReLU, 1x1 conv -> class logits at stride 4.

    Input: the encoder's pyramid, a dict with keys ``"P2".."P5"`` (or a list in that
    order). Output: a dict with ``"logits"`` (stride 4, float32), ``"flow_p4"``,
    ``"flow_p3"``, ``"flow_p2"`` (each FAM's flow, float32) and, with deep supervision,
    ``"aux_p4"``, ``"aux_p3"``, ``"aux_p2"`` (coarse to fine, float32).

    Args:
        num_classes: int, number of classes.
        filters: int, decoder width (``fpn_dim``: 128 for ResNet-18, 256 otherwise).
        bins: tuple of ints, pyramid pooling bins. Defaults to ``(1, 2, 3, 6)``.
        deep_supervision: bool, add the auxiliary heads. Defaults to False.
        dropout: float, spatial dropout in the PPM and auxiliary heads. Defaults to 0.1.

    Example:
    >>> decoder = AlignedFPN(num_classes=5, filters=16)
    >>> pyramid = {f"P{i}": keras.ops.zeros((1, 64 // 2**i, 64 // 2**i, 8)) for i in range(2, 6)}
    >>> tuple(decoder(pyramid)["logits"].shape)
    (1, 16, 16, 5)
    """

    def __init__(
        self,
        num_classes: int,
        filters: int = 128,
        bins=(1, 2, 3, 6),
        deep_supervision: bool = False,
        dropout: float = 0.1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(num_classes) < 1:
            raise ValueError(f"`num_classes` must be >= 1. Received: num_classes={num_classes}")
        self.num_classes = int(num_classes)
        self.filters = int(filters)
        self.bins = tuple(int(b) for b in bins)
        self.deep_supervision = bool(deep_supervision)
        self.dropout = dropout
        policy = self.dtype_policy
        self.ppm = PyramidPooling(filters, self.bins, dropout, dtype=policy, name="ppm")
        # Index 0, 1, 2 are levels P2, P3, P4 (the authors' fpn_in.0 .. fpn_in.2).
        self.laterals = [
            ConvBNReLU(filters, 1, use_bias=True, dtype=policy, name=f"p{i}_lateral")
            for i in (2, 3, 4)
        ]
        self.aligners = [
            FlowAlignment(filters // 2, return_flow=True, dtype=policy, name=f"p{i}_fam")
            for i in (2, 3, 4)
        ]
        self.outputs_convs = [
            ConvBNReLU(filters, 3, dtype=policy, name=f"p{i}_out") for i in (2, 3, 4)
        ]
        self.aux_heads = (
            [
                AuxiliaryHead(num_classes, filters, dropout, dtype=policy, name=f"p{i}_aux")
                for i in (2, 3, 4)
            ]
            if self.deep_supervision
            else []
        )
        self.fuse = ConvBNReLU(filters, 3, dtype=policy, name="fuse")
        self.classifier = keras.layers.Conv2D(
            num_classes, 1, use_bias=True, dtype=policy, name="classifier"
        )

    @staticmethod
    def _as_list(pyramid):
        if isinstance(pyramid, dict):
            missing = [k for k in LEVELS if k not in pyramid]
            if missing:
                raise ValueError(
                    f"`AlignedFPN` needs pyramid levels {list(LEVELS)}. Missing: {missing}. "
                    f"Received keys: {sorted(pyramid)}"
                )
            return [pyramid[k] for k in LEVELS]
        if len(pyramid) != 4:
            raise ValueError(
                f"`AlignedFPN` needs 4 pyramid levels (P2..P5). Received: {len(pyramid)}"
            )
        return list(pyramid)

    def build(self, input_shape):
        shapes = self._as_list(input_shape)
        width = lambda shape, c: tuple(shape[:-1]) + (c,)  # noqa: E731
        self.ppm.build(shapes[3])
        for i in range(3):
            fpn_shape = width(shapes[i], self.filters)
            self.laterals[i].build(shapes[i])
            self.aligners[i].build([fpn_shape, fpn_shape])
            self.outputs_convs[i].build(fpn_shape)
            if self.deep_supervision:
                self.aux_heads[i].build(fpn_shape)
        self.fuse.build(width(shapes[0], 4 * self.filters))
        self.classifier.build(width(shapes[0], self.filters))

    def call(self, inputs, training=None):
        features = self._as_list(inputs)
        f = self.ppm(features[3], training=training)
        fused = [f]
        outputs = {}
        for i in (2, 1, 0):
            level = i + 2
            lateral = self.laterals[i](features[i], training=training)
            warped, flow = self.aligners[i]([lateral, f])
            f = lateral + warped
            fused.append(self.outputs_convs[i](f, training=training))
            outputs[f"flow_p{level}"] = flow
            if self.deep_supervision:
                outputs[f"aux_p{level}"] = self.aux_heads[i](f, training=training)
        fused.reverse()  # [P2, P3, P4, ppm]
        size = sf_ops.spatial_size(fused[0])
        x = keras.ops.concatenate(
            [fused[0]] + [sf_ops.resize_align_corners(t, size) for t in fused[1:]], axis=-1
        )
        x = self.fuse(x, training=training)
        outputs["logits"] = keras.ops.cast(self.classifier(x), "float32")
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "filters": self.filters,
                "bins": self.bins,
                "deep_supervision": self.deep_supervision,
                "dropout": self.dropout,
            }
        )
        return config
