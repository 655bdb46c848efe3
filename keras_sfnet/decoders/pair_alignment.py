"""`PairAlignment`: what the alignment modules called on ``[low, high]`` share."""

from __future__ import annotations

from keras_sfnet.layers.config_layer import ConfigLayer

__all__ = ["PairAlignment"]


class PairAlignment(ConfigLayer):
    """Base of :class:`FlowAlignment`, :class:`GatedFlowAlignment` and
    :class:`DeformableAlignment`: called on ``[low, high]`` (fine map, coarse map), they
    return ``high`` aligned onto ``low``'s grid (``high``'s channels) and, with
    ``return_flow``, the float32 flow (``flow_channels`` channels). Not registered: it
    is abstract.

    Example:
    >>> from keras_sfnet.decoders import FlowAlignment
    >>> FlowAlignment(return_flow=True).compute_output_shape([(1, 8, 8, 4), (1, 4, 4, 4)])
    ((1, 8, 8, 4), (1, 8, 8, 2))
    """

    flow_channels = 2

    def _check_channels(self, low_shape, high_shape) -> None:
        if low_shape[-1] is None or high_shape[-1] is None:
            raise ValueError(
                f"`{type(self).__name__}` needs known channel counts. "
                f"Received: low.shape={low_shape}, high.shape={high_shape}"
            )

    def compute_output_shape(self, input_shape):
        low_shape, high_shape = input_shape
        out = tuple(low_shape[:-1]) + (high_shape[-1],)
        if self.return_flow:
            return out, tuple(low_shape[:-1]) + (self.flow_channels,)
        return out
