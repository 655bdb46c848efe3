"""Whole-image, multi-scale, flipped and sliding-window inference (the paper's eval modes).

The authors' evaluation (`eval.py` of SFSegNets) resizes the image to each scale,
runs the network (on the whole image, or on overlapping tiles), flips horizontally
if asked, resizes each output back to the image size with an align-corners bilinear
resize, and averages the raw logits (its `softmax` helper is never called); the
class map is the argmax of that average. `predict_logits` does the same, in float32.
`average="probabilities"` averages softmax probabilities instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from keras_sfnet.inference.sliding_window import sliding_window_logits
from keras_sfnet.ops import resize_align_corners

__all__ = ["AVERAGE_MODES", "check_scales", "predict_logits", "resize_images", "softmax"]

AVERAGE_MODES = ("logits", "probabilities")


def check_scales(scales) -> tuple[float, ...]:
    """Validates scales: a non-empty sequence of positive floats.

    Example:
    >>> check_scales([0.5, 1])
    (0.5, 1.0)
    """
    if isinstance(scales, (int, float)):
        scales = (scales,)
    try:
        values = tuple(float(s) for s in scales)
    except (TypeError, ValueError):
        raise ValueError(
            f"`scales` must be a sequence of positive floats. Received: scales={scales!r}"
        ) from None
    if not values or any(not np.isfinite(s) or s <= 0 for s in values):
        raise ValueError(
            f"`scales` must be a non-empty sequence of positive floats. Received: scales={scales!r}"
        )
    return values


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in float32.

    Example:
    >>> softmax(np.zeros((1, 2), np.float32)).tolist()
    [[0.5, 0.5]]
    """
    return tf.nn.softmax(tf.constant(logits, tf.float32), axis=-1).numpy()


def resize_images(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear image resize as PIL's `Image.resize(..., BILINEAR)` does it.

    Half-pixel centres, with an antialiasing (widened triangle) filter when
    shrinking: what the authors' evaluation applies to the image for each scale.
    (Logits, by contrast, are resized with `keras_sfnet.ops.resize_align_corners`.)

    Example:
    >>> resize_images(np.zeros((1, 8, 8, 3), np.float32), (4, 6)).shape
    (1, 4, 6, 3)
    """
    images = tf.constant(images, tf.float32)
    return tf.image.resize(images, size, method="bilinear", antialias=True).numpy()


def predict_logits(
    logits_fn: Callable[[np.ndarray], np.ndarray],
    images: np.ndarray,
    *,
    scales: Sequence[float] = (1.0,),
    flip: bool = False,
    window=None,
    overlap: float = 1 / 3,
    average: str = "logits",
) -> np.ndarray:
    """Averaged network output over scales, flips and (optionally) sliding windows.

    For each scale `s` the images are resized to `(int(H * s), int(W * s))`
    (`resize_images`); with `flip=True` the mirrored images are run too and their
    output mirrored back; with a `window`, each view is run as overlapping
    `window`-sized tiles (`sliding_window_logits`), otherwise whole. Each output
    is resized back to `(H, W)` (align corners) and the average over all
    `len(scales) * (2 if flip else 1)` views is returned. With `scales=(1.0,)`,
    `flip=False` and no window this is exactly the whole-image output; a window
    at least as large as the image changes nothing either.

    Args:
        logits_fn: callable `(N, h, w, 3) -> (N, h, w, C)` on normalised images
            (see `logits_function`).
        images: float32 `(N, H, W, 3)` normalised images of one size.
        scales: sequence of floats, defaults to `(1.0,)`. Paper Table 4 uses
            `(0.5, 0.75, 1.0, 1.25, 1.5, 1.75)`; the authors' script defaults to
            `(0.5, 1.0, 2.0)`.
        flip: bool, defaults to `False`. Add horizontally flipped views.
        window: int, `(height, width)` or `None` (whole image). Tile size for
            sliding-window inference of large images.
        overlap: float in [0, 1), defaults to 1/3 (the authors' default).
        average: `"logits"` (defaults, as the authors) or `"probabilities"`
            (softmax of each view, then averaged).

    Returns:
        float32 `(N, H, W, C)`: averaged logits, or averaged probabilities when
        `average="probabilities"`.

    Example:
    >>> import keras_sfnet
    >>> from keras_sfnet.inference import logits_function
    >>> fn = logits_function(keras_sfnet.SFNet("resnet18", num_classes=4, decoder_filters=16))
    >>> predict_logits(fn, np.zeros((1, 64, 64, 3), np.float32), scales=(0.75, 1.0),
    ...                flip=True).shape
    (1, 64, 64, 4)
    """
    scales = check_scales(scales)
    if average not in AVERAGE_MODES:
        raise ValueError(
            f"`average` must be one of {list(AVERAGE_MODES)}. Received: average={average!r}"
        )
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"`images` must have shape (N, H, W, 3). Received: images.shape={images.shape}"
        )
    num, height, width = images.shape[:3]

    total = None
    views = 0
    for scale in scales:
        size = (max(1, int(height * scale)), max(1, int(width * scale)))
        scaled = images if size == (height, width) else resize_images(images, size)
        batch = np.concatenate([scaled, scaled[:, :, ::-1]], axis=0) if flip else scaled
        if window is None:
            out = logits_fn(batch)
        else:
            out = sliding_window_logits(logits_fn, batch, window, overlap)
        out = np.asarray(out, np.float32)
        if average == "probabilities":
            out = softmax(out)
        if out.shape[1:3] != (height, width):
            out = resize_align_corners(tf.constant(out), (height, width)).numpy()
        if flip:
            out = out[:num] + out[num:, :, ::-1]
        total = out if total is None else total + out
        views += 2 if flip else 1
    if views == 1:
        return total
    return (total / np.float32(views)).astype(np.float32)
