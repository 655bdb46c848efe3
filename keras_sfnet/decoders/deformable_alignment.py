"""`DeformableAlignment`: deformable-convolution (DCN v1/v2) alignment, FAM's rival."""

from __future__ import annotations

import keras

from keras_sfnet import ops as sf_ops
from keras_sfnet.decoders.argument_checks import check_choice, check_odd_kernel
from keras_sfnet.decoders.pair_alignment import PairAlignment

__all__ = ["DeformableAlignment"]

DCN_VERSIONS = (1, 2)


def _pixel_shift(features, shift_x, shift_y):
    """Bilinear samples of ``features`` at ``(row + shift_y, col + shift_x)``.

    Zero padding outside the map. ``shift_*``: ``(B, H, W)`` pixel displacements on
    ``features``' own grid. Written with :func:`keras_sfnet.ops.flow_warp` (whose flow
    is in units of ``2 * size / (size - 1)`` source pixels when source and output
    have the same size), so it shares the warp's exactness and export path.
    """
    shape = keras.ops.shape(features)
    height = keras.ops.cast(shape[1], "float32")
    width = keras.ops.cast(shape[2], "float32")
    scale_x = 2.0 * width / keras.ops.maximum(width - 1.0, 1.0)
    scale_y = 2.0 * height / keras.ops.maximum(height - 1.0, 1.0)
    flow = keras.ops.stack([shift_x * scale_x, shift_y * scale_y], axis=-1)
    return sf_ops.flow_warp(features, flow)


@keras.saving.register_keras_serializable(package="keras_sfnet")
class DeformableAlignment(PairAlignment):
    """Aligns a coarse map onto a fine one with a deformable convolution (Table 2(d)).

    DCN v1 (Dai et al., "Deformable Convolutional Networks", ICCV 2017) and v2 (Zhu et
    al., "Deformable ConvNets v2", CVPR 2019) in place of SFNet's FAM. Called on
    ``[low, high]`` like :class:`FlowAlignment`: ``l = down_low(low)``,
    ``hh = resize_align_corners(down_high(high), (h, w))``, and from the concatenated
    maps ``concat([hh, l])`` a ``k x k`` conv predicts per-pixel offsets (``2 k^2``
    channels, x then y for each tap, in fine-grid pixels) and, for v2, modulation
    masks (``k^2`` channels, sigmoid). ``high`` (all channels) is resized (align
    corners) to ``h x w`` and convolved by a ``k x k`` deformable conv: for each tap
    ``(i, j)`` it is sampled bilinearly (zero padding) at
    ``(row + i - k//2 + dy, col + j - k//2 + dx)``, scaled by the mask, and the
    ``k^2`` samples go through one linear map (a 1x1 conv over ``k^2 * C`` channels,
    the deformable conv's weights). Offsets and masks start at zero (v2 masks at 0.5),
    so a new layer is a plain ``k x k`` conv of the upsampled map.

    Pure TensorFlow (no custom op): sampling uses :func:`keras_sfnet.ops.flow_warp`
    (gathers), so TFLite and ONNX exports take it, at the cost of ``k^2`` warps.

    Args:
        mid_filters: int or None, channels of the two 1x1 reductions. Defaults to half
            of ``high``'s channels.
        kernel_size: int, odd size of the deformable and offset convs. Defaults to 3.
        version: 1 (offsets only) or 2 (offsets and modulation masks). Defaults to 2.
        return_flow: bool. If True, ``call`` returns ``(aligned, flow)``, ``flow`` the
            mean offset over the taps ``(B, h, w, 2)`` (x, y) in float32.

    Example:
    >>> dcn = DeformableAlignment(kernel_size=3)
    >>> low = keras.ops.zeros((1, 16, 16, 8))
    >>> high = keras.ops.zeros((1, 8, 8, 8))
    >>> tuple(dcn([low, high]).shape)
    (1, 16, 16, 8)
    """

    config_arguments = ("mid_filters", "kernel_size", "version", "return_flow")

    def __init__(
        self,
        mid_filters: int | None = None,
        kernel_size: int = 3,
        version: int = 2,
        return_flow: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.mid_filters = None if mid_filters is None else int(mid_filters)
        self.kernel_size = check_odd_kernel("kernel_size", kernel_size)
        self.version = int(check_choice("version", version, DCN_VERSIONS))
        self.return_flow = bool(return_flow)

    @property
    def taps(self) -> int:
        """``kernel_size ** 2``."""
        return self.kernel_size**2

    def build(self, input_shape):
        low_shape, high_shape = input_shape
        self._check_channels(low_shape, high_shape)
        channels = int(high_shape[-1])
        mid = self.mid_filters or max(1, channels // 2)
        policy = self.dtype_policy
        conv = keras.layers.Conv2D
        k = self.kernel_size
        self.down_low = conv(mid, 1, use_bias=False, dtype=policy, name="down_low")
        self.down_high = conv(mid, 1, use_bias=False, dtype=policy, name="down_high")
        self.offset_conv = conv(
            2 * self.taps, k, padding="same", kernel_initializer="zeros", dtype=policy,
            name="offset_conv",
        )  # fmt: skip
        self.mask_conv = (
            conv(self.taps, k, padding="same", kernel_initializer="zeros", dtype=policy,
                 name="mask_conv")
            if self.version == 2
            else None
        )  # fmt: skip
        self.deform_conv = conv(channels, 1, use_bias=False, dtype=policy, name="deform_conv")
        prefix = tuple(low_shape[:-1])
        self.down_low.build(low_shape)
        self.down_high.build(high_shape)
        self.offset_conv.build(prefix + (2 * mid,))
        if self.mask_conv is not None:
            self.mask_conv.build(prefix + (2 * mid,))
        self.deform_conv.build(prefix + (self.taps * channels,))

    def call(self, inputs):
        low, high = inputs
        size = sf_ops.spatial_size(low)
        reduced = keras.ops.concatenate(
            [sf_ops.resize_align_corners(self.down_high(high), size), self.down_low(low)],
            axis=-1,
        )
        offsets = keras.ops.cast(self.offset_conv(reduced), "float32")
        masks = None
        if self.mask_conv is not None:
            masks = keras.ops.sigmoid(self.mask_conv(reduced))
        upsampled = sf_ops.resize_align_corners(high, size)
        half = self.kernel_size // 2
        samples = []
        for t in range(self.taps):
            base_y, base_x = t // self.kernel_size - half, t % self.kernel_size - half
            sample = _pixel_shift(
                upsampled, offsets[..., 2 * t] + base_x, offsets[..., 2 * t + 1] + base_y
            )
            if masks is not None:
                sample = sample * masks[..., t : t + 1]
            samples.append(sample)
        aligned = self.deform_conv(keras.ops.concatenate(samples, axis=-1))
        if self.return_flow:
            flow = keras.ops.stack(
                [
                    keras.ops.mean(offsets[..., 0::2], axis=-1),
                    keras.ops.mean(offsets[..., 1::2], axis=-1),
                ],
                axis=-1,
            )
            return aligned, flow
        return aligned
