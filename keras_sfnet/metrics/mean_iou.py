"""Streaming mean IoU for semantic segmentation, Cityscapes definition (every backend)."""

import keras
from keras import ops

from keras_sfnet.metrics.confusion_matrix import check_num_classes
from keras_sfnet.ops import resize_align_corners, spatial_size


def _squeeze_channel(x, arg_name):
    rank = len(x.shape)
    if rank == 4:
        if x.shape[-1] is not None and x.shape[-1] != 1:
            raise ValueError(
                f"`{arg_name}` must have shape (batch, height, width) or "
                f"(batch, height, width, 1). Received: {arg_name}.shape={tuple(x.shape)}"
            )
        return ops.squeeze(x, axis=-1)
    if rank != 3:
        raise ValueError(
            f"`{arg_name}` must have shape (batch, height, width) or "
            f"(batch, height, width, 1). Received: {arg_name}.shape={tuple(x.shape)}"
        )
    return x


def _to_int(x):
    if "float" in keras.backend.standardize_dtype(x.dtype):
        x = ops.round(x)
    return ops.cast(x, "int32")


def _state_dtype() -> str:
    """float64 counts where the backend has float64 (JAX only with ``jax_enable_x64``)."""
    if keras.config.backend() != "jax":
        return "float64"
    import jax

    return "float64" if jax.config.jax_enable_x64 else "float32"


