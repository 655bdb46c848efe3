"""Pure-numpy confusion matrix and IoU, defined as the Cityscapes benchmark does."""

import numpy as np


def check_num_classes(num_classes: int) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"`num_classes` must be an integer. Received: num_classes={num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"`num_classes` must be >= 1. Received: num_classes={num_classes}")
    return int(num_classes)


def compute_iou(confusion: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-class IoU and mean IoU from a confusion matrix (rows: ground truth).

    As in `cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling`:
    `IoU_c = TP / (TP + FP + FN)`, where FN counts every pixel of ground-truth
    class `c` that was predicted as anything else (including an out-of-range
    or "void" prediction), and FP counts pixels predicted as `c` whose ground
    truth is another valid class (pixels with an ignored ground truth never
    count). A class with `TP + FP + FN == 0` (absent from both ground truth
    and prediction) has IoU NaN and is left out of the mean; the mean of no
    class is NaN.

    Args:
        confusion: `(C, C)` array, or `(C, C + 1)` where the last column counts
            ground-truth pixels predicted outside `[0, C)` (only false
            negatives).

    Returns:
        `(per_class_iou, mean_iou)`: a float64 `(C,)` array with NaN for absent
        classes, and a float.

    Example:

    ```python
    per_class, miou = keras_sfnet.metrics.compute_iou(np.array([[3, 1], [0, 4]]))
    # per_class == [0.75, 0.8], miou == 0.775
    ```
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    if (
        confusion.ndim != 2
        or confusion.shape[0] < 1
        or confusion.shape[1] not in (confusion.shape[0], confusion.shape[0] + 1)
    ):
        raise ValueError(
            "`confusion` must have shape (C, C) or (C, C + 1). "
            f"Received: confusion.shape={confusion.shape}"
        )
    num_classes = confusion.shape[0]
    tp = np.diagonal(confusion[:, :num_classes])
    gt_total = confusion.sum(axis=1)
    pred_total = confusion[:, :num_classes].sum(axis=0)
    denominator = gt_total + pred_total - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class = np.where(denominator > 0, tp / denominator, np.nan)
    present = ~np.isnan(per_class)
    mean = float(per_class[present].mean()) if present.any() else float("nan")
    return per_class, mean


class ConfusionMatrix:
    """Accumulates a semantic-segmentation confusion matrix in numpy.

    Rows are ground-truth classes, columns predicted classes. Ground-truth
    pixels equal to `ignore_index` (or outside `[0, num_classes)`) are skipped.
    Predictions outside `[0, num_classes)` are counted in an extra column, so
    they are false negatives of the ground-truth class, as a "void" prediction
    is in the Cityscapes evaluation.

    Args:
        num_classes: int >= 1, number of evaluated classes (19 for Cityscapes).
        ignore_index: int, ground-truth value to skip. Defaults to `255`.

    Example:

    ```python
    cm = keras_sfnet.metrics.ConfusionMatrix(num_classes=19)
    for label, prediction in pairs:  # (H, W) train ids each
        cm.update(label, prediction)
    print(cm.mean_iou(), cm.per_class_iou())
    ```
    """

    def __init__(self, num_classes: int, ignore_index: int = 255):
        self.num_classes = check_num_classes(num_classes)
        self.ignore_index = int(ignore_index)
        self.counts = np.zeros((self.num_classes, self.num_classes + 1), np.int64)

    def reset(self) -> None:
        """Sets every count to 0."""
        self.counts[...] = 0

    def update(self, label: np.ndarray, prediction: np.ndarray) -> None:
        """Adds one (batch of) ground-truth/prediction pair(s) of class ids.

        Args:
            label: integer array of ground-truth class ids, any shape.
            prediction: integer array of predicted class ids, same shape.
        """
        label = np.asarray(label)
        prediction = np.asarray(prediction)
        if label.shape != prediction.shape:
            raise ValueError(
                "`label` and `prediction` must have the same shape. Received: "
                f"label.shape={label.shape}, prediction.shape={prediction.shape}"
            )
        label = label.reshape(-1).astype(np.int64)
        prediction = prediction.reshape(-1).astype(np.int64)
        c = self.num_classes
        valid = (label != self.ignore_index) & (label >= 0) & (label < c)
        column = np.where((prediction >= 0) & (prediction < c), prediction, c)
        index = label[valid] * (c + 1) + column[valid]
        self.counts += np.bincount(index, minlength=c * (c + 1)).reshape(c, c + 1)

    def confusion_matrix(self) -> np.ndarray:
        """The `(C, C)` matrix (out-of-range predictions left out)."""
        return self.counts[:, : self.num_classes].copy()

    def per_class_iou(self) -> np.ndarray:
        """`(C,)` float64 IoU per class, NaN for classes never seen."""
        return compute_iou(self.counts)[0]

    def mean_iou(self) -> float:
        """Mean IoU over classes that appear in ground truth or prediction."""
        return compute_iou(self.counts)[1]

    def pixel_accuracy(self) -> float:
        """Correct pixels / evaluated (non-ignored) pixels; NaN if none."""
        total = self.counts.sum()
        if total == 0:
            return float("nan")
        return float(np.trace(self.counts[:, : self.num_classes]) / total)
