"""Streaming mean IoU for semantic segmentation, Cityscapes definition."""

import keras
import tensorflow as tf

from keras_sfnet.metrics.confusion_matrix import _check_num_classes
from keras_sfnet.ops import resize_align_corners


def _squeeze_channel(x, arg_name):
    rank = x.shape.rank
    if rank == 4:
        if x.shape[-1] is not None and x.shape[-1] != 1:
            raise ValueError(
                f"`{arg_name}` must have shape (batch, height, width) or "
                f"(batch, height, width, 1). Received: {arg_name}.shape={tuple(x.shape)}"
            )
        return tf.squeeze(x, axis=-1)
    if rank is not None and rank != 3:
        raise ValueError(
            f"`{arg_name}` must have shape (batch, height, width) or "
            f"(batch, height, width, 1). Received: {arg_name}.shape={tuple(x.shape)}"
        )
    return x


def _to_int(x):
    if x.dtype.is_floating:
        x = tf.round(x)
    return tf.cast(x, tf.int32)


@keras.saving.register_keras_serializable(package="keras_sfnet")
class MeanIoU(keras.metrics.Metric):
    """Streaming mean intersection-over-union, as the Cityscapes benchmark.

    Accumulates a confusion matrix (float64 variable, rows: ground truth,
    summed across replicas) and reports
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
        self.num_classes = _check_num_classes(num_classes)
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
        self.confusion = self.add_variable(
            shape=(self.num_classes, self.num_classes + 1),
            initializer="zeros",
            dtype="float64",
            aggregation="sum",
            name="confusion",
        )

    def _is_logits(self, y_pred):
        if self.from_logits != "auto":
            return bool(self.from_logits)
        return (
            y_pred.shape.rank == 4 and y_pred.shape[-1] == self.num_classes and self.num_classes > 1
        )

    def _predicted_ids(self, y_pred, labels):
        y_pred = tf.convert_to_tensor(y_pred)
        if not self._is_logits(y_pred):
            return _to_int(_squeeze_channel(y_pred, "y_pred"))
        if y_pred.shape.rank != 4 or y_pred.shape[-1] != self.num_classes:
            raise ValueError(
                "With `from_logits=True`, `y_pred` must have shape "
                f"(batch, height, width, {self.num_classes}). "
                f"Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        logits = tf.cast(y_pred, tf.float32)
        logit_hw, label_hw = logits.shape[1:3], labels.shape[1:3]
        if not (
            logit_hw.is_fully_defined() and label_hw.is_fully_defined() and logit_hw == label_hw
        ):
            # align_corners resize to an equal size is the identity.
            logits = resize_align_corners(logits, tf.shape(labels)[1:3])
        return tf.argmax(logits, axis=-1, output_type=tf.int32)

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = _to_int(_squeeze_channel(tf.convert_to_tensor(y_true), "y_true"))
        predictions = self._predicted_ids(y_pred, labels)
        c = self.num_classes
        valid = tf.logical_and(
            tf.not_equal(labels, self.ignore_index),
            tf.logical_and(labels >= 0, labels < c),
        )
        in_range = tf.logical_and(predictions >= 0, predictions < c)
        column = tf.where(in_range, predictions, tf.fill(tf.shape(predictions), c))
        index = tf.where(valid, labels * (c + 1) + column, tf.zeros_like(labels))
        weights = tf.cast(valid, tf.float64)
        if sample_weight is not None:
            sample_weight = tf.cast(tf.convert_to_tensor(sample_weight), tf.float64)
            if sample_weight.shape.rank == 4:
                sample_weight = tf.squeeze(sample_weight, axis=-1)
            weights = weights * tf.broadcast_to(sample_weight, tf.shape(weights))
        counts = tf.math.unsorted_segment_sum(
            tf.reshape(weights, [-1]), tf.reshape(index, [-1]), c * (c + 1)
        )
        self.confusion.assign_add(tf.reshape(counts, (c, c + 1)))

    def per_class_iou(self):
        """`(num_classes,)` float64 tensor of IoUs; NaN for absent classes."""
        confusion = tf.convert_to_tensor(self.confusion)
        square = confusion[:, : self.num_classes]
        tp = tf.linalg.diag_part(square)
        denominator = tf.reduce_sum(confusion, axis=1) + tf.reduce_sum(square, axis=0) - tp
        nan = tf.fill(tf.shape(tp), tf.constant(float("nan"), tf.float64))
        return tf.where(denominator > 0, tp / tf.maximum(denominator, 1e-300), nan)

    def result(self):
        iou = self.per_class_iou()
        present = tf.logical_not(tf.math.is_nan(iou))
        total = tf.reduce_sum(tf.where(present, iou, tf.zeros_like(iou)))
        count = tf.reduce_sum(tf.cast(present, tf.float64))
        mean = tf.where(
            count > 0, total / tf.maximum(count, 1.0), tf.constant(float("nan"), tf.float64)
        )
        return tf.cast(mean, self.dtype)

    def pixel_accuracy(self):
        """Correct / evaluated pixels (float64 tensor); NaN before any pixel."""
        confusion = tf.convert_to_tensor(self.confusion)
        correct = tf.linalg.trace(confusion[:, : self.num_classes])
        total = tf.reduce_sum(confusion)
        return tf.where(
            total > 0, correct / tf.maximum(total, 1e-300), tf.constant(float("nan"), tf.float64)
        )

    def confusion_matrix(self):
        """`(num_classes, num_classes)` float64 counts, rows: ground truth.

        Pixels predicted outside `[0, num_classes)` are in the state's extra
        last column (`self.confusion`), not in this matrix.
        """
        return tf.convert_to_tensor(self.confusion)[:, : self.num_classes]

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
