"""Optical-flow / semantic-flow visualisation (Middlebury colour wheel, arrows)."""

import cv2
import numpy as np

# Baker et al., "A Database and Evaluation Methodology for Optical Flow"
# (IJCV 2011): hue transitions chosen for perceptual uniformity.
_SEGMENTS = (("RY", 15), ("YG", 6), ("GC", 4), ("CB", 11), ("BM", 13), ("MR", 6))
_UNKNOWN_FLOW = 1e9


def make_color_wheel() -> np.ndarray:
    """The Middlebury colour wheel: `(55, 3)` float64 RGB values in [0, 255].

    Six segments red->yellow (15 colours), yellow->green (6), green->cyan (4),
    cyan->blue (11), blue->magenta (13), magenta->red (6); within a segment
    one channel ramps by `floor(255 * i / n)`.

    Example:

    ```python
    wheel = keras_sfnet.visualize.make_color_wheel()  # wheel[0] == red
    ```
    """
    rows = []
    for segment, n in _SEGMENTS:
        ramp = np.floor(255.0 * np.arange(n) / n)
        full = np.full(n, 255.0)
        zero = np.zeros(n)
        channels = {
            "RY": (full, ramp, zero),
            "YG": (255.0 - ramp, full, zero),
            "GC": (zero, full, ramp),
            "CB": (zero, 255.0 - ramp, full),
            "BM": (ramp, zero, full),
            "MR": (full, zero, 255.0 - ramp),
        }[segment]
        rows.append(np.stack(channels, axis=-1))
    return np.concatenate(rows, axis=0)


def _check_flow(flow) -> np.ndarray:
    flow = np.asarray(flow)
    if flow.ndim != 3 or flow.shape[-1] != 2:
        raise ValueError(f"`flow` must have shape (H, W, 2). Received: flow.shape={flow.shape}")
    if not np.issubdtype(flow.dtype, np.number):
        raise TypeError(f"`flow` must be numeric. Received: flow.dtype={flow.dtype}")
    return flow.astype(np.float64)


