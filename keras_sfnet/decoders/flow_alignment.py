"""`FlowAlignment`: the Flow Alignment Module (FAM) of SFNet."""

from __future__ import annotations

import keras

from keras_sfnet import ops as sf_ops
from keras_sfnet.decoders.argument_checks import check_choice, check_odd_kernel
from keras_sfnet.decoders.correlation_flow import CorrelationFlow
from keras_sfnet.decoders.pair_alignment import PairAlignment
from keras_sfnet.names import FLOW_ESTIMATORS, UPSAMPLINGS  # noqa: F401 (re-exported)

__all__ = ["FlowAlignment"]


def _resize_nearest(x, size):
    """Nearest-neighbour resize (half-pixel centres, ``floor((i + 0.5) * in / out)``).

    Two gathers, so it works with dynamic sizes and exports anywhere; a 2x upsampling
    repeats each pixel 2x2.
    """
    shape = keras.ops.shape(x)
    for axis in (1, 2):
        n_in = keras.ops.cast(shape[axis], "float32")
        n_out = size[axis - 1]
        positions = (keras.ops.cast(keras.ops.arange(n_out), "float32") + 0.5) * n_in
        index = keras.ops.floor(positions / keras.ops.cast(n_out, "float32"))
        index = keras.ops.clip(keras.ops.cast(index, "int32"), 0, shape[axis] - 1)
        x = keras.ops.take(x, index, axis=axis)
    return x


@keras.saving.register_keras_serializable(package="keras_sfnet")
class FlowAlignment(PairAlignment):
    """Flow Alignment Module: warps a coarse map onto a fine one along a learned flow.

    From "Semantic Flow for Fast and Accurate Scene Parsing" (Li et al., ECCV 2020).
    Given ``[low, high]`` (fine map of size ``h x w`` and coarse map), it computes
    ``l = down_low(low)``, ``hh = resize_align_corners(down_high(high), (h, w))``,
    ``flow = flow_conv(concat([hh, l]))`` (2 channels: x, y) and returns ``high``
    (all its channels) warped onto the ``h x w`` grid by
    :func:`keras_sfnet.ops.flow_warp`. With the defaults, exactly the authors'
    ``AlignedModule``; the other options are the paper's ablations (Table 2).

    Args:
        mid_filters: int or None, channels of the two 1x1 reductions. Defaults to half
            of ``high``'s channels (the authors' ``fpn_dim // 2``).
        return_flow: bool. If True, ``call`` returns ``(warped, flow)`` with the flow
            in float32. Defaults to False.
        kernel_size: int, odd size of the flow conv, padded symmetrically by
            ``kernel_size // 2`` (Table 2(b): 1, 3, 5, 7). Defaults to 3.
        upsampling: how ``down_high(high)`` is brought to ``h x w`` before the flow
            conv (Table 2(a)): ``"bilinear"`` (align corners, default),
            ``"deconvolution"`` (a learned 4x4 stride-2 transposed conv, then an
            align-corners resize to ``h x w``, the identity when the size is already
            ``2x``) or ``"nearest"``. The warp itself is always bilinear.
        flow_estimator: ``"conv"`` (FlowNet-S style conv on ``concat([hh, l])``,
            default) or ``"correlation"`` (:class:`CorrelationFlow`, FlowNet-C style,
            Table 2(c)).
        max_displacement: int, the correlation's largest displacement (used by
            ``flow_estimator="correlation"`` only). Defaults to 3.

    Example:
    >>> fam = FlowAlignment()
    >>> low = keras.ops.zeros((1, 16, 16, 32))
    >>> high = keras.ops.zeros((1, 8, 8, 32))
    >>> tuple(fam([low, high]).shape)
    (1, 16, 16, 32)
    """

    config_arguments = (
        "mid_filters", "return_flow", "kernel_size", "upsampling", "flow_estimator",
        "max_displacement",
    )  # fmt: skip

    def __init__(
        self,
        mid_filters: int | None = None,
        return_flow: bool = False,
        kernel_size: int = 3,
        upsampling: str = "bilinear",
        flow_estimator: str = "conv",
        max_displacement: int = 3,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.kernel_size = check_odd_kernel("kernel_size", kernel_size)
        self.upsampling = check_choice("upsampling", upsampling, UPSAMPLINGS)
        self.flow_estimator = check_choice("flow_estimator", flow_estimator, FLOW_ESTIMATORS)
        self.mid_filters = mid_filters
        self.return_flow = return_flow
        self.max_displacement = int(max_displacement)
        if mid_filters is not None:
            self._make_sublayers(mid_filters)

    def _make_sublayers(self, mid_filters):
        conv = keras.layers.Conv2D
        self.down_low = conv(
            mid_filters, 1, use_bias=False, dtype=self.dtype_policy, name="down_low"
        )
        self.down_high = conv(
            mid_filters, 1, use_bias=False, dtype=self.dtype_policy, name="down_high"
        )
        if self.flow_estimator == "correlation":
            self.flow_conv = CorrelationFlow(
                self.max_displacement, self.kernel_size, dtype=self.dtype_policy,
                name="flow_correlation",
            )  # fmt: skip
        else:
            # Stride 1 and an odd kernel: "same" pads k // 2 on every side (symmetric).
            self.flow_conv = conv(
                2, self.kernel_size, padding="same", use_bias=False, dtype=self.dtype_policy,
                name="flow_conv",
            )  # fmt: skip
        self.upsample_deconv = None
        if self.upsampling == "deconvolution":
            self.upsample_deconv = keras.layers.Conv2DTranspose(
                mid_filters, 4, strides=2, padding="same", use_bias=False,
                dtype=self.dtype_policy, name="upsample_deconv",
            )  # fmt: skip

    def build(self, input_shape):
        low_shape, high_shape = input_shape
        self._check_channels(low_shape, high_shape)
        mid = self.mid_filters or int(high_shape[-1]) // 2
        if self.mid_filters is None:
            self._make_sublayers(mid)
        self.down_low.build(low_shape)
        self.down_high.build(high_shape)
        if self.upsample_deconv is not None:
            self.upsample_deconv.build(tuple(high_shape[:-1]) + (mid,))
        reduced = tuple(low_shape[:-1]) + (mid,)
        if self.flow_estimator == "correlation":
            self.flow_conv.build([reduced, reduced])
        else:
            self.flow_conv.build(tuple(low_shape[:-1]) + (2 * mid,))

    def _upsample(self, x, size):
        if self.upsampling == "deconvolution":
            x = self.upsample_deconv(x)
        elif self.upsampling == "nearest":
            return _resize_nearest(x, size)
        return sf_ops.resize_align_corners(x, size)

    def call(self, inputs):
        low, high = inputs
        size = sf_ops.spatial_size(low)
        reduced_low = self.down_low(low)
        reduced_high = self._upsample(self.down_high(high), size)
        if self.flow_estimator == "correlation":
            flow = self.flow_conv([reduced_low, reduced_high])
        else:
            flow = self.flow_conv(keras.ops.concatenate([reduced_high, reduced_low], axis=-1))
        warped = sf_ops.flow_warp(high, flow)
        if self.return_flow:
            return warped, keras.ops.cast(flow, "float32")
        return warped
