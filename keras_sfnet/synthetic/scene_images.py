"""Rendered street scenes as sample images (int8 calibration, export parity checks)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from keras_sfnet.synthetic.renderer import render_street_scene

__all__ = ["street_scene_images"]


def street_scene_images(
    num_images: int, image_size: Sequence[int] = (256, 512), seed: int | Sequence[int] = 0
) -> Iterator[np.ndarray]:
    """uint8 RGB `(H, W, 3)` street scenes, rendered in memory (no files).

    Image `i` is `render_street_scene((*seed, i), image_size)[0]`: the same
    arguments give the same images.

    Args:
        num_images: int. How many images.
        image_size: (height, width), defaults to `(256, 512)`.
        seed: int or sequence of ints, defaults to 0.

    Example:
    >>> image = next(street_scene_images(1, (64, 128)))
    >>> image.shape, image.dtype
    ((64, 128, 3), dtype('uint8'))
    """
    prefix = (int(seed),) if np.ndim(seed) == 0 else tuple(int(s) for s in seed)
    for i in range(int(num_images)):
        yield np.asarray(render_street_scene((*prefix, i), tuple(image_size))[0], np.uint8)
