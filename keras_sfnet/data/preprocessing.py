"""ImageNet normalisation of RGB images, as used by the authors' network."""

from __future__ import annotations

import tensorflow as tf

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "denormalize_image", "normalize_image"]

#: Per-channel RGB mean of ImageNet, for images scaled to [0, 1].
IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
#: Per-channel RGB standard deviation of ImageNet, for images scaled to [0, 1].
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)


def normalize_image(image: tf.Tensor) -> tf.Tensor:
    """Turns an RGB image with values in [0, 255] into the network's input.

    Computes `(image / 255 - IMAGENET_MEAN) / IMAGENET_STD` per channel in float32.

    Args:
        image: tensor `(..., H, W, 3)`, uint8 or float, RGB values in [0, 255].

    Returns:
        A float32 tensor of the same shape.

    Example:
    >>> x = normalize_image(tf.fill([2, 2, 3], tf.constant(255, tf.uint8)))
    >>> [round(float(v), 4) for v in x[0, 0]]
    [2.2489, 2.4286, 2.64]
    """
    image = tf.cast(image, tf.float32) / 255.0
    mean = tf.constant(IMAGENET_MEAN, tf.float32)
    std = tf.constant(IMAGENET_STD, tf.float32)
    return (image - mean) / std


def denormalize_image(image: tf.Tensor) -> tf.Tensor:
    """Inverts `normalize_image`: returns uint8 RGB (rounded, clipped to [0, 255]).

    Args:
        image: float tensor `(..., H, W, 3)` as made by `normalize_image`.

    Returns:
        A uint8 tensor of the same shape.

    Example:
    >>> x = tf.constant([[[0, 128, 255]]], tf.uint8)
    >>> denormalize_image(normalize_image(x)).numpy().tolist()
    [[[0, 128, 255]]]
    """
    mean = tf.constant(IMAGENET_MEAN, tf.float32)
    std = tf.constant(IMAGENET_STD, tf.float32)
    image = (tf.cast(image, tf.float32) * std + mean) * 255.0
    return tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8)
