"""Joint image/mask training augmentation in TensorFlow ops (usable in `Dataset.map`).

All random draws are stateless (`tf.random.stateless_*`) and come from the
per-example `seed`, so the result depends only on the seed, never on the order
or parallelism of the pipeline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import tensorflow as tf

from keras_sfnet.data.augmentation_config import AugmentationConfig, augmentation_arguments
from keras_sfnet.data.preprocessing import IMAGENET_MEAN

__all__ = ["augment_example", "class_uniform_center", "color_jitter", "gaussian_blur"]


def _uniform(seed: tf.Tensor, low: float, high: float) -> tf.Tensor:
    return tf.random.stateless_uniform([], seed, minval=low, maxval=high, dtype=tf.float32)


def _gray(image: tf.Tensor) -> tf.Tensor:
    weights = tf.constant([0.299, 0.587, 0.114], tf.float32)
    return tf.reduce_sum(image * weights, axis=-1, keepdims=True)


def color_jitter(
    image: tf.Tensor,
    seed: tf.Tensor,
    *,
    brightness: float = 0.25,
    contrast: float = 0.25,
    saturation: float = 0.25,
    hue: float = 0.25,
    valid_mask: tf.Tensor | None = None,
) -> tf.Tensor:
    """Randomly changes brightness, contrast, saturation and hue (in that order).

    Factors follow torchvision's `ColorJitter`: brightness, contrast and
    saturation factors are drawn from `[max(0, 1 - v), 1 + v]`, the hue shift
    from `[-hue, hue]` turns. Values are clipped to [0, 1] after each step.

    Args:
        image: float32 tensor `(H, W, 3)`, RGB in [0, 1].
        seed: int tensor of shape `(2,)`, the stateless random seed.
        brightness: float, defaults to 0.25.
        contrast: float, defaults to 0.25.
        saturation: float, defaults to 0.25.
        hue: float, defaults to 0.25.
        valid_mask: optional bool tensor `(H, W)`: pixels that count for the
            contrast mean (e.g. excluding padding).

    Returns:
        A float32 tensor `(H, W, 3)` in [0, 1].

    Example:
    >>> out = color_jitter(tf.fill([4, 4, 3], 0.5), tf.constant([1, 2]))
    >>> out.shape
    TensorShape([4, 4, 3])
    """
    seeds = tf.random.experimental.stateless_split(seed, num=4)
    if brightness > 0:
        factor = _uniform(seeds[0], max(0.0, 1.0 - brightness), 1.0 + brightness)
        image = tf.clip_by_value(image * factor, 0.0, 1.0)
    if contrast > 0:
        factor = _uniform(seeds[1], max(0.0, 1.0 - contrast), 1.0 + contrast)
        gray = _gray(image)
        if valid_mask is None:
            mean = tf.reduce_mean(gray)
        else:
            weights = tf.cast(valid_mask, tf.float32)[..., None]
            mean = tf.reduce_sum(gray * weights) / tf.maximum(tf.reduce_sum(weights), 1.0)
        image = tf.clip_by_value((image - mean) * factor + mean, 0.0, 1.0)
    if saturation > 0:
        factor = _uniform(seeds[2], max(0.0, 1.0 - saturation), 1.0 + saturation)
        gray = _gray(image)
        image = tf.clip_by_value((image - gray) * factor + gray, 0.0, 1.0)
    if hue > 0:
        delta = _uniform(seeds[3], -hue, hue)
        image = tf.clip_by_value(tf.image.adjust_hue(image, delta), 0.0, 1.0)
    return image


def gaussian_blur(image: tf.Tensor, sigma: tf.Tensor, max_sigma: float) -> tf.Tensor:
    """Blurs an image with a separable Gaussian (reflect-padded borders).

    Args:
        image: float32 tensor `(H, W, C)`.
        sigma: float32 scalar tensor, the standard deviation in pixels.
        max_sigma: float. Largest sigma that may be passed; fixes the kernel
            radius `ceil(3 * max_sigma)`.

    Returns:
        A float32 tensor `(H, W, C)`.

    Example:
    >>> out = gaussian_blur(tf.ones([8, 8, 3]), tf.constant(1.0), 1.3)
    >>> float(tf.reduce_max(tf.abs(out - 1.0))) < 1e-5
    True
    """
    radius = max(1, int(math.ceil(3.0 * max_sigma)))
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    kernel = tf.exp(-0.5 * tf.square(x / tf.maximum(sigma, 1e-3)))
    kernel = kernel / tf.reduce_sum(kernel)
    channels = tf.shape(image)[-1]
    padded = tf.pad(image, [[radius, radius], [radius, radius], [0, 0]], mode="SYMMETRIC")
    kernel_y = tf.tile(tf.reshape(kernel, [-1, 1, 1, 1]), [1, 1, channels, 1])
    kernel_x = tf.tile(tf.reshape(kernel, [1, -1, 1, 1]), [1, 1, channels, 1])
    out = tf.nn.depthwise_conv2d(padded[None], kernel_y, [1, 1, 1, 1], "VALID")
    out = tf.nn.depthwise_conv2d(out, kernel_x, [1, 1, 1, 1], "VALID")
    return out[0]


def class_uniform_center(
    label: tf.Tensor, seed: tf.Tensor, num_classes: int, ignore_index: int = 255
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Picks a class present in `label` uniformly, then one of its pixels uniformly.

    Args:
        label: int32 tensor `(H, W)`.
        seed: int tensor of shape `(2,)`.
        num_classes: int. Number of classes.
        ignore_index: int, defaults to 255. Value that is never picked.

    Returns:
        `(found, y, x)`: a bool scalar (False when no class is present) and the
        int32 pixel coordinates.

    Example:
    >>> found, y, x = class_uniform_center(tf.constant([[255, 3]]), tf.constant([0, 1]), 4)
    >>> bool(found), int(y), int(x)
    (True, 0, 1)
    """
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    width = tf.shape(label)[1]
    flat = tf.reshape(label, [-1])
    valid = (flat >= 0) & (flat < num_classes) & (flat != ignore_index)
    flat = tf.where(valid, flat, num_classes)
    counts = tf.math.bincount(flat, minlength=num_classes + 1, maxlength=num_classes + 1)
    counts = counts[:num_classes]
    present = counts > 0
    found = tf.reduce_any(present)
    logits = tf.where(present, 0.0, -1e9)[None]
    cls = tf.random.stateless_categorical(logits, 1, seeds[0], dtype=tf.int32)[0, 0]
    count = tf.maximum(tf.gather(counts, cls), 1)
    k = tf.minimum(
        tf.cast(_uniform(seeds[1], 0.0, 1.0) * tf.cast(count, tf.float32), tf.int32), count - 1
    )
    running = tf.cumsum(tf.cast(tf.equal(flat, cls), tf.int32))
    position = tf.argmax(tf.cast(running > k, tf.int32), output_type=tf.int32)
    return found, position // width, position % width


