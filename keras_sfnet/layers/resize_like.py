"""`ResizeLike`: align-corners bilinear resize of a tensor to another's size."""

from __future__ import annotations

import keras

from keras_sfnet import ops as sf_ops

__all__ = ["ResizeLike"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ResizeLike(keras.layers.Layer):
    """Resizes ``x`` to the spatial size of ``reference`` (bilinear, align corners).

    Called as ``ResizeLike()([x, reference])``; works with dynamic sizes. See
    :func:`keras_sfnet.ops.resize_align_corners` for the math.

    Example:
    >>> y = ResizeLike()([keras.ops.zeros((1, 4, 4, 2)), keras.ops.zeros((1, 13, 15, 3))])
    >>> tuple(y.shape)
    (1, 13, 15, 2)
    """

    def call(self, inputs):
        x, reference = inputs
        return sf_ops.resize_align_corners(x, sf_ops.spatial_size(reference))

    def compute_output_shape(self, input_shape):
        x_shape, ref_shape = input_shape
        return (x_shape[0], ref_shape[1], ref_shape[2], x_shape[-1])
