"""Figure building blocks: titled panels, error maps, grids, flow panels."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from keras_sfnet.visualize.colorize import colorize, overlay
from keras_sfnet.visualize.flow import flow_color_key, flow_to_arrows, flow_to_color

__all__ = [
    "error_map",
    "flow_panel",
    "panel_grid",
    "prediction_figure",
    "titled_panel",
]

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _rgb_uint8(image: np.ndarray, name: str = "image") -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"`{name}` must be (H, W, 3) or (H, W). Received: shape={image.shape}")
    return np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8))


def titled_panel(
    image: np.ndarray, title: str, font_scale: float = 0.5, bar_height: int | None = None
) -> np.ndarray:
    """Puts a white title bar with black text above an RGB image.

    Args:
        image: `(H, W, 3)` (or `(H, W)`) RGB uint8 image.
        title: str, the caption (cut with "..." if wider than the image).
        font_scale: float, OpenCV font scale. Defaults to 0.5.
        bar_height: int or `None` (fits the font).

    Returns:
        `(bar_height + H, W, 3)` uint8 RGB.

    Example:
    >>> titled_panel(np.zeros((32, 64, 3), np.uint8), "image").shape[1]
    64
    """
    image = _rgb_uint8(image)
    (_, text_h), baseline = cv2.getTextSize("Ag", _FONT, font_scale, 1)
    if bar_height is None:
        bar_height = text_h + baseline + 8
    bar = np.full((bar_height, image.shape[1], 3), 255, np.uint8)
    text = str(title)
    while text and cv2.getTextSize(text, _FONT, font_scale, 1)[0][0] > image.shape[1] - 6:
        text = text[:-4] + "..." if len(text) > 4 else ""
    cv2.putText(
        bar, text, (3, bar_height - baseline - 3), _FONT, font_scale, (0, 0, 0), 1, cv2.LINE_AA
    )
    return np.concatenate([bar, image], axis=0)


def error_map(
    truth: np.ndarray, prediction: np.ndarray, image: np.ndarray | None = None,
    ignore_index: int = 255,
) -> np.ndarray:  # fmt: skip
    """Wrong pixels in red over a dimmed grey image; ignored pixels dark grey.

    Args:
        truth: `(H, W)` integer ground truth.
        prediction: `(H, W)` integer class map.
        image: optional `(H, W, 3)` RGB uint8 background (grey if `None`).
        ignore_index: label value without ground truth. Defaults to 255.

    Returns:
        `(H, W, 3)` uint8 RGB.

    Example:
    >>> error_map(np.zeros((2, 2), int), np.eye(2, dtype=int))[0, 1].tolist()
    [230, 30, 30]
    """
    truth = np.asarray(truth)
    prediction = np.asarray(prediction)
    if truth.shape != prediction.shape or truth.ndim != 2:
        raise ValueError(
            "`truth` and `prediction` must be (H, W) maps of one shape. Received: "
            f"truth.shape={truth.shape}, prediction.shape={prediction.shape}"
        )
    if image is None:
        background = np.full(truth.shape + (3,), 200, np.uint8)
    else:
        gray = cv2.cvtColor(_rgb_uint8(image), cv2.COLOR_RGB2GRAY)
        background = np.repeat((0.45 * gray + 120).astype(np.uint8)[..., None], 3, axis=-1)
    picture = background.copy()
    ignored = truth == ignore_index
    picture[(truth != prediction) & ~ignored] = (230, 30, 30)
    picture[ignored] = (60, 60, 60)
    return picture


def flow_panel(
    flow: np.ndarray, image: np.ndarray, stride: int, min_spacing: int = 16
) -> np.ndarray:
    """A readable picture of one FAM's flow: colour wheel plus sparse arrows.

    The flow of a stride-`stride` level is brought to image pixels, coloured
    with the Middlebury wheel (hue = direction, saturation = length) and
    blended over the image; arrows are drawn on a grid no finer than the
    level's own cells and at least `min_spacing` pixels apart, scaled so that
    the 99th-percentile vector is 0.8 of the spacing (their length is
    relative; the colour saturation is too, to the largest vector).

    Args:
        flow: `(h, w, 2)` flow in pixels of its level (channel 0 = x).
        image: `(H, W, 3)` RGB uint8.
        stride: int, the level's stride (image pixels per flow pixel).
        min_spacing: int, minimum arrow spacing in image pixels. Defaults to 16.

    Returns:
        `(H, W, 3)` uint8 RGB.

    Example:
    >>> flow_panel(np.ones((4, 8, 2)), np.zeros((16, 32, 3), np.uint8), stride=4).shape
    (16, 32, 3)
    """
    image = _rgb_uint8(image)
    flow = np.asarray(flow, np.float32)
    if flow.ndim != 3 or flow.shape[-1] != 2:
        raise ValueError(f"`flow` must have shape (h, w, 2). Received: flow.shape={flow.shape}")
    height, width = image.shape[:2]
    full = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
    full = full * np.array([width / flow.shape[1], height / flow.shape[0]], np.float32)
    color = flow_to_color(full)
    blended = (0.65 * color + 0.35 * image).astype(np.uint8)
    step = int(max(int(stride), int(min_spacing)))
    length = float(np.percentile(np.hypot(full[..., 0], full[..., 1]), 99))
    scale = 0.8 * step / length if length > 0 else 1.0
    return flow_to_arrows(full, blended, step=step, scale=scale, color=(0, 0, 0))


def panel_grid(rows: Sequence[Sequence[np.ndarray]], gap: int = 6) -> np.ndarray:
    """Lays out RGB panels in rows on a white background (top-left aligned).

    Example:
    >>> panel_grid([[np.zeros((4, 4, 3), np.uint8)] * 2]).shape
    (16, 26, 3)
    """
    rows = [[_rgb_uint8(p, "panel") for p in row] for row in rows]
    row_heights = [max(p.shape[0] for p in row) for row in rows]
    row_widths = [sum(p.shape[1] for p in row) + gap * (len(row) + 1) for row in rows]
    canvas = np.full((sum(row_heights) + gap * (len(rows) + 1), max(row_widths), 3), 255, np.uint8)
    y = gap
    for row, row_height in zip(rows, row_heights):
        x = gap
        for panel in row:
            canvas[y : y + panel.shape[0], x : x + panel.shape[1]] = panel
            x += panel.shape[1] + gap
        y += row_height + gap
    return canvas


def _enlarge(picture: np.ndarray, factor: int, labels: bool = False) -> np.ndarray:
    if factor == 1:
        return picture
    height, width = picture.shape[:2]
    mode = cv2.INTER_NEAREST if labels else cv2.INTER_LINEAR
    return cv2.resize(picture, (width * factor, height * factor), interpolation=mode)


def prediction_figure(
    images: Sequence[np.ndarray],
    truths: Sequence[np.ndarray],
    predictions: Sequence[np.ndarray],
    class_names: Sequence[str],
    palette,
    flows: Sequence[tuple[np.ndarray, int]] | None = None,
    ignore_index: int = 255,
    min_width: int = 384,
    title: str | None = None,
) -> np.ndarray:
    """One row per image: image, ground truth, prediction, overlay, errors, flow.

    Panels carry titles (with the pixel accuracy of each image on its error
    map); small images are enlarged (integer factor) to at least
    `min_width` pixels per panel; a legend of the classes present in the
    ground truths or predictions (and "ignore", drawn black, when a ground
    truth has unlabelled pixels) closes the figure on the right; with `flows`,
    the flow panel's colour wheel (`flow_color_key`) lies below it.

    Args:
        images: RGB uint8 `(H, W, 3)` images.
        truths: `(H, W)` integer ground truths (`ignore_index` = no label).
        predictions: `(H, W)` integer class maps.
        class_names: names, `class_names[i]` for class `i`.
        palette: `(num_classes, 3)` RGB colours.
        flows: optional `(flow, stride)` per image for the flow panel (e.g.
            the finest FAM's flow `"flow_p2"` with stride 4).
        ignore_index: int, defaults to 255.
        min_width: int, smallest panel width in pixels. Defaults to 384.
        title: optional headline above the grid.

    Returns:
        uint8 RGB figure.

    Example:
    >>> figure = prediction_figure([image], [truth], [prediction],
    ...                            CITYSCAPES_CLASS_NAMES, CITYSCAPES_PALETTE)  # doctest: +SKIP
    """
    from keras_sfnet.visualize.legend import legend

    if not (len(images) == len(truths) == len(predictions)) or not images:
        raise ValueError(
            "`images`, `truths` and `predictions` must be non-empty and of one length. Received: "
            f"{len(images)}, {len(truths)}, {len(predictions)}"
        )
    palette = np.asarray(palette)
    rows, present = [], set()
    for i, (image, truth, prediction) in enumerate(zip(images, truths, predictions)):
        image = _rgb_uint8(image)
        truth, prediction = np.asarray(truth), np.asarray(prediction)
        factor = max(1, -(-int(min_width) // image.shape[1]))
        valid = truth != ignore_index
        present.update(int(c) for c in np.unique(truth[valid]))
        present.update(int(c) for c in np.unique(prediction))
        accuracy = float((truth[valid] == prediction[valid]).mean()) if valid.any() else 0.0
        panels = [
            (image, "image", False),
            (colorize(truth, palette=palette, ignore_index=ignore_index), "ground truth", True),
            (colorize(prediction, palette=palette), "prediction", True),
            (overlay(image, prediction, palette=palette, alpha=0.55), "overlay", False),
            (error_map(truth, prediction, image, ignore_index),
             f"errors (red), {100 * accuracy:.1f}% correct", True),
        ]  # fmt: skip
        if flows is not None:
            flow, stride = flows[i]
            big = _enlarge(image, factor)
            panels.append(
                (flow_panel(flow, big, stride * factor), f"semantic flow, stride {stride}", None)
            )
        rows.append(
            [
                titled_panel(p if labels is None else _enlarge(p, factor, labels), name)
                for p, name, labels in panels
            ]
        )
    shown = sorted(c for c in present if c < len(class_names))
    names, colours = [class_names[c] for c in shown], [palette[c] for c in shown]
    if any(np.any(np.asarray(t) == ignore_index) for t in truths):
        names.append("ignore (no label)")
        colours.append(np.zeros(3, palette.dtype))  # as `colorize` draws it
    key = titled_panel(legend(names, np.asarray(colours), swatch_size=18), "classes")
    if flows is not None:
        # The flow panel's colours: direction (hue) and relative length (saturation).
        wheel = np.pad(flow_color_key(72), ((4, 16), (30, 30), (0, 0)), constant_values=255)
        cv2.putText(wheel, "+x", (106, 44), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
        cv2.putText(wheel, "+y", (58, 90), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
        wheel = titled_panel(wheel, "flow direction")
        width = max(key.shape[1], wheel.shape[1])
        key, wheel = (
            np.pad(p, ((0, 0), (0, width - p.shape[1]), (0, 0)), constant_values=255)
            for p in (key, wheel)
        )
        key = np.concatenate([key, np.full((12, width, 3), 255, np.uint8), wheel], axis=0)
    grid = panel_grid(rows)
    height = max(grid.shape[0], key.shape[0] + 12)
    grid = np.pad(grid, ((0, height - grid.shape[0]), (0, 0), (0, 0)), constant_values=255)
    key = np.pad(key, ((6, height - key.shape[0] - 6), (0, 6), (0, 0)), constant_values=255)
    figure = np.concatenate([grid, key], axis=1)
    if title:
        figure = titled_panel(figure, title, font_scale=0.7)
    return figure
