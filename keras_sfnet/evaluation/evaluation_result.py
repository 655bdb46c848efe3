"""`EvaluationResult`: the numbers of one evaluation run, as a table or as JSON."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_sfnet.metrics import compute_iou

__all__ = ["EvaluationResult"]


def _nan_to_none(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


@dataclasses.dataclass
class EvaluationResult:
    """Scores of a segmentation evaluation (Cityscapes-benchmark definitions).

    `per_class_iou[c] = TP / (TP + FP + FN)` over all evaluated pixels (ground
    truth `ignore_index` skipped); a class absent from both ground truth and
    predictions has IoU NaN and is left out of `miou`, as in
    `cityscapesscripts`' pixel-level evaluation. `pixel_accuracy` is correct
    pixels / non-ignored pixels.

    Args:
        confusion_matrix: int64 `(C, C)` counts, rows ground truth, columns
            prediction.
        class_names: sequence of `C` str.
        num_images: int. Images evaluated.
        settings: dict of the evaluation settings (mode, scales, flip, ...).

    Example:
    >>> r = EvaluationResult(np.array([[3, 1], [0, 4]]), ["a", "b"], num_images=1)
    >>> round(r.miou, 3), r.per_class_iou
    (0.775, {'a': 0.75, 'b': 0.8})
    """

    confusion_matrix: np.ndarray
    class_names: Sequence[str]
    num_images: int
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.confusion_matrix = np.asarray(self.confusion_matrix, np.int64)
        self.class_names = tuple(self.class_names)
        c = self.confusion_matrix.shape[0]
        if self.confusion_matrix.shape not in ((c, c), (c, c + 1)) or len(self.class_names) != c:
            raise ValueError(
                "`confusion_matrix` must be (C, C) or (C, C + 1) with C = len(class_names). "
                f"Received: confusion_matrix.shape={self.confusion_matrix.shape}, "
                f"{len(self.class_names)} class_names"
            )

    @property
    def per_class_iou_array(self) -> np.ndarray:
        """float64 `(C,)` IoU per class, NaN for absent classes."""
        return compute_iou(self.confusion_matrix)[0]

    @property
    def miou(self) -> float:
        """Mean IoU over the classes present in ground truth or prediction."""
        return compute_iou(self.confusion_matrix)[1]

    @property
    def per_class_iou(self) -> dict[str, float]:
        """`{class_name: IoU}` (NaN for absent classes)."""
        return {n: float(v) for n, v in zip(self.class_names, self.per_class_iou_array)}

    @property
    def pixel_accuracy(self) -> float:
        """Correct / evaluated pixels (NaN when nothing was evaluated)."""
        total = self.confusion_matrix.sum()
        c = self.confusion_matrix.shape[0]
        return float(np.trace(self.confusion_matrix[:, :c]) / total) if total else float("nan")

    @property
    def mean_class_accuracy(self) -> float:
        """Mean over classes present in ground truth of correct / ground-truth pixels."""
        c = self.confusion_matrix.shape[0]
        rows = self.confusion_matrix.sum(axis=1)
        present = rows > 0
        if not present.any():
            return float("nan")
        return float(np.mean(np.diagonal(self.confusion_matrix[:, :c])[present] / rows[present]))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN written as `null`).

        Keys: `miou`, `per_class_iou`, `pixel_accuracy`, `mean_class_accuracy`,
        `num_images`, `class_names`, `confusion_matrix`, `settings`.
        """
        c = self.confusion_matrix.shape[0]
        return {
            "miou": _nan_to_none(self.miou),
            "per_class_iou": {k: _nan_to_none(v) for k, v in self.per_class_iou.items()},
            "pixel_accuracy": _nan_to_none(self.pixel_accuracy),
            "mean_class_accuracy": _nan_to_none(self.mean_class_accuracy),
            "num_images": int(self.num_images),
            "class_names": list(self.class_names),
            "confusion_matrix": self.confusion_matrix[:, :c].tolist(),
            "settings": dict(self.settings),
        }

    def save_json(self, path: str | os.PathLike) -> None:
        """Writes `to_dict()` as JSON (creating the folder).

        Example:
        >>> result.save_json("results/sfnet_r18_val.json")  # doctest: +SKIP
        """
        path = os.fspath(path)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=2)
            f.write("\n")

    def format_table(self) -> str:
        """The per-class IoU table, then mIoU and pixel accuracy, as text (percent).

        Example:
        >>> print(result.format_table())  # doctest: +SKIP
        class            IoU (%)
        road               97.81
        ...
        """
        width = max([len("class"), len("mIoU"), *(len(n) for n in self.class_names)]) + 2
        lines = [f"{'class':<{width}}{'IoU (%)':>8}", "-" * (width + 8)]
        for name, value in self.per_class_iou.items():
            text = "     n/a" if math.isnan(value) else f"{100 * value:8.2f}"
            lines.append(f"{name:<{width}}{text}")
        lines.append("-" * (width + 8))
        lines.append(f"{'mIoU':<{width}}{100 * self.miou:8.2f}")
        lines.append(f"{'pixel acc.':<{width}}{100 * self.pixel_accuracy:8.2f}")
        lines.append(f"{'images':<{width}}{self.num_images:8d}")
        return "\n".join(lines)
