"""`ConfigurableFPN`: SFNet's decoder with the paper's ablation switches."""

from __future__ import annotations

import keras

from keras_sfnet import ops as sf_ops
from keras_sfnet.layers.context_head import CONTEXT_HEADS, ContextHead
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU
from keras_sfnet.layers.deformable_alignment import DeformableAlignment
from keras_sfnet.layers.flow_alignment import FLOW_ESTIMATORS, UPSAMPLINGS, FlowAlignment
from keras_sfnet.names import ALIGNMENTS, FAM_LEVELS, FINAL_FUSIONS, LEVELS  # noqa: F401 (re-exported)


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ConfigurableFPN(keras.layers.Layer):
    """SFNet's top-down decoder with switches for the paper's ablations (Tables 1, 2).

    From "Semantic Flow for Fast and Accurate Scene Parsing" (Li et al., ECCV 2020).
    ``f = ContextHead(P5)``; for P4, P3, P2: ``lat = ReLU(BN(conv1x1(P_i)))``,
    ``f = lat + up(f)`` where ``up`` is an alignment module (FAM or deformable conv)
    when the coarser level is in ``fam_levels`` and an align-corners bilinear resize
    otherwise; ``out_i = ConvBNReLU3x3(f)``. The outputs ``[out_2, out_3, out_4,
    context]`` are brought to P2's size (resize, or FAMs with ``final_fusion="fam"``),
    concatenated and fused by a 3x3 ConvBNReLU. With every switch at its default and
    ``final_fusion="resize"`` the structure (and parameter count) is the released
    :class:`AlignedFPN`; ``fam_levels=()`` is the plain FPN baseline.

    ``fam_levels`` names the COARSE level an aligner upsamples: ``"P5"`` is the
    module that brings the context map onto P4's grid (layer ``p4_fam``, output
    ``flow_p4``), ``"P4"`` brings P4 onto P3 (``p3_fam``), ``"P3"`` brings P3 onto P2
    (``p2_fam``).

    ``levels`` other than ``("P2", "P3", "P4", "P5")`` run the same recipe on those
    pyramid keys, fine to coarse, as :class:`AlignedFPN` does (DFNet's three levels):
    ``fam_levels`` then names keys of ``levels[1:]``, and layer and output names follow
    the keys (``p4_lateral``, ``flow_p5_stage4``); the fusion is at the finest level's
    stride.

    Output (the decoder contract): a dict with ``"features"`` (stride 4, ``filters``
    channels), ``"flow_p4"`` ... for each aligned level (float32) and, with deep
    supervision, ``"aux_features_p4"``, ``"aux_features_p3"``, ``"aux_features_p2"``.

    Args:
        filters: int, decoder width (``fpn_dim``). Defaults to 128.
        context: str, the P5 :class:`ContextHead`: ``"ppm"`` (default), ``"none"``,
            ``"aspp"``, ``"non_local"``, ``"dense_aspp"``.
        fam_levels: iterable of ``"P3"``, ``"P4"``, ``"P5"`` (of ``levels[1:]`` for other
            ``levels``). Defaults to None: every coarse level.
        kernel_size: int, flow conv (or deformable conv) kernel size. Defaults to 3.
        upsampling: FAM's upsampling before the flow conv: ``"bilinear"`` (default),
            ``"deconvolution"``, ``"nearest"``.
        flow_estimator: ``"conv"`` (default) or ``"correlation"``.
        alignment: ``"fam"`` (default) or ``"dcn"`` (:class:`DeformableAlignment`).
        final_fusion: ``"resize"`` (released, default) or ``"fam"`` (paper 3.3).
        bins: tuple of ints, PPM bins. Defaults to ``(1, 2, 3, 6)``.
        deep_supervision: bool, return the auxiliary heads' inputs. Defaults to False.
        dropout: float, spatial dropout of the context head. Defaults to 0.1.
        levels: tuple of str, the pyramid keys read, fine to coarse (at least 2).
            Defaults to ``("P2", "P3", "P4", "P5")``.

    Example:
    >>> decoder = ConfigurableFPN(filters=16, fam_levels=("P5",), context="aspp")
    >>> pyramid = {f"P{i}": keras.ops.zeros((1, 64 // 2**i, 64 // 2**i, 8)) for i in range(2, 6)}
    >>> out = decoder(pyramid)
    >>> tuple(out["features"].shape), sorted(out)
    ((1, 16, 16, 16), ['features', 'flow_p4'])
    """

    def __init__(
        self,
        filters: int = 128,
        context: str = "ppm",
        fam_levels=None,
        kernel_size: int = 3,
        upsampling: str = "bilinear",
        flow_estimator: str = "conv",
        alignment: str = "fam",
        final_fusion: str = "resize",
        bins=(1, 2, 3, 6),
        deep_supervision: bool = False,
        dropout: float = 0.1,
        levels=LEVELS,
        **kwargs,
    ):
        super().__init__(**kwargs)
        levels = (levels,) if isinstance(levels, str) else tuple(str(k) for k in levels)
        if len(levels) < 2 or len(set(levels)) != len(levels):
            raise ValueError(
                "`levels` must name at least 2 distinct pyramid keys, fine to coarse. "
                f"Received: levels={levels!r}"
            )
        coarse_levels = FAM_LEVELS if levels == LEVELS else levels[1:]
        if fam_levels is None:
            fam_levels = coarse_levels
        if isinstance(fam_levels, str):
            fam_levels = (fam_levels,)
        if levels == LEVELS:
            fam_levels = tuple(str(level).upper() for level in fam_levels)
        bad = [level for level in fam_levels if level not in coarse_levels]
        if bad:
            raise ValueError(
                f"`fam_levels` must be a subset of {list(coarse_levels)}. "
                f"Received: fam_levels={bad}"
            )
        for name, value, choices in (
            ("context", context, CONTEXT_HEADS),
            ("upsampling", upsampling, UPSAMPLINGS),
            ("flow_estimator", flow_estimator, FLOW_ESTIMATORS),
            ("alignment", alignment, ALIGNMENTS),
            ("final_fusion", final_fusion, FINAL_FUSIONS),
        ):
            if value not in choices:
                raise ValueError(
                    f"`{name}` must be one of {list(choices)}. Received: {name}={value!r}"
                )
        if alignment == "dcn" and (upsampling, flow_estimator) != ("bilinear", "conv"):
            raise ValueError(
                "`upsampling` and `flow_estimator` are FAM options; with alignment='dcn' "
                f"leave them at their defaults. Received: upsampling={upsampling!r}, "
                f"flow_estimator={flow_estimator!r}"
            )
        self.filters = int(filters)
        self.context = context
        self.levels = levels
        self.fam_levels = tuple(level for level in coarse_levels if level in fam_levels)
        self.kernel_size = int(kernel_size)
        self.upsampling = upsampling
        self.flow_estimator = flow_estimator
        self.alignment = alignment
        self.final_fusion = final_fusion
        self.bins = tuple(int(b) for b in bins)
        self.deep_supervision = bool(deep_supervision)
        self.dropout = dropout
        policy = self.dtype_policy
        self.context_head = ContextHead(
            context, self.filters, self.bins, dropout, dtype=policy, name="ppm"
        )
        # Index i is the fine level levels[i] (P2, P3, P4 by default), whose coarse
        # source is levels[i + 1] (P3, P4, P5).
        names = [level.lower() for level in levels[:-1]]
        self.laterals = [
            ConvBNReLU(self.filters, 1, use_bias=True, dtype=policy, name=f"{n}_lateral")
            for n in names
        ]
        self.aligners = [
            self._aligner(n) if coarse in self.fam_levels else None
            for n, coarse in zip(names, coarse_levels)
        ]
        self.outputs_convs = [
            ConvBNReLU(self.filters, 3, dtype=policy, name=f"{n}_out") for n in names
        ]
        # Final fusion FAMs bring the coarser outputs and the context map onto the
        # finest grid (P3, P4, P5 onto P2 by default).
        self.fusion_aligners = (
            [self._aligner(f"fuse_{k.lower()}") for k in levels[1:]]
            if final_fusion == "fam"
            else []
        )
        self.fuse = ConvBNReLU(self.filters, 3, dtype=policy, name="fuse")

    def _aligner(self, prefix):
        if self.alignment == "dcn":
            return DeformableAlignment(
                self.filters // 2, self.kernel_size, return_flow=True, dtype=self.dtype_policy,
                name=f"{prefix}_dcn",
            )  # fmt: skip
        return FlowAlignment(
            self.filters // 2, return_flow=True, kernel_size=self.kernel_size,
            upsampling=self.upsampling, flow_estimator=self.flow_estimator,
            dtype=self.dtype_policy, name=f"{prefix}_fam",
        )  # fmt: skip

    def _as_list(self, pyramid):
        if isinstance(pyramid, dict):
            missing = [k for k in self.levels if k not in pyramid]
            if missing:
                raise ValueError(
                    f"`ConfigurableFPN` needs pyramid levels {list(self.levels)}. Missing: "
                    f"{missing}. Received keys: {sorted(pyramid)}"
                )
            return [pyramid[k] for k in self.levels]
        if len(pyramid) != len(self.levels):
            raise ValueError(
                f"`ConfigurableFPN` needs {len(self.levels)} pyramid levels "
                f"{list(self.levels)}. Received: {len(pyramid)}"
            )
        return list(pyramid)

    def build(self, input_shape):
        shapes = [tuple(s) for s in self._as_list(input_shape)]
        width = lambda shape, c: shape[:-1] + (c,)  # noqa: E731
        self.context_head.build(shapes[-1])
        for i in range(len(self.laterals)):
            fpn_shape = width(shapes[i], self.filters)
            self.laterals[i].build(shapes[i])
            if self.aligners[i] is not None:
                self.aligners[i].build([fpn_shape, width(shapes[i + 1], self.filters)])
            self.outputs_convs[i].build(fpn_shape)
        for j, aligner in enumerate(self.fusion_aligners):
            aligner.build([width(shapes[0], self.filters), width(shapes[j + 1], self.filters)])
        self.fuse.build(width(shapes[0], len(self.levels) * self.filters))

    def call(self, inputs, training=None):
        features = self._as_list(inputs)
        f = self.context_head(features[-1], training=training)
        fused = [f]
        outputs = {}
        for i in reversed(range(len(self.laterals))):
            level = self.levels[i].lower()
            lateral = self.laterals[i](features[i], training=training)
            if self.aligners[i] is None:
                upsampled = sf_ops.resize_align_corners(f, sf_ops.spatial_size(lateral))
            else:
                upsampled, flow = self.aligners[i]([lateral, f])
                outputs[f"flow_{level}"] = flow
            f = lateral + upsampled
            fused.append(self.outputs_convs[i](f, training=training))
            if self.deep_supervision:
                outputs[f"aux_features_{level}"] = f
        fused.reverse()  # fine to coarse: [P2, P3, P4, context] by default
        if self.fusion_aligners:
            coarse = [
                aligner([fused[0], t])[0] for aligner, t in zip(self.fusion_aligners, fused[1:])
            ]
        else:
            size = sf_ops.spatial_size(fused[0])
            coarse = [sf_ops.resize_align_corners(t, size) for t in fused[1:]]
        x = keras.ops.concatenate([fused[0]] + coarse, axis=-1)
        outputs["features"] = self.fuse(x, training=training)
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "context": self.context,
                "fam_levels": self.fam_levels,
                "kernel_size": self.kernel_size,
                "upsampling": self.upsampling,
                "flow_estimator": self.flow_estimator,
                "alignment": self.alignment,
                "final_fusion": self.final_fusion,
                "bins": self.bins,
                "deep_supervision": self.deep_supervision,
                "dropout": self.dropout,
                "levels": self.levels,
            }
        )
        return config
