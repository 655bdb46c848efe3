"""Whole-image, multi-scale, flipped and sliding-window inference (the paper's eval modes).

The authors' evaluation (`eval.py` of SFSegNets) resizes the image to each scale,
runs the network (on the whole image, or on overlapping tiles), flips horizontally
if asked, resizes each output back to the image size with an align-corners bilinear
resize, and averages the raw logits (its `softmax` helper is never called); the
class map is the argmax of that average. `augmented_logits_function` does the same,
in float32, as one compiled TensorFlow function per input size (all views, tiles,
resizes and the average in one graph); `predict_logits` runs the same graph code
eagerly around any numpy callable (e.g. an exported model's runtime).
`average="probabilities"` averages softmax probabilities instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

from keras_sfnet.inference.compiled_function import compiled_function
from keras_sfnet.inference.logits_function import check_batch_options, main_logits
from keras_sfnet.inference.sliding_window import sliding_window_tensor, window_pair
from keras_sfnet.names import AVERAGE_MODES
from keras_sfnet.ops import resize_align_corners

__all__ = [
    "AVERAGE_MODES",
    "augmented_logits_function",
    "check_augmentation_mode",
    "check_scales",
    "predict_logits",
    "resize_images",
    "softmax",
]



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


def check_augmentation_mode(average: str, window, overlap: float) -> None:
    """Raises a clear error for a bad ``average``, ``window`` or ``overlap``."""
    if average not in AVERAGE_MODES:
        raise ValueError(
            f"`average` must be one of {list(AVERAGE_MODES)}. Received: average={average!r}"
        )
    if window is not None:
        window_pair(window)
    if not 0.0 <= float(overlap) < 1.0:
        raise ValueError(f"`overlap` must be in [0, 1). Received: overlap={overlap!r}")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in float32.

    Example:
    >>> softmax(np.zeros((1, 2), np.float32)).tolist()
    [[0.5, 0.5]]
    """
    return ops.convert_to_numpy(ops.softmax(ops.convert_to_tensor(logits, "float32"), axis=-1))


def _resize(images, size: tuple[int, int]):
    return ops.image.resize(images, size, interpolation="bilinear", antialias=True)


def resize_images(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear image resize as PIL's `Image.resize(..., BILINEAR)` does it.

    Half-pixel centres, with an antialiasing (widened triangle) filter when
    shrinking: what the authors' evaluation applies to the image for each scale.
    (Logits, by contrast, are resized with `keras_sfnet.ops.resize_align_corners`.)

    Example:
    >>> resize_images(np.zeros((1, 8, 8, 3), np.float32), (4, 6)).shape
    (1, 4, 6, 3)
    """
    return ops.convert_to_numpy(_resize(ops.convert_to_tensor(images, "float32"), size))


def _augmented(call, images, scales, flip, window, overlap, average):
    """Averaged output over scales/flips/windows of a static-shape batch (keras.ops)."""
    num, height, width = (int(d) for d in images.shape[:3])
    total = None
    views = 0
    for scale in scales:
        size = (max(1, int(height * scale)), max(1, int(width * scale)))
        scaled = images if size == (height, width) else _resize(images, size)
        batch = ops.concatenate([scaled, ops.flip(scaled, axis=2)], axis=0) if flip else scaled
        if window is None:
            out = ops.cast(call(batch), "float32")
        else:
            out = sliding_window_tensor(call, batch, window, overlap)
        if average == "probabilities":
            out = ops.softmax(out, axis=-1)
        if tuple(out.shape[1:3]) != (height, width):
            out = resize_align_corners(out, (height, width))
        if flip:
            out = out[:num] + ops.flip(out[num:], axis=2)
        total = out if total is None else total + out
        views += 2 if flip else 1
    if views == 1:
        return total
    return total / float(views)


def _chunked_model_call(model, batch_size: int, pad_to_multiple: int | None):
    """`call(x)`: the model's float32 logits of a static-shape batch, `batch_size` at a time."""

    def call(x):
        num, height, width = (int(d) for d in x.shape[:3])
        outputs = []
        for start in range(0, num, batch_size):
            chunk = x[start : start + batch_size] if num > batch_size else x
            if pad_to_multiple:
                pad_h, pad_w = -height % pad_to_multiple, -width % pad_to_multiple
                if pad_h or pad_w:
                    chunk = ops.pad(chunk, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]])
            logits = ops.cast(main_logits(model(chunk, training=False)), "float32")
            if pad_to_multiple and (pad_h or pad_w):
                logits = logits[:, :height, :width]
            outputs.append(logits)
        return outputs[0] if len(outputs) == 1 else ops.concatenate(outputs, axis=0)

    return call


