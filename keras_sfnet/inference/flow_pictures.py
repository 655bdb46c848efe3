"""Pictures of SFNet's semantic flow, as in the paper's Figures 2 and 5."""

from __future__ import annotations

import cv2
import numpy as np

from keras_sfnet.visualize import flow_to_arrows, flow_to_color, titled_panel

__all__ = ["flow_pictures", "upsample_flow"]


def upsample_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resizes a flow field to `size` and rescales its vectors to that size's pixels.

    A flow of a stride-`s` level measures offsets in that level's pixels;
    resized to the image, each component is multiplied by the size ratio
    (`W / w` for x, `H / h` for y) so that it reads in image pixels.

    Args:
        flow: float `(h, w, 2)`, channel 0 = x, 1 = y.
        size: `(H, W)`.

    Returns:
        float32 `(H, W, 2)`.

    Example:
    >>> upsample_flow(np.ones((4, 8, 2), np.float32), (16, 16))[0, 0].tolist()
    [2.0, 4.0]
    """
    flow = np.asarray(flow, np.float32)
    if flow.ndim != 3 or flow.shape[-1] != 2:
        raise ValueError(f"`flow` must have shape (h, w, 2). Received: flow.shape={flow.shape}")
    height, width = (int(v) for v in size)
    resized = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
    scale = np.array([width / flow.shape[1], height / flow.shape[0]], np.float32)
    return (resized * scale).astype(np.float32)


def flow_pictures(
    image: np.ndarray,
    flows: dict[str, np.ndarray],
    *,
    step: int = 16,
    arrow_scale: float | None = 1.0,
    titles: bool = False,
) -> dict[str, np.ndarray]:
    """Colour and arrow pictures of each semantic flow, at the image's size.

    Each flow is brought to image pixels (`upsample_flow`), then drawn with
    `keras_sfnet.visualize.flow_to_color` (Middlebury colour wheel, hue =
    direction, saturation = length) and `flow_to_arrows` (arrows every `step`
    pixels over a dimmed copy of the image).

    Args:
        image: uint8 RGB `(H, W, 3)`.
        flows: `{"flow_p4": (h, w, 2), ...}`, e.g. from `Segmenter.predict_flows`
            (other keys are skipped).
        step: int, defaults to 16. Arrow grid spacing in image pixels; never
            finer than the level's own cells (its stride), so a coarse flow
            gets one arrow per flow pixel instead of a tangle.
        arrow_scale: float or `None`, defaults to 1.0. Arrow length multiplier;
            `None` scales each flow so that its 99th-percentile vector is 0.9
            of its arrow spacing (readable at any level and magnitude).
        titles: bool, defaults to `False`. Put a title bar (level, stride,
            what colour and arrows mean) above each picture.

    Returns:
        `{"<name>_color": RGB, "<name>_arrows": RGB}` for each flow.

    Example:
    >>> out = segmenter.predict_flows(image)  # doctest: +SKIP
    >>> pictures = flow_pictures(image, out)  # doctest: +SKIP
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
        raise ValueError(
            "`image` must be a uint8 RGB image (H, W, 3). "
            f"Received: shape={image.shape}, dtype={image.dtype}"
        )
    size = image.shape[:2]
    dimmed = (0.5 * image.astype(np.float32) + 127.5).astype(np.uint8)
    pictures = {}
    for name, flow in flows.items():
        if not name.startswith("flow"):
            continue
        full = upsample_flow(flow, size)
        stride = max(1, round(size[0] / max(np.shape(flow)[0], 1)))
        level_step = max(int(step), stride)
        color = flow_to_color(full)
        scale = arrow_scale
        if scale is None:
            length = float(np.percentile(np.hypot(full[..., 0], full[..., 1]), 99))
            scale = 0.9 * level_step / length if length > 0 else 1.0
        arrows = flow_to_arrows(full, dimmed, step=level_step, scale=scale)
        if titles:
            level = name.removeprefix("flow_")
            color = titled_panel(color, f"flow {level} (stride {stride}): hue = direction")
            arrows = titled_panel(arrows, f"flow {level} (stride {stride}), arrows x{scale:.2g}")
        pictures[f"{name}_color"] = color
        pictures[f"{name}_arrows"] = arrows
    return pictures
