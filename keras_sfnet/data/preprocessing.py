"""ImageNet statistics and the inverse of the network's input normalisation.

Normalising lives in one place, `keras_sfnet.layers.ImageConverter` (re-exported
here); this module keeps the constants and `denormalize_image` for pictures.
"""

from __future__ import annotations

import tensorflow as tf

from keras_sfnet.layers.image_converter import IMAGENET_MEAN, IMAGENET_STD, ImageConverter

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "ImageConverter", "denormalize_image"]


def denormalize_image(image: tf.Tensor) -> tf.Tensor:
    """Inverts the default `ImageConverter`: returns uint8 RGB (rounded, clipped).

    Args:
        image: float tensor `(..., H, W, 3)` as made by `ImageConverter()`.

    Returns:
        A uint8 tensor of the same shape.

    Example:
    >>> x = tf.constant([[[0, 128, 255]]], tf.uint8)
    >>> denormalize_image(ImageConverter()(x)).numpy().tolist()
    [[[0, 128, 255]]]
    """
    return ImageConverter().invert(image)
