"""`GatedFlowAlignment`: SFNet-Lite's gated dual-flow alignment module (GD-FAM)."""

from __future__ import annotations

import keras

from keras_sfnet import ops as sf_ops
from keras_sfnet.decoders.pair_alignment import PairAlignment

__all__ = ["GatedFlowAlignment"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class GatedFlowAlignment(PairAlignment):
    """Gated dual-flow alignment (GD-FAM) of SFNet-Lite (the authors' ``AlignedModulev2PoolingAtten``).

    From "SFNet: Faster and Accurate Semantic Segmentation via Semantic Flow" (Li et
    al., IJCV 2023). Given ``[low, high]`` (fine map ``h x w`` and coarse map):

    1. ``l = down_low(low)``, ``hh = resize_align_corners(down_high(high), (h, w))``
       (1x1 convs, no bias, ``mid_filters`` channels).
    2. ``flow = flow_conv(concat[hh, l])``: 4 channels (3x3, no bias). Channels 0:2 warp
       ``high`` (all its channels) onto the ``h x w`` grid, channels 2:4 warp ``low``
       itself, both with :func:`keras_sfnet.ops.flow_warp`.
    3. Gate ``s = sigmoid(gate_conv(concat[mean_c(hh), mean_c(low), max_c(hh),
       max_c(low)]))`` (3x3 conv 4 -> 1, no bias; means and maxes over channels of the
       reduced ``hh`` and the un-reduced ``low``).
    4. Output ``warp(high) * s + warp(low) * (1 - s)``.

    ``low`` and ``high`` must have the same channel count.

    Args:
        mid_filters: int or None, channels of the two 1x1 reductions. Defaults to half
            of ``high``'s channels (the authors' ``fpn_dim // 2``).
        return_flow: bool. If True, ``call`` returns ``(fused, flow)`` with the
            4-channel flow in float32. Defaults to False.

    Example:
    >>> gdfam = GatedFlowAlignment(return_flow=True)
    >>> fused, flow = gdfam([keras.ops.zeros((1, 16, 16, 32)), keras.ops.zeros((1, 4, 4, 32))])
    >>> tuple(fused.shape), tuple(flow.shape)
    ((1, 16, 16, 32), (1, 16, 16, 4))
    """

    config_arguments = ("mid_filters", "return_flow")

    flow_channels = 4

    def __init__(self, mid_filters: int | None = None, return_flow: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.mid_filters = mid_filters
        self.return_flow = return_flow
        self.gate_conv = keras.layers.Conv2D(
            1, 3, padding="same", use_bias=False, dtype=self.dtype_policy, name="gate_conv"
        )
        if mid_filters is not None:
            self._make_sublayers(mid_filters)

    def _make_sublayers(self, mid_filters):
        conv = keras.layers.Conv2D
        policy = self.dtype_policy
        self.down_low = conv(mid_filters, 1, use_bias=False, dtype=policy, name="down_low")
        self.down_high = conv(mid_filters, 1, use_bias=False, dtype=policy, name="down_high")
        self.flow_conv = conv(4, 3, padding="same", use_bias=False, dtype=policy, name="flow_conv")

    def build(self, input_shape):
        low_shape, high_shape = input_shape
        if low_shape[-1] is None or high_shape[-1] is None or low_shape[-1] != high_shape[-1]:
            raise ValueError(
                "`GatedFlowAlignment` needs known, equal channel counts for low and high. "
                f"Received: low.shape={low_shape}, high.shape={high_shape}"
            )
        mid = self.mid_filters or int(high_shape[-1]) // 2
        if self.mid_filters is None:
            self._make_sublayers(mid)
        self.down_low.build(low_shape)
        self.down_high.build(high_shape)
        self.flow_conv.build(tuple(low_shape[:-1]) + (2 * mid,))
        self.gate_conv.build(tuple(low_shape[:-1]) + (4,))

    def call(self, inputs):
        low, high = inputs
        size = sf_ops.spatial_size(low)
        reduced_low = self.down_low(low)
        reduced_high = sf_ops.resize_align_corners(self.down_high(high), size)
        flow = self.flow_conv(keras.ops.concatenate([reduced_high, reduced_low], axis=-1))
        warped_high = sf_ops.flow_warp(high, flow[..., :2])
        warped_low = sf_ops.flow_warp(low, flow[..., 2:])
        pooled = keras.ops.concatenate(
            [
                keras.ops.mean(reduced_high, axis=-1, keepdims=True),
                keras.ops.mean(low, axis=-1, keepdims=True),
                keras.ops.max(reduced_high, axis=-1, keepdims=True),
                keras.ops.max(low, axis=-1, keepdims=True),
            ],
            axis=-1,
        )
        gate = keras.ops.sigmoid(self.gate_conv(pooled))
        fused = warped_high * gate + warped_low * (1.0 - gate)
        if self.return_flow:
            return fused, keras.ops.cast(flow, "float32")
        return fused