def augment_example(
    image: tf.Tensor,
    label: tf.Tensor,
    seed: tf.Tensor,
    *,
    crop_size: Sequence[int],
    config: AugmentationConfig | None = None,
    ignore_index: int = 255,
    num_classes: int | None = None,
    class_uniform_prob: float = 0.0,
    short_side: int | None = None,
    center: tf.Tensor | None = None,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Applies the joint training augmentation to one image and its mask.

    Steps, with one random draw shared by image and mask:
    1. random rescale by `s ~ U(scale_range)` (bilinear with antialiasing for
       the image, nearest neighbour for the mask), times `short_side / min(H, W)`
       when `short_side` is given (the authors' `pre_size`: one resize);
    2. pad to at least `crop_size`, evenly on both sides (image with the fill
       colour, mask with `ignore_index`);
    3. crop `crop_size`: at a uniformly random offset, or, with probability
       `class_uniform_prob`, centred (as far as the borders allow) on a pixel of
       a class picked uniformly among the classes present in this mask
       (class-uniform sampling, computed in-graph per image: the authors instead
       precompute class centroids over the whole dataset and also balance which
       images are drawn); or, when `center` is given, centred on that pixel
       (the authors' class-uniform crops around precomputed centroids);
    4. colour jitter and Gaussian blur (image only; padding is re-filled);
    5. horizontal flip.

    Args:
        image: tensor `(H, W, 3)`, uint8 or float RGB in [0, 255].
        label: integer tensor `(H, W)` of class indices / `ignore_index`.
        seed: int tensor of shape `(2,)`, the stateless random seed.
        crop_size: (height, width) of the output.
        config: `AugmentationConfig` or `None` for the defaults.
        ignore_index: int, defaults to 255.
        num_classes: int or `None`. Needed when `class_uniform_prob > 0`.
        class_uniform_prob: float, defaults to 0. Probability of a class-uniform
            crop.
        short_side: int or `None`. Resize so that the shorter side is this
            long (before the random scale).
        center: int tensor `(2,)` or `None`. `(y, x)` in input pixels to centre
            the crop on (as far as the borders allow).

    Returns:
        `(image, label)`: float32 `(crop_h, crop_w, 3)` RGB in [0, 255] and int32
        `(crop_h, crop_w)`.

    Example:
    >>> image = tf.zeros([16, 32, 3], tf.uint8)
    >>> label = tf.zeros([16, 32], tf.int32)
    >>> out_image, out_label = augment_example(image, label, tf.constant([0, 1]),
    ...                                        crop_size=(8, 8))
    >>> out_image.shape, out_label.shape
    (TensorShape([8, 8, 3]), TensorShape([8, 8]))
    """
    config, crop_h, crop_w = augmentation_arguments(
        config, crop_size, class_uniform_prob, num_classes
    )
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=8)
    image = tf.cast(image, tf.float32)
    label = tf.cast(label, tf.int32)
    height, width = tf.shape(label)[0], tf.shape(label)[1]

    # 1. Random rescale.
    lo, hi = config.scale_range
    scale = _uniform(seeds[0], lo, hi) if hi > lo else tf.constant(lo, tf.float32)
    if short_side is not None:
        shorter = tf.cast(tf.minimum(height, width), tf.float32)
        scale = scale * float(short_side) / shorter
    new_h = tf.maximum(1, tf.cast(tf.round(tf.cast(height, tf.float32) * scale), tf.int32))
    new_w = tf.maximum(1, tf.cast(tf.round(tf.cast(width, tf.float32) * scale), tf.int32))
    if (lo, hi) != (1.0, 1.0) or short_side is not None:
        image = tf.image.resize(image, [new_h, new_w], method="bilinear", antialias=True)
        label = tf.image.resize(label[..., None], [new_h, new_w], method="nearest")[..., 0]

    # 2. Pad to the crop size (centred); shift so that tf.pad's zero means "fill".
    fill = (
        tf.constant(IMAGENET_MEAN, tf.float32) * 255.0
        if config.image_fill == "mean"
        else tf.zeros([3], tf.float32)
    )
    pad_h = tf.maximum(crop_h - new_h, 0)
    pad_w = tf.maximum(crop_w - new_w, 0)
    top, left = pad_h // 2, pad_w // 2
    paddings = [[top, pad_h - top], [left, pad_w - left]]
    image = tf.pad(image - fill, paddings + [[0, 0]]) + fill
    label = tf.pad(label - ignore_index, paddings) + ignore_index
    padded_h, padded_w = new_h + pad_h, new_w + pad_w

    # 3. Crop offset: random, or centred on a pixel of a uniformly chosen class.
    max_y, max_x = padded_h - crop_h, padded_w - crop_w

    def random_offset():
        oy = tf.random.stateless_uniform([], seeds[1], 0, max_y + 1, dtype=tf.int32)
        ox = tf.random.stateless_uniform([], seeds[2], 0, max_x + 1, dtype=tf.int32)
        return oy, ox

    if center is not None:
        center = tf.cast(center, tf.float32)
        cy = tf.cast(center[0] * tf.cast(new_h, tf.float32) / tf.cast(height, tf.float32), tf.int32)
        cx = tf.cast(center[1] * tf.cast(new_w, tf.float32) / tf.cast(width, tf.float32), tf.int32)
        oy = tf.clip_by_value(cy + top - crop_h // 2, 0, max_y)
        ox = tf.clip_by_value(cx + left - crop_w // 2, 0, max_x)
    elif class_uniform_prob > 0:
        found, cy, cx = class_uniform_center(label, seeds[3], num_classes, ignore_index)
        use_class = found & (_uniform(seeds[4], 0.0, 1.0) < class_uniform_prob)

        def class_offset():
            oy = tf.clip_by_value(cy - crop_h // 2, 0, max_y)
            ox = tf.clip_by_value(cx - crop_w // 2, 0, max_x)
            return oy, ox

        oy, ox = tf.cond(use_class, class_offset, random_offset)
    else:
        oy, ox = random_offset()
    image = image[oy : oy + crop_h, ox : ox + crop_w]
    label = label[oy : oy + crop_h, ox : ox + crop_w]
    rows = tf.range(crop_h) + oy
    cols = tf.range(crop_w) + ox
    valid = ((rows >= top) & (rows < top + new_h))[:, None] & (
        (cols >= left) & (cols < left + new_w)
    )[None, :]

    # 4. Photometric augmentation on the image only; padding keeps the fill.
    photometric = config.has_color_jitter or config.blur_prob > 0
    if config.has_color_jitter:
        image = 255.0 * color_jitter(
            image / 255.0,
            seeds[5],
            brightness=config.brightness,
            contrast=config.contrast,
            saturation=config.saturation,
            hue=config.hue,
            valid_mask=valid,
        )
    if config.blur_prob > 0:
        blur_seeds = tf.random.experimental.stateless_split(seeds[6], num=2)
        s_lo, s_hi = config.blur_sigma_range
        sigma = _uniform(blur_seeds[0], s_lo, s_hi) if s_hi > s_lo else tf.constant(s_lo)
        do_blur = _uniform(blur_seeds[1], 0.0, 1.0) < config.blur_prob
        image = tf.cond(do_blur, lambda: gaussian_blur(image, sigma, s_hi), lambda: image)
    if photometric:
        image = tf.where(valid[..., None], tf.clip_by_value(image, 0.0, 255.0), fill)

    # 5. Horizontal flip.
    if config.flip_prob > 0:
        flip = _uniform(seeds[7], 0.0, 1.0) < config.flip_prob
        image = tf.cond(flip, lambda: image[:, ::-1], lambda: image)
        label = tf.cond(flip, lambda: label[:, ::-1], lambda: label)

    image = tf.ensure_shape(image, [crop_h, crop_w, 3])
    label = tf.ensure_shape(label, [crop_h, crop_w])
    return image, label
