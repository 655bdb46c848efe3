"""Calibration samples for full-integer quantisation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

__all__ = ["calibration_samples", "synthetic_calibration_images"]

DEFAULT_CALIBRATION_SIZE = (256, 512)


def synthetic_calibration_images(
    num_samples: int = 32, image_size: tuple[int, int] = DEFAULT_CALIBRATION_SIZE, seed: int = 0
) -> Iterator[np.ndarray]:
    """Normalised float32 ``(H, W, 3)`` street scenes from the bundled synthetic data.

    Rendered on the fly by ``keras_sfnet.data.synthetic.render_street_scene`` (no files).

    Example:
    >>> image = next(synthetic_calibration_images(1, (64, 128)))
    >>> image.shape, image.dtype
    ((64, 128, 3), dtype('float32'))
    """
    from keras_sfnet.data.synthetic import render_street_scene
    from keras_sfnet.export.parity import _normalize

    for i in range(num_samples):
        yield _normalize(render_street_scene((seed, 7919, i), image_size)[0])


def _as_images(item) -> np.ndarray:
    if isinstance(item, dict):
        for key in ("image", "images"):
            if key in item:
                return _as_images(item[key])
        raise ValueError(
            "Calibration dicts must hold the images under 'image' or 'images'. "
            f"Received keys: {sorted(item)}"
        )
    if isinstance(item, (tuple, list)):
        item = item[0]  # (image, label) pairs
    array = np.asarray(item)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(
            "Calibration data must yield normalised float32 images (H, W, 3) or batches "
            f"(B, H, W, 3), optionally with labels. Received shape: {array.shape}"
        )
    if array.dtype == np.uint8:
        raise ValueError(
            "Calibration images must be normalised float32 ((x / 255 - mean) / std), "
            "not uint8; use keras_sfnet.export.tracing.normalize_uint8."
        )
    return array.astype(np.float32)


def calibration_samples(
    data: Iterable | None,
    input_size: tuple[int, int] | None,
    num_samples: int = 32,
) -> Callable[[], Iterator[list[np.ndarray]]]:
    """A ``representative_dataset`` callable yielding ``[float32 (1, H, W, 3)]``.

    Args:
        data: a ``tf.data.Dataset`` or iterable of normalised float32 images
            ``(H, W, 3)`` / batches ``(B, H, W, 3)``, optionally ``(image, label)`` pairs
            or dicts with ``"image"``. None: synthetic street scenes.
        input_size: ``(height, width)`` samples are resized to, or None to keep them.
        num_samples: int, how many images to use at most. Defaults to 32.

    Returns:
        A callable returning a fresh iterator each time (what converters expect).

    Example:
    >>> rep = calibration_samples(None, (64, 96), num_samples=4)
    >>> next(rep())[0].shape
    (1, 64, 96, 3)
    """
    if num_samples < 1:
        raise ValueError(f"`num_samples` must be >= 1. Received: num_samples={num_samples!r}")

    def generate():
        import cv2

        source = data
        if source is None:
            size = input_size or DEFAULT_CALIBRATION_SIZE
            source = synthetic_calibration_images(num_samples, size)
        elif hasattr(source, "as_numpy_iterator"):
            source = source.as_numpy_iterator()
        count = 0
        for item in source:
            for image in _as_images(item):
                if input_size is not None and image.shape[:2] != tuple(input_size):
                    image = cv2.resize(image, (input_size[1], input_size[0]))
                yield [image[None].astype(np.float32)]
                count += 1
                if count >= num_samples:
                    return
        if count == 0:
            raise ValueError("The calibration data yielded no images.")

    return generate