def _wheel_colors(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Colours (float in [0, 1]) of normalised vectors; radius > 1 is dimmed."""
    wheel = make_color_wheel() / 255.0
    num_colors = wheel.shape[0]
    radius = np.sqrt(u**2 + v**2)
    angle = np.arctan2(-v, -u) / np.pi  # in [-1, 1]; +x (right) maps to -1
    position = (angle + 1.0) / 2.0 * (num_colors - 1)
    k0 = np.floor(position).astype(np.int64)
    k1 = (k0 + 1) % num_colors
    frac = (position - k0)[..., None]
    color = (1.0 - frac) * wheel[k0] + frac * wheel[k1]
    inside = (radius <= 1.0)[..., None]
    saturated = 1.0 - radius[..., None] * (1.0 - color)
    return np.where(inside, saturated, color * 0.75)


def flow_to_color(flow: np.ndarray, max_magnitude: float | None = None) -> np.ndarray:
    """Colours a flow field with the Middlebury colour wheel (Baker et al.).

    Hue encodes direction and saturation magnitude: zero flow is white, a
    vector of length `max_magnitude` is the fully saturated wheel colour
    (pointing right, +x: red; down, +y: yellow; left: cyan-blue; up:
    blue-violet), longer vectors are dimmed to 75 %. Non-finite vectors and
    those with a component above 1e9 (Middlebury "unknown") are black.

    Args:
        flow: `(H, W, 2)` array; channel 0 is the x (rightward) displacement,
            channel 1 the y (downward) one, in pixels.
        max_magnitude: float > 0 to normalise by; defaults to the largest
            known magnitude in `flow`.

    Returns:
        `(H, W, 3)` uint8 RGB image.

    Example:

    ```python
    rgb = keras_sfnet.visualize.flow_to_color(flow)  # flow: (H, W, 2)
    ```
    """
    flow = _check_flow(flow)
    if max_magnitude is not None and not float(max_magnitude) > 0:
        raise ValueError(f"`max_magnitude` must be > 0. Received: max_magnitude={max_magnitude}")
    u, v = flow[..., 0], flow[..., 1]
    unknown = ~np.isfinite(u) | ~np.isfinite(v)
    unknown |= (np.abs(np.nan_to_num(u)) > _UNKNOWN_FLOW) | (
        np.abs(np.nan_to_num(v)) > _UNKNOWN_FLOW
    )
    u = np.where(unknown, 0.0, u)
    v = np.where(unknown, 0.0, v)
    if max_magnitude is None:
        max_magnitude = float(np.sqrt(u**2 + v**2).max()) if u.size else 0.0
    scale = float(max_magnitude) + np.finfo(np.float64).eps
    color = _wheel_colors(u / scale, v / scale)
    color[unknown] = 0.0
    return np.floor(255.0 * color).astype(np.uint8)


def flow_color_key(size: int = 72) -> np.ndarray:
    """The colour key of `flow_to_color`: a disc whose colour at each point is that of a
    flow vector from the centre to it (right = +x, down = +y; the rim = the largest vector).

    Args:
        size: int, side of the square picture in pixels. Defaults to 72.

    Returns:
        `(size, size, 3)` uint8 RGB image, white outside the disc.

    Example:
    >>> key = flow_color_key(32)
    >>> key.shape, key[16, 16].tolist()
    ((32, 32, 3), [255, 255, 255])
    """
    if size < 8:
        raise ValueError(f"`size` must be >= 8. Received: size={size}")
    centre = (size - 1) / 2.0
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    u, v = (x - centre) / centre, (y - centre) / centre
    inside = np.hypot(u, v) <= 1.0
    color = np.floor(255.0 * _wheel_colors(np.where(inside, u, 0), np.where(inside, v, 0)))
    picture = np.where(inside[..., None], color, 255.0).astype(np.uint8)
    return picture


def flow_to_arrows(
    flow: np.ndarray,
    image: np.ndarray | None = None,
    step: int = 16,
    scale: float = 1.0,
    color: tuple[int, int, int] | None = None,
    thickness: int = 1,
    tip_length: float = 0.3,
) -> np.ndarray:
    """Draws the flow as arrows on a regular grid (one arrow per `step` pixels).

    Arrows start at the centre of each `step x step` cell and end at
    `start + scale * flow(start)`; channel 0 of `flow` is x (right), channel 1
    is y (down). Zero vectors draw nothing.

    Args:
        flow: `(H, W, 2)` flow field in pixels.
        image: optional `(H, W, 3)` RGB uint8 image (or `(H, W)` grayscale)
            to draw on; defaults to a white canvas. It is not modified.
        step: int >= 1, grid spacing in pixels. Defaults to `16`.
        scale: float, arrow length multiplier. Defaults to `1.0`.
        color: RGB colour of every arrow; defaults to the colour-wheel hue of
            each arrow's direction (fully saturated).
        thickness: int >= 1, line thickness.
        tip_length: float, arrow-head length relative to the arrow.

    Returns:
        `(H, W, 3)` uint8 RGB image.

    Example:

    ```python
    arrows = keras_sfnet.visualize.flow_to_arrows(flow, image, step=8, scale=2.0)
    ```
    """
    flow = _check_flow(flow)
    height, width = flow.shape[:2]
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ValueError(f"`step` must be an integer >= 1. Received: step={step!r}")
    if image is None:
        canvas = np.full((height, width, 3), 255, np.uint8)
    else:
        image = np.asarray(image)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(
                f"`image` must have shape (H, W, 3) or (H, W). Received: image.shape={image.shape}"
            )
        if image.shape[:2] != (height, width):
            raise ValueError(
                "`image` and `flow` must have the same height and width. Received: "
                f"image.shape={image.shape}, flow.shape={flow.shape}"
            )
        canvas = np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8))
    ys = np.arange(step // 2, height, step)
    xs = np.arange(step // 2, width, step)
    for y in ys:
        for x in xs:
            u, v = flow[y, x]
            if not (np.isfinite(u) and np.isfinite(v)) or (u == 0 and v == 0):
                continue
            if color is None:
                norm = np.hypot(u, v)
                rgb = np.floor(255.0 * _wheel_colors(np.array(u / norm), np.array(v / norm)))
                arrow_color = tuple(int(c) for c in rgb)
            else:
                arrow_color = tuple(int(c) for c in color)
            end = (int(round(x + scale * u)), int(round(y + scale * v)))
            cv2.arrowedLine(
                canvas,
                (int(x), int(y)),
                end,
                arrow_color,
                thickness,
                cv2.LINE_AA,
                tipLength=tip_length,
            )
    return canvas
