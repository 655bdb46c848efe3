"""`AlignedFPN`: SFNet's decoder (the authors' ``UperNetAlignHead``)."""

from __future__ import annotations

import numbers

import keras

from keras_sfnet import ops as sf_ops
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU
from keras_sfnet.layers.flow_alignment import FlowAlignment
from keras_sfnet.layers.pyramid_pooling import PyramidPooling
from keras_sfnet.names import LEVELS  # noqa: F401 (re-exported)


@keras.saving.register_keras_serializable(package="keras_sfnet")
class AlignedFPN(keras.layers.Layer):
    """SFNet's aligned feature-pyramid decoder, with pyramid pooling on top.

    From "Semantic Flow for Fast and Accurate Scene Parsing" (Li et al., ECCV 2020),
    as released (``UperNetAlignHead``):

    1. ``f = PyramidPooling(P5)``.
    2. For P4, P3, P2: ``lat = ReLU(BN(conv1x1(P_i)))``; ``f = lat + FAM_i([lat, f])``;
       ``out_i = ConvBNReLU3x3(f)`` (with deep supervision, ``f`` also feeds the
       auxiliary head of level i).
    3. ``[out_2, out_3, out_4, ppm]`` resized (align corners) to P2's size,
       concatenated, 3x3 ConvBNReLU -> the fused features at stride 4.

    The decoder holds no class-specific layer: the 1x1 classifier (the authors'
    ``conv_last.1``) and the auxiliary heads (``dsn``) belong to
    :class:`~keras_sfnet.SFNet`, so a new ``num_classes`` changes nothing here.

    With ``levels`` other than ``("P2", "P3", "P4", "P5")`` the same recipe runs on
    those pyramid keys, fine to coarse (the last one goes through pyramid pooling,
    each other one gets a lateral conv and a FAM): DFNet's three levels give two FAMs
    and a ``3 * filters``-channel fusion at the finest level's stride. Layer and output
    names follow the keys (``p4_fam``, ``flow_p5_stage4``).

    Input: the encoder's pyramid, a dict with (at least) the keys of ``levels``, or a
    list in that order. Output: a dict with ``"features"`` (stride 4, ``filters`` channels, compute
    dtype), ``"flow_p4"``, ``"flow_p3"``, ``"flow_p2"`` (each FAM's flow, float32) and,
    with deep supervision, ``"aux_features_p4"``, ``"aux_features_p3"``,
    ``"aux_features_p2"`` (the inputs of the auxiliary heads, strides 16, 8, 4).

    Args:
        filters: int, decoder width (``fpn_dim``: 128 for ResNet-18, 256 otherwise).
            Defaults to 128.
        bins: tuple of ints, pyramid pooling bins. Defaults to ``(1, 2, 3, 6)``.
        deep_supervision: bool, also return the auxiliary heads' inputs. Defaults to
            False.
        dropout: float, spatial dropout in the PPM. Defaults to 0.1.
        levels: tuple of str, the pyramid keys the decoder reads, fine to coarse (at
            least 2). Defaults to ``("P2", "P3", "P4", "P5")``.

    Example:
    >>> decoder = AlignedFPN(filters=16)
    >>> pyramid = {f"P{i}": keras.ops.zeros((1, 64 // 2**i, 64 // 2**i, 8)) for i in range(2, 6)}
    >>> tuple(decoder(pyramid)["features"].shape)
    (1, 16, 16, 16)
    """

    def __init__(
        self,
        filters: int = 128,
        bins=(1, 2, 3, 6),
        deep_supervision: bool = False,
        dropout: float = 0.1,
        levels=LEVELS,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters < 2:
            raise ValueError(f"`filters` must be an integer >= 2. Received: filters={filters!r}")
        self.filters = int(filters)
        self.bins = tuple(int(b) for b in bins)
        self.deep_supervision = bool(deep_supervision)
        self.dropout = dropout
        levels = (levels,) if isinstance(levels, str) else tuple(levels)
        if len(levels) < 2 or len(set(levels)) != len(levels):
            raise ValueError(
                "`levels` must name at least 2 distinct pyramid keys, fine to coarse. "
                f"Received: levels={levels!r}"
            )
        self.levels = levels
        policy = self.dtype_policy
        self.ppm = PyramidPooling(filters, self.bins, dropout, dtype=policy, name="ppm")
        # Index i is level levels[i] (the authors' fpn_in.i), fine to coarse.
        names = [level.lower() for level in levels[:-1]]
        self.laterals = [
            ConvBNReLU(filters, 1, use_bias=True, dtype=policy, name=f"{n}_lateral") for n in names
        ]
        self.aligners = [
            FlowAlignment(filters // 2, return_flow=True, dtype=policy, name=f"{n}_fam")
            for n in names
        ]
        self.outputs_convs = [ConvBNReLU(filters, 3, dtype=policy, name=f"{n}_out") for n in names]
        self.fuse = ConvBNReLU(filters, 3, dtype=policy, name="fuse")

    def _as_list(self, pyramid):
        if isinstance(pyramid, dict):
            missing = [k for k in self.levels if k not in pyramid]
            if missing:
                raise ValueError(
                    f"`AlignedFPN` needs pyramid levels {list(self.levels)}. Missing: "
                    f"{missing}. Received keys: {sorted(pyramid)}"
                )
            return [pyramid[k] for k in self.levels]
        if len(pyramid) != len(self.levels):
            raise ValueError(
                f"`AlignedFPN` needs {len(self.levels)} pyramid levels {list(self.levels)}. "
                f"Received: {len(pyramid)}"
            )
        return list(pyramid)

    def build(self, input_shape):
        shapes = self._as_list(input_shape)
        width = lambda shape, c: tuple(shape[:-1]) + (c,)  # noqa: E731
        self.ppm.build(shapes[-1])
        for i in range(len(self.laterals)):
            fpn_shape = width(shapes[i], self.filters)
            self.laterals[i].build(shapes[i])
            self.aligners[i].build([fpn_shape, fpn_shape])
            self.outputs_convs[i].build(fpn_shape)
        self.fuse.build(width(shapes[0], len(self.levels) * self.filters))

    def call(self, inputs, training=None):
        features = self._as_list(inputs)
        f = self.ppm(features[-1], training=training)
        fused = [f]
        outputs = {}
        for i in reversed(range(len(self.laterals))):
            level = self.levels[i].lower()
            lateral = self.laterals[i](features[i], training=training)
            warped, flow = self.aligners[i]([lateral, f])
            f = lateral + warped
            fused.append(self.outputs_convs[i](f, training=training))
            outputs[f"flow_{level}"] = flow
            if self.deep_supervision:
                outputs[f"aux_features_{level}"] = f
        fused.reverse()  # fine to coarse: [P2, P3, P4, ppm] by default
        size = sf_ops.spatial_size(fused[0])
        x = keras.ops.concatenate(
            [fused[0]] + [sf_ops.resize_align_corners(t, size) for t in fused[1:]], axis=-1
        )
        outputs["features"] = self.fuse(x, training=training)
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "bins": self.bins,
                "deep_supervision": self.deep_supervision,
                "dropout": self.dropout,
                "levels": self.levels,
            }
        )
        return config
