"""Draw a colour legend for a palette."""

from collections.abc import Sequence

import cv2
import numpy as np

from keras_sfnet.visualize.palettes import CITYSCAPES_CLASS_NAMES, check_palette


def legend(
    class_names: Sequence[str] = CITYSCAPES_CLASS_NAMES,
    palette=None,
    swatch_size: int = 20,
    font_scale: float = 0.5,
    padding: int = 4,
) -> np.ndarray:
    """Draws a legend: one row per class, a colour swatch and its name.

    Args:
        class_names: class names, `class_names[i]` for palette row `i`.
            Defaults to the 19 Cityscapes classes.
        palette: `(num_classes, 3)` RGB colours (at least
            `len(class_names)` rows). Defaults to `CITYSCAPES_PALETTE`.
        swatch_size: int, side of each square swatch in pixels.
        font_scale: float, OpenCV font scale of the names.
        padding: int, margin in pixels.

    Returns:
        `(len(class_names) * (swatch_size + padding) + padding, W, 3)` uint8
        RGB image on a white background.

    Example:

    ```python
    key = keras_sfnet.visualize.legend()  # Cityscapes names and colours
    ```
    """
    class_names = [str(name) for name in class_names]
    palette = check_palette(palette)
    if not class_names:
        raise ValueError("`class_names` must not be empty.")
    if len(class_names) > len(palette):
        raise ValueError(
            "`palette` must have a colour per class. Received: "
            f"len(class_names)={len(class_names)}, len(palette)={len(palette)}"
        )
    if swatch_size < 1:
        raise ValueError(f"`swatch_size` must be >= 1. Received: swatch_size={swatch_size}")
    font = cv2.FONT_HERSHEY_SIMPLEX
    text_width = max(cv2.getTextSize(n, font, font_scale, 1)[0][0] for n in class_names)
    row = swatch_size + padding
    height = len(class_names) * row + padding
    width = padding * 3 + swatch_size + text_width
    canvas = np.full((height, width, 3), 255, np.uint8)
    for i, name in enumerate(class_names):
        top = padding + i * row
        colour = tuple(int(c) for c in palette[i])
        cv2.rectangle(
            canvas,
            (padding, top),
            (padding + swatch_size - 1, top + swatch_size - 1),
            colour,
            thickness=-1,
        )
        cv2.rectangle(
            canvas,
            (padding, top),
            (padding + swatch_size - 1, top + swatch_size - 1),
            (0, 0, 0),
            thickness=1,
        )
        (_, text_h), _ = cv2.getTextSize(name, font, font_scale, 1)
        baseline_y = top + (swatch_size + text_h) // 2
        cv2.putText(
            canvas,
            name,
            (2 * padding + swatch_size, baseline_y),
            font,
            font_scale,
            (0, 0, 0),
            1,
            cv2.LINE_AA,
        )
    return canvas
