"""`AlignedFPN`: SFNet's decoder (the authors' ``UperNetAlignHead``), with the paper's
ablation switches."""

from __future__ import annotations

import numbers

import keras

from keras_sfnet import ops as sf_ops
from keras_sfnet.decoders.argument_checks import (
    check_choice,
    check_fam_options,
    check_levels,
    check_odd_kernel,
    pyramid_as_list,
    select_levels,
)
from keras_sfnet.decoders.context_head import ContextHead
from keras_sfnet.decoders.deformable_alignment import DeformableAlignment
from keras_sfnet.decoders.flow_alignment import FlowAlignment
from keras_sfnet.decoders.pyramid_pooling import PyramidPooling
from keras_sfnet.layers.config_layer import ConfigLayer
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU
from keras_sfnet.names import (
    ALIGNMENTS,
    CONTEXT_HEADS,
    FAM_LEVELS,
    FINAL_FUSIONS,
    FLOW_ESTIMATORS,
    LEVELS,
    UPSAMPLINGS,
)

__all__ = ["LEVELS", "AlignedFPN"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class AlignedFPN(ConfigLayer):
    """SFNet's aligned feature-pyramid decoder, with switches for the paper's ablations.

    From "Semantic Flow for Fast and Accurate Scene Parsing" (Li et al., ECCV 2020),
    as released (``UperNetAlignHead``) with the default arguments:

    1. ``f = PyramidPooling(P5)`` (``context``: another :class:`ContextHead`).
    2. For P4, P3, P2: ``lat = ReLU(BN(conv1x1(P_i)))``; ``f = lat + up(f)`` where
       ``up`` is a FAM (``alignment="dcn"``: a :class:`DeformableAlignment`) when the
       coarser level is in ``fam_levels``, an align-corners bilinear resize otherwise;
       ``out_i = ConvBNReLU3x3(f)`` (with deep supervision, ``f`` also feeds the
       auxiliary head of level i).
    3. ``[out_2, out_3, out_4, ppm]`` brought to P2's size (align-corners resize, or
       FAMs with ``final_fusion="fam"``), concatenated, 3x3 ConvBNReLU -> the fused
       features at stride 4. ``fam_levels=()`` is the plain FPN baseline.

    ``fam_levels`` names the COARSE level an aligner upsamples: ``"P5"`` is the module
    that brings the context map onto P4's grid (layer ``p4_fam``, output ``flow_p4``),
    ``"P4"`` brings P4 onto P3 (``p3_fam``), ``"P3"`` brings P3 onto P2 (``p2_fam``).

    The decoder holds no class-specific layer: the 1x1 classifier (the authors'
    ``conv_last.1``) and the auxiliary heads (``dsn``) belong to
    :class:`~keras_sfnet.SFNet`, so a new ``num_classes`` changes nothing here.

    With ``levels`` other than ``("P2", "P3", "P4", "P5")`` the same recipe runs on
    those pyramid keys, fine to coarse (the last one goes through the context module,
    each other one gets a lateral conv and, if aligned, a FAM): DFNet's three levels
    give two FAMs and a ``3 * filters``-channel fusion at the finest level's stride.
    ``fam_levels`` then names keys of ``levels[1:]``; layer and output names follow
    the keys (``p4_fam``, ``flow_p5_stage4``).

    Input: the encoder's pyramid, a dict with (at least) the keys of ``levels``, or a
    list in that order. Output: a dict with ``"features"`` (stride 4, ``filters``
    channels, compute dtype), ``"flow_p4"``, ``"flow_p3"``, ``"flow_p2"`` (each aligned
    level's flow, float32) and, with deep supervision, ``"aux_features_p4"``,
    ``"aux_features_p3"``, ``"aux_features_p2"`` (the inputs of the auxiliary heads,
    strides 16, 8, 4).

    Args:
        filters: int, decoder width (``fpn_dim``: 128 for ResNet-18, 256 otherwise).
            Defaults to 128.
        bins: tuple of ints, pyramid pooling bins. Defaults to ``(1, 2, 3, 6)``.
        deep_supervision: bool, also return the auxiliary heads' inputs. Defaults to
            False.
        dropout: float, spatial dropout in the context module. Defaults to 0.1.
        levels: tuple of str, the pyramid keys the decoder reads, fine to coarse (at
            least 2). Defaults to ``("P2", "P3", "P4", "P5")``.
        context: str, the module on the coarsest level: ``"ppm"`` (default),
            ``"none"``, ``"aspp"``, ``"non_local"``, ``"dense_aspp"``.
        fam_levels: iterable of ``"P3"``, ``"P4"``, ``"P5"`` (of ``levels[1:]`` for
            other ``levels``). Defaults to None: every coarse level.
        kernel_size: int, flow conv (or deformable conv) kernel size. Defaults to 3.
        upsampling: FAM's upsampling before the flow conv: ``"bilinear"`` (default),
            ``"deconvolution"``, ``"nearest"``.
        flow_estimator: ``"conv"`` (default) or ``"correlation"``.
        alignment: ``"fam"`` (default) or ``"dcn"`` (:class:`DeformableAlignment`).
        final_fusion: ``"resize"`` (released, default) or ``"fam"`` (paper 3.3).

    Example:
    >>> decoder = AlignedFPN(filters=16)
    >>> pyramid = {f"P{i}": keras.ops.zeros((1, 64 // 2**i, 64 // 2**i, 8)) for i in range(2, 6)}
    >>> tuple(decoder(pyramid)["features"].shape)
    (1, 16, 16, 16)
    >>> sorted(AlignedFPN(filters=16, fam_levels=("P5",), context="aspp")(pyramid))
    ['features', 'flow_p4']
    """

    config_arguments = (
        "filters", "bins", "deep_supervision", "dropout", "levels", "context", "fam_levels",
        "kernel_size", "upsampling", "flow_estimator", "alignment", "final_fusion",
    )  # fmt: skip

    # True in the ablation layout (`ConfigurableFPN`): the context module is always a
    # `ContextHead` named "ppm" in the attribute `context_head`. Saved weights address
    # layers by attribute, so each class keeps its own layout.
    _context_head_layout = False

    def __init__(
        self,
        filters: int = 128,
        bins=(1, 2, 3, 6),
        deep_supervision: bool = False,
        dropout: float = 0.1,
        levels=LEVELS,
        context: str = "ppm",
        fam_levels=None,
        kernel_size: int = 3,
        upsampling: str = "bilinear",
        flow_estimator: str = "conv",
        alignment: str = "fam",
        final_fusion: str = "resize",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters < 2:
            raise ValueError(f"`filters` must be an integer >= 2. Received: filters={filters!r}")
        self.levels = levels = check_levels(levels)
        coarse_levels = FAM_LEVELS if levels == LEVELS else levels[1:]
        self.fam_levels = select_levels(
            "fam_levels", fam_levels, coarse_levels, upper=levels == LEVELS
        )
        self.context = check_choice("context", context, CONTEXT_HEADS)
        self.kernel_size = check_odd_kernel("kernel_size", kernel_size)
        self.upsampling = check_choice("upsampling", upsampling, UPSAMPLINGS)
        self.flow_estimator = check_choice("flow_estimator", flow_estimator, FLOW_ESTIMATORS)
        self.alignment = check_choice("alignment", alignment, ALIGNMENTS)
        self.final_fusion = check_choice("final_fusion", final_fusion, FINAL_FUSIONS)
        check_fam_options(
            alignment,
            {"upsampling": (upsampling, "bilinear"), "flow_estimator": (flow_estimator, "conv")},
        )
        self.filters = int(filters)
        self.bins = tuple(int(b) for b in bins)
        self.deep_supervision = bool(deep_supervision)
        self.dropout = dropout
        policy = self.dtype_policy
        if self._context_head_layout:
            self.context_head = ContextHead(
                context, self.filters, self.bins, dropout, dtype=policy, name="ppm"
            )
        elif context == "ppm":
            self.ppm = PyramidPooling(self.filters, self.bins, dropout, dtype=policy, name="ppm")
        else:
            self.context_head = ContextHead(
                context, self.filters, self.bins, dropout, dtype=policy, name="context"
            )
        # Index i is the fine level levels[i] (the authors' fpn_in.i), whose coarse
        # source is levels[i + 1].
        names = [level.lower() for level in levels[:-1]]
        self.laterals = [
            ConvBNReLU(self.filters, 1, use_bias=True, dtype=policy, name=f"{n}_lateral")
            for n in names
        ]
        self.aligners = [
            self._aligner(n) if coarse in self.fam_levels else None
            for n, coarse in zip(names, levels[1:])
        ]
        self.outputs_convs = [
            ConvBNReLU(self.filters, 3, dtype=policy, name=f"{n}_out") for n in names
        ]
        # Final-fusion FAMs bring the coarser outputs and the context map onto the
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

    def _context_module(self):
        # A method, not a property: Keras' saver walks properties and would file the
        # context module's weights under the property's name.
        return self.ppm if hasattr(self, "ppm") else self.context_head

    def _as_list(self, pyramid):
        return pyramid_as_list(pyramid, self.levels, type(self).__name__)

    def build(self, input_shape):
        shapes = [tuple(s) for s in self._as_list(input_shape)]
        width = lambda shape, c: shape[:-1] + (c,)  # noqa: E731
        self._context_module().build(shapes[-1])
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
        f = self._context_module()(features[-1], training=training)
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