def augmented_logits_function(
    model: keras.Model,
    *,
    scales: Sequence[float] = (1.0,),
    flip: bool = False,
    window=None,
    overlap: float = 1 / 3,
    average: str = "logits",
    batch_size: int = 1,
    pad_to_multiple: int | None = None,
    input_size: tuple[int, int] | None = None,
    preprocessor: keras.layers.Layer | None = None,
) -> Callable[[np.ndarray], np.ndarray]:
    """`fn(images) -> logits`: test-time augmentation as one compiled TF function.

    Every view (each scale, its mirror, each sliding-window tile), the image and
    logit resizes and the average run inside one `tf.function`, traced once per
    input shape and dtype for the `(scales, flip, window, ...)` fixed here; numpy
    only at the edges. The math is `predict_logits`'s: with `scales=(1.0,)`,
    `flip=False` and no window (or a window covering the image) the output is
    exactly the model's logits on the whole image.

    Args:
        model: Keras model mapping normalised NHWC images to logits (or a dict
            with `"logits"`).
        scales: sequence of floats, defaults to `(1.0,)`. Paper Table 4 uses
            `(0.5, 0.75, 1.0, 1.25, 1.5, 1.75)`.
        flip: bool, defaults to `False`. Add horizontally flipped views.
        window: int, `(height, width)` or `None` (whole image). Tile size.
        overlap: float in [0, 1), defaults to 1/3. Tile overlap.
        average: `"logits"` (defaults, as the authors) or `"probabilities"`.
        batch_size: int, defaults to 1. Model inputs per model call.
        pad_to_multiple: int or `None`. Pad each model input at the bottom/right
            to a multiple of this with zeros (logits cropped back).
        input_size: `(height, width)` or `None`. Resize the (normalised) images to
            this size first; the output is resized back to the images' size.
        preprocessor: a layer applied to the images first (e.g.
            `keras_sfnet.layers.ImageConverter()`: then `images` are RGB in
            [0, 255]), or `None` (images already normalised).

    Returns:
        A callable on `(N, H, W, 3)` arrays or tensors returning float32
        `(N, H, W, C)` numpy logits (probabilities with `average="probabilities"`);
        its `function` attribute is the underlying `tf.function`.

    Example:
    >>> import keras_sfnet
    >>> model = keras_sfnet.SFNet("resnet18", num_classes=4, decoder_filters=16)
    >>> fn = augmented_logits_function(model, scales=(0.75, 1.0), flip=True)
    >>> fn(np.zeros((1, 64, 64, 3), np.float32)).shape
    (1, 64, 64, 4)
    """
    scales = check_scales(scales)
    check_augmentation_mode(average, window, overlap)
    check_batch_options(batch_size, pad_to_multiple)
    if input_size is not None:
        input_size = window_pair(input_size, "input_size")
    call = _chunked_model_call(model, int(batch_size), pad_to_multiple)
    flip = bool(flip)

    def augmented_views(images):
        x = images if preprocessor is None else preprocessor(images)
        x = ops.cast(x, "float32")
        height, width = (int(d) for d in x.shape[1:3])
        if input_size is not None and input_size != (height, width):
            x = _resize(x, input_size)
        out = _augmented(call, x, scales, flip, window, overlap, average)
        if tuple(out.shape[1:3]) != (height, width):
            out = resize_align_corners(out, (height, width))
        return out

    augmented = compiled_function(augmented_views)

    def run(images) -> np.ndarray:
        images = ops.convert_to_tensor(images)
        if len(images.shape) != 4 or images.shape[-1] != 3:
            raise ValueError(
                f"`images` must have shape (N, H, W, 3). Received: images.shape={images.shape}"
            )
        return ops.convert_to_numpy(augmented(images))

    run.function = augmented  # the compiled function (one trace per input shape/dtype)
    return run


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
    """Averaged output of any numpy callable over scales, flips and sliding windows.

    For each scale `s` the images are resized to `(int(H * s), int(W * s))`
    (`resize_images`); with `flip=True` the mirrored images are run too and their
    output mirrored back; with a `window`, each view is run as overlapping
    `window`-sized tiles (`sliding_window_logits`), otherwise whole. Each output
    is resized back to `(H, W)` (align corners) and the average over all
    `len(scales) * (2 if flip else 1)` views is returned. With `scales=(1.0,)`,
    `flip=False` and no window this is exactly the whole-image output; a window
    at least as large as the image changes nothing either.

    This runs the graph code of `augmented_logits_function` eagerly around
    `logits_fn` (one call per view): use it for callables that are not Keras
    models (a TFLite interpreter, ONNX Runtime); for a Keras model,
    `augmented_logits_function` compiles everything into one function.

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
    check_augmentation_mode(average, window, overlap)
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"`images` must have shape (N, H, W, 3). Received: images.shape={images.shape}"
        )

    def call(x):
        return ops.convert_to_tensor(np.asarray(logits_fn(ops.convert_to_numpy(x)), np.float32))

    return ops.convert_to_numpy(
        _augmented(
            call, ops.convert_to_tensor(images), scales, bool(flip), window, overlap, average
        )
    )