@keras.saving.register_keras_serializable(package="keras_sfnet")
class MeanIoU(keras.metrics.Metric):
    """Streaming mean intersection-over-union, as the Cityscapes benchmark.

    Accumulates a confusion matrix (float64 variable, rows: ground truth,
    summed across replicas; on JAX without ``jax_enable_x64`` a float32 pair whose
    compensated sum keeps counts exact far beyond float32's 2^24) and reports
    `mean_c TP_c / (TP_c + FP_c + FN_c)` over the classes that appear in the
    ground truth or the prediction, exactly as
    `cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling` does on
    train ids: ground-truth pixels equal to `ignore_index` (or outside
    `[0, num_classes)`) count nowhere; a prediction outside `[0, num_classes)`
    (e.g. 255, like a "void" label id there) is a false negative of the
    ground-truth class; classes absent from both are NaN and left out of the
    mean. Until a valid pixel is seen, the result is NaN.

    `y_pred` is either logits/probabilities `(N, h, w, num_classes)` (argmax
    is taken after a bilinear, `align_corners=True` resize to the label size
    when `(h, w)` differs) or class ids `(N, H, W)` / `(N, H, W, 1)`.
    `y_true` is class ids `(N, H, W)` or `(N, H, W, 1)`. `sample_weight`, if
    given, weights pixels and must broadcast to `(N, H, W)`. For a model with
    dict outputs (deep supervision), attach it to the main output only:
    `metrics={"logits": [MeanIoU(19)]}`.

    Args:
        num_classes: int >= 1, number of classes.
        ignore_index: int, ground-truth value to skip. Defaults to `255`.
        from_logits: `"auto"`, `True` or `False`. `"auto"` treats `y_pred` as
            logits when it is rank 4 with last dimension `num_classes > 1`,
            and as class ids otherwise.
        name: metric name. Defaults to `"mean_iou"`.
        dtype: dtype of `result()`. Defaults to `"float32"`.

    Example:

    ```python
    model.compile(
        optimizer="sgd",
        loss=keras_sfnet.losses.OHEMCrossEntropy(),
        metrics=[keras_sfnet.metrics.MeanIoU(num_classes=19)],
    )
    metric = keras_sfnet.metrics.MeanIoU(num_classes=19)
    metric.update_state(labels, logits)
    metric.result(), metric.per_class_iou(), metric.pixel_accuracy()
    ```
    """

    def __init__(
        self,
        num_classes: int,
        ignore_index: int = 255,
        from_logits: bool | str = "auto",
        name: str = "mean_iou",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype or "float32")
        self.num_classes = check_num_classes(num_classes)
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
            raise TypeError(
                f"`ignore_index` must be an integer. Received: ignore_index={ignore_index!r}"
            )
        if from_logits not in ("auto", True, False):
            raise ValueError(
                "`from_logits` must be one of ['auto', True, False]. "
                f"Received: from_logits={from_logits!r}"
            )
        self.ignore_index = ignore_index
        self.from_logits = from_logits
        self._state_dtype = _state_dtype()
        self.confusion = self.add_variable(
            shape=(self.num_classes, self.num_classes + 1),
            initializer="zeros",
            dtype=self._state_dtype,
            aggregation="sum",
            name="confusion",
        )
        # The rounding error of the float32 sum (two-sum compensation); unused in float64.
        self.confusion_error = None
        if self._state_dtype == "float32":
            self.confusion_error = self.add_variable(
                shape=(self.num_classes, self.num_classes + 1),
                initializer="zeros",
                dtype="float32",
                aggregation="sum",
                name="confusion_error",
            )

    def _is_logits(self, y_pred):
        if self.from_logits != "auto":
            return bool(self.from_logits)
        return (
            len(y_pred.shape) == 4 and y_pred.shape[-1] == self.num_classes and self.num_classes > 1
        )

    def _predicted_ids(self, y_pred, labels):
        y_pred = ops.convert_to_tensor(y_pred)
        if not self._is_logits(y_pred):
            return _to_int(_squeeze_channel(y_pred, "y_pred"))
        if len(y_pred.shape) != 4 or y_pred.shape[-1] != self.num_classes:
            raise ValueError(
                "With `from_logits=True`, `y_pred` must have shape "
                f"(batch, height, width, {self.num_classes}). "
                f"Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        logits = ops.cast(y_pred, "float32")
        logit_hw, label_hw = tuple(logits.shape[1:3]), tuple(labels.shape[1:3])
        if None in logit_hw + label_hw or logit_hw != label_hw:
            # align_corners resize to an equal size is the identity.
            logits = resize_align_corners(logits, spatial_size(ops.expand_dims(labels, -1)))
        return ops.cast(ops.argmax(logits, axis=-1), "int32")

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = _to_int(_squeeze_channel(ops.convert_to_tensor(y_true), "y_true"))
        predictions = self._predicted_ids(y_pred, labels)
        c = self.num_classes
        valid = ops.logical_and(
            ops.not_equal(labels, self.ignore_index),
            ops.logical_and(labels >= 0, labels < c),
        )
        in_range = ops.logical_and(predictions >= 0, predictions < c)
        column = ops.where(in_range, predictions, ops.full_like(predictions, c))
        index = ops.where(valid, labels * (c + 1) + column, ops.zeros_like(labels))
        dtype = self._state_dtype
        weights = ops.cast(valid, dtype)
        if sample_weight is not None:
            sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), dtype)
            if len(sample_weight.shape) == 4:
                sample_weight = ops.squeeze(sample_weight, axis=-1)
            weights = weights * ops.broadcast_to(sample_weight, ops.shape(weights))
        counts = ops.segment_sum(
            ops.reshape(weights, (-1,)),
            ops.reshape(index, (-1,)),
            num_segments=c * (c + 1),
            sorted=False,
        )
        counts = ops.reshape(counts, (c, c + 1))
        if self.confusion_error is None:
            self.confusion.assign_add(counts)
            return
        # Two-sum: total + counts == new_total + error exactly (float32 pair).
        total = ops.convert_to_tensor(self.confusion)
        new_total = total + counts
        counted = new_total - total
        error = (total - (new_total - counted)) + (counts - counted)
        self.confusion.assign(new_total)
        self.confusion_error.assign_add(error)

    def _counts(self):
        confusion = ops.convert_to_tensor(self.confusion)
        if self.confusion_error is not None:
            confusion = confusion + ops.convert_to_tensor(self.confusion_error)
        return confusion

    def per_class_iou(self):
        """`(num_classes,)` float64 tensor of IoUs; NaN for absent classes."""
        confusion = self._counts()
        square = confusion[:, : self.num_classes]
        tp = ops.diagonal(square)
        denominator = ops.sum(confusion, axis=1) + ops.sum(square, axis=0) - tp
        nan = ops.full_like(tp, float("nan"))
        return ops.where(denominator > 0, tp / ops.maximum(denominator, 1e-30), nan)

    def result(self):
        iou = self.per_class_iou()
        present = ops.logical_not(ops.isnan(iou))
        total = ops.sum(ops.where(present, iou, ops.zeros_like(iou)))
        count = ops.sum(ops.cast(present, iou.dtype))
        mean = ops.where(count > 0, total / ops.maximum(count, 1.0), ops.full_like(total, float("nan")))
        return ops.cast(mean, self.dtype)

    def pixel_accuracy(self):
        """Correct / evaluated pixels (float64 tensor); NaN before any pixel."""
        confusion = self._counts()
        correct = ops.trace(confusion[:, : self.num_classes])
        total = ops.sum(confusion)
        return ops.where(
            total > 0, correct / ops.maximum(total, 1e-30), ops.full_like(total, float("nan"))
        )

    def confusion_matrix(self):
        """`(num_classes, num_classes)` float64 counts, rows: ground truth.

        Pixels predicted outside `[0, num_classes)` are in the state's extra
        last column (`self.confusion`), not in this matrix.
        """
        return self._counts()[:, : self.num_classes]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "ignore_index": self.ignore_index,
                "from_logits": self.from_logits,
            }
        )
        return config
