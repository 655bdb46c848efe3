"""Turning the images users have into the network's input.

Users hold images in many forms: uint8 BGR arrays from OpenCV (`cv2.imread`), uint8
RGB arrays from PIL or imageio, float images in [0, 1] from scikit-image, 16-bit
PNGs, grayscale or RGBA pictures. `prepare_image` brings each of them to one form,
float32 RGB in [0, 255] (the range of uint8 pictures), or says clearly why it
cannot; `keras_sfnet.layers.ImageConverter` then applies the normalisation the
network was trained with.
"""

from __future__ import annotations

import numpy as np

__all__ = ["prepare_image"]

_FLOAT_TOLERANCE = 1e-3


def prepare_image(image, bgr: bool = False) -> np.ndarray:
    """Converts one image to float32 RGB with values in [0, 255].

    Accepted inputs:

    - dtype `uint8` (values 0..255) or `uint16` (0..65535, e.g. 16-bit PNGs);
    - a float dtype with values in [0, 1] (values above 1 are refused: a float
      image in [0, 255] must be cast to uint8 or divided by 255 first);
    - shape `(H, W)` or `(H, W, 1)` (grayscale: copied to three channels),
      `(H, W, 3)` (colour) or `(H, W, 4)` (colour + alpha: alpha is dropped).

    Args:
        image: array-like (numpy array, `PIL.Image`, tensor) holding one image.
        bgr: bool, defaults to `False`. `True` when the channels are in OpenCV's
            BGR (or BGRA) order, `False` for RGB (PIL, imageio, matplotlib).

    Returns:
        A float32 `(H, W, 3)` RGB array with values in [0, 255] (uint8 values are
        kept exactly), the input of `keras_sfnet.layers.ImageConverter`.

    Raises:
        ValueError: wrong rank, channel count, empty image, non-finite or
            out-of-range float values.
        TypeError: a dtype other than uint8, uint16 or float.

    Example:
    >>> bgr = np.zeros((4, 6, 3), np.uint8); bgr[..., 2] = 255  # red, OpenCV order
    >>> prepare_image(bgr, bgr=True)[0, 0].tolist()
    [255.0, 0.0, 0.0]
    """
    array = np.asarray(image)
    if array.dtype == object:
        raise TypeError(
            "`image` must be a numeric array (H, W) or (H, W, C). "
            f"Received: an object array of shape {array.shape}"
        )
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3:
        hint = (
            " For a batch, pass a list of images or a (N, H, W, C) array."
            if array.ndim == 4
            else ""
        )
        raise ValueError(
            "`image` must have rank 2 (H, W) or 3 (H, W, C). "
            f"Received: image.shape={array.shape}.{hint}"
        )
    height, width, channels = array.shape
    if height == 0 or width == 0:
        raise ValueError(f"`image` must not be empty. Received: image.shape={array.shape}")
    if channels not in (1, 3, 4):
        raise ValueError(
            "`image` must have 1 (grayscale), 3 (RGB/BGR) or 4 (RGBA/BGRA) channels "
            "in the last axis (channels-last). "
            f"Received: image.shape={array.shape}"
        )

    if array.dtype == np.uint8:
        scaled = array.astype(np.float32)
    elif array.dtype == np.uint16:
        scaled = array.astype(np.float32) / np.float32(257.0)
    elif np.issubdtype(array.dtype, np.floating):
        scaled = array.astype(np.float32)
        if not np.all(np.isfinite(scaled)):
            raise ValueError("`image` must not contain NaN or infinite values.")
        low, high = float(scaled.min()), float(scaled.max())
        if low < -_FLOAT_TOLERANCE or high > 1.0 + _FLOAT_TOLERANCE:
            raise ValueError(
                "A float `image` must have values in [0, 1]. "
                f"Received: values in [{low:g}, {high:g}]. For values in [0, 255], "
                "pass `image.astype('uint8')` or `image / 255`."
            )
        scaled = np.clip(scaled, 0.0, 1.0) * np.float32(255.0)
    else:
        raise TypeError(
            "`image` must have dtype uint8, uint16 or float (values in [0, 1]). "
            f"Received: dtype={array.dtype}"
            + (
                ". Cast integer images in [0, 255] with `image.astype('uint8')`."
                if np.issubdtype(array.dtype, np.integer) or array.dtype == bool
                else ""
            )
        )

    if channels == 1:
        return np.repeat(scaled, 3, axis=-1)
    scaled = scaled[..., :3]
    if bgr:
        scaled = scaled[..., ::-1]
    return np.ascontiguousarray(scaled)
