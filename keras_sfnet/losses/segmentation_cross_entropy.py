"""Plain pixel-wise cross-entropy with an ignore label."""

import keras
from keras import ops

from keras_sfnet.losses import pixelwise


@keras.saving.register_keras_serializable(package="keras_sfnet")
class SegmentationCrossEntropy(keras.losses.Loss):
    """Cross-entropy averaged over the valid pixels of a batch.

    The same as PyTorch's `nn.CrossEntropyLoss(ignore_index=255)` on `(N, C, H, W)`
    logits, which the SFNet authors use for validation (`CrossEntropyLoss2d`):
    the mean over every pixel of the batch whose label is not `ignore_index`
    (not a mean of per-image means). Labels outside `[0, num_classes)` are
    treated as ignored; a batch with no valid pixel gives 0 (PyTorch: NaN).

    Logits `(N, h, w, C)` in any float dtype are computed on in float32 and, when
    `(h, w)` differs from the labels' size, resized bilinearly with
    `align_corners=True` to it first. Labels are `(N, H, W)` or `(N, H, W, 1)`.
    The loss is one scalar per batch; `sample_weight` is not meaningful.

    Args:
        ignore_index: int, label value to ignore. Defaults to `255`.
        reduction: Keras loss reduction (the value is already a scalar).
        name: optional name of the loss.

    Example:

    ```python
    loss = keras_sfnet.losses.SegmentationCrossEntropy(ignore_index=255)
    value = loss(labels, logits)
    ```
    """

    def __init__(
        self,
        ignore_index: int = 255,
        reduction: str = "sum_over_batch_size",
        name: str = "segmentation_cross_entropy",
    ):
        super().__init__(name=name, reduction=reduction, dtype="float32")
        self.ignore_index = pixelwise.check_ignore_index(ignore_index)

    def call(self, y_true, y_pred):
        logits, labels = pixelwise.prepare_logits_and_labels(y_true, y_pred)
        flat_logits, safe_labels, valid = pixelwise.flatten_valid(logits, labels, self.ignore_index)
        nll = -pixelwise.true_class_values(ops.log_softmax(flat_logits, axis=-1), safe_labels)
        return pixelwise.masked_mean(nll, valid)

    def get_config(self):
        config = super().get_config()
        config.update({"ignore_index": self.ignore_index})
        return config
