"""Online hard example mining (OHEM) cross-entropy, as SFNet's authors train."""

import keras
from keras import ops

from keras_sfnet.losses import pixelwise


@keras.saving.register_keras_serializable(package="keras_sfnet")
class OHEMCrossEntropy(keras.losses.Loss):
    """Pixel-wise cross-entropy over the hardest pixels of a batch (OHEM).

    Reproduces `OhemCrossEntropy2dTensor` of the SFNet authors' `loss.py`
    (Li et al., "Semantic Flow for Fast and Accurate Scene Parsing", ECCV 2020),
    which their Cityscapes scripts use with `--ohem`. Over the whole batch
    (all images together, not per image):

    1. `p` = softmax probability of the true class at every valid pixel (label
       not `ignore_index`).
    2. If `num_valid < min_kept`, every valid pixel is kept. Otherwise, with
       `k = min_kept`, `threshold = max(kth_smallest(p), thresh)` (the authors
       replace `thresh` only when the k-th value is strictly greater, which is
       the same number), and a valid pixel is kept when `p <= threshold`
       (`<=`: ties at the threshold are kept, so more than `min_kept` pixels
       can be kept). With `num_valid == min_kept` the k-th value is the largest
       `p`, so again every valid pixel is kept.
    3. The loss is the mean cross-entropy over the kept pixels.

    Edge cases, written down because they differ from a naive reading:

    - `min_kept=0` disables mining entirely in the authors' code (the
      threshold is only applied inside `if min_kept > 0`): the loss is then
      the plain cross-entropy over all valid pixels. Reproduced here.
    - With no valid pixel, PyTorch's mean cross-entropy is `0/0 = NaN`; this
      loss returns 0 instead (and a zero gradient), so one fully-ignored crop
      does not poison training.
    - Labels outside `[0, num_classes)` other than `ignore_index` would raise
      in PyTorch (or silently index out of range on GPU); here they are
      treated as ignored. Pass train ids, not Cityscapes label ids.
    - The selection (the mask) carries no gradient, as in PyTorch.
    - The authors' default `min_kept` is 10000 in `OhemCrossEntropy2dTensor`
      but their deep-supervision criterion (`CriterionSFNet`) passes 100000;
      both are per GPU batch (2 images per GPU in the released scripts).

    If the logits' spatial size differs from the labels', they are first
    resized bilinearly with `align_corners=True` to the label size. All math
    runs in float32 whatever the logits' dtype (mixed precision safe). The loss
    is one scalar per batch, so `sample_weight` is not meaningful; do not pass
    one.

    Args:
        thresh: float, probability threshold (`0.7` in the paper).
        min_kept: int, minimum number of pixels to keep per batch. Defaults to
            `100000` (the authors' deep-supervision criterion).
        ignore_index: int, label value to ignore. Defaults to `255`.
        reduction: Keras loss reduction; the value is already a scalar, so
            this only matters for `"sum"`/`"none"` bookkeeping.
        name: optional name of the loss.

    Example:

    ```python
    loss = keras_sfnet.losses.OHEMCrossEntropy(thresh=0.7, min_kept=100000)
    model.compile(optimizer="sgd", loss=loss)
    value = loss(labels, logits)  # labels (N, H, W) ints, logits (N, h, w, C)
    ```
    """

    def __init__(
        self,
        thresh: float = 0.7,
        min_kept: int = 100000,
        ignore_index: int = 255,
        reduction: str = "sum_over_batch_size",
        name: str = "ohem_cross_entropy",
    ):
        super().__init__(name=name, reduction=reduction, dtype="float32")
        if not 0.0 <= float(thresh) <= 1.0:
            raise ValueError(f"`thresh` must be in [0, 1]. Received: thresh={thresh}")
        if isinstance(min_kept, bool) or not isinstance(min_kept, int) or min_kept < 0:
            raise ValueError(f"`min_kept` must be an integer >= 0. Received: min_kept={min_kept!r}")
        self.thresh = float(thresh)
        self.min_kept = min_kept
        self.ignore_index = pixelwise.check_ignore_index(ignore_index)

    def call(self, y_true, y_pred):
        logits, labels = pixelwise.prepare_logits_and_labels(y_true, y_pred)
        flat_logits, safe_labels, valid = pixelwise.flatten_valid(logits, labels, self.ignore_index)
        nll = -pixelwise.true_class_values(ops.log_softmax(flat_logits, axis=-1), safe_labels)
        if self.min_kept == 0:
            return pixelwise.masked_mean(nll, valid)

        prob = pixelwise.true_class_values(ops.softmax(flat_logits, axis=-1), safe_labels)
        prob = ops.stop_gradient(prob)
        # Invalid pixels get probability 2 (> any real one) so they sort last.
        # Padding with `min_kept` such values lets `top_k` use a static `k`:
        # when fewer than `min_kept` pixels are valid the k-th smallest value
        # is a pad (2.0), the threshold becomes 2.0 and every valid pixel is
        # kept, as in the authors' `num_valid < min_kept` branch.
        masked_prob = ops.where(valid, prob, ops.full_like(prob, 2.0))
        padded = ops.concatenate([masked_prob, ops.full((self.min_kept,), 2.0, "float32")], axis=0)
        smallest = -ops.top_k(-padded, k=self.min_kept, sorted=True)[0]
        kth_prob = smallest[self.min_kept - 1]
        threshold = ops.maximum(kth_prob, self.thresh)
        kept = ops.logical_and(valid, masked_prob <= threshold)
        return pixelwise.masked_mean(nll, kept)

    def get_config(self):
        return {
            **super().get_config(),
            "thresh": self.thresh,
            "min_kept": self.min_kept,
            "ignore_index": self.ignore_index,
        }
