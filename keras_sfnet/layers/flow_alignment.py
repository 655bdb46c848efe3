"""`FlowAlignment`: the Flow Alignment Module (FAM) of SFNet."""

from __future__ import annotations

import keras

from keras_sfnet import ops as sf_ops


@keras.saving.register_keras_serializable(package="keras_sfnet")
class FlowAlignment(keras.layers.Layer):
    """Flow Alignment Module: warps a coarse map onto a fine one along a learned flow.

    From "Semantic Flow for Fast and Accurate Scene Parsing" (Li et al., ECCV 2020).
    Given ``[low, high]`` (fine map of size ``h x w`` and coarse map), it computes
    ``l = down_low(low)``, ``hh = resize_align_corners(down_high(high), (h, w))``,
    ``flow = flow_conv(concat([hh, l]))`` (2 channels: x, y) and returns ``high``
    (all its channels) warped onto the ``h x w`` grid by
    :func:`keras_sfnet.ops.flow_warp`. Exactly the authors' ``AlignedModule``.

    Args:
        mid_filters: int or None, channels of the two 1x1 reductions. Defaults to half
            of ``high``'s channels (the authors' ``fpn_dim // 2``).
        return_flow: bool. If True, ``call`` returns ``(warped, flow)`` with the flow
            in float32. Defaults to False.

    Example:
    >>> fam = FlowAlignment()
    >>> low = keras.ops.zeros((1, 16, 16, 32))
    >>> high = keras.ops.zeros((1, 8, 8, 32))
    >>> tuple(fam([low, high]).shape)
    (1, 16, 16, 32)
    """

    def __init__(self, mid_filters: int | None = None, return_flow: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.mid_filters = mid_filters
        self.return_flow = return_flow
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
        self.flow_conv = conv(
            2, 3, padding="same", use_bias=False, dtype=self.dtype_policy, name="flow_conv"
        )

    def build(self, input_shape):
        low_shape, high_shape = input_shape
        if low_shape[-1] is None or high_shape[-1] is None:
            raise ValueError(
                "`FlowAlignment` needs known channel counts. "
                f"Received: low.shape={low_shape}, high.shape={high_shape}"
            )
        mid = self.mid_filters or int(high_shape[-1]) // 2
        if self.mid_filters is None:
            self._make_sublayers(mid)
        self.down_low.build(low_shape)
        self.down_high.build(high_shape)
        self.flow_conv.build(tuple(low_shape[:-1]) + (2 * mid,))

    def call(self, inputs):
        low, high = inputs
        size = sf_ops.spatial_size(low)
        reduced_low = self.down_low(low)
        reduced_high = sf_ops.resize_align_corners(self.down_high(high), size)
        flow = self.flow_conv(keras.ops.concatenate([reduced_high, reduced_low], axis=-1))
        warped = sf_ops.flow_warp(high, flow)
        if self.return_flow:
            return warped, keras.ops.cast(flow, "float32")
        return warped

    def compute_output_shape(self, input_shape):
        low_shape, high_shape = input_shape
        out = tuple(low_shape[:-1]) + (high_shape[-1],)
        if self.return_flow:
            return out, tuple(low_shape[:-1]) + (2,)
        return out

    def get_config(self):
        config = super().get_config()
        config.update({"mid_filters": self.mid_filters, "return_flow": self.return_flow})
        return config
