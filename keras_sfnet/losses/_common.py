"""Shared tensor plumbing for the segmentation losses (private)."""

import tensorflow as tf

from keras_sfnet.ops import resize_align_corners


def _check_ignore_index(ignore_index: int) -> int:
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(
            f"`ignore_index` must be an integer. Received: ignore_index={ignore_index!r}"
        )
    return ignore_index


def prepare_logits_and_labels(y_true, y_pred):
    """Returns `(logits, labels)` as float32 `(N, H, W, C)` and int32 `(N, H, W)`.

    `y_true` may be `(N, H, W)` or `(N, H, W, 1)` in any numeric dtype. When the
    logits' spatial size differs from the labels' (or is not known statically),
    the logits are resized bilinearly with `align_corners=True` to the label
    size, as the authors upsample every output before the loss. Resizing to an
    equal size with `align_corners=True` is the identity, so an unknown static
    shape costs one no-op resize and no Python branch on tensor values.
    """
    logits = tf.convert_to_tensor(y_pred)
    if logits.shape.rank is not None and logits.shape.rank != 4:
        raise ValueError(
            "`y_pred` must be logits of shape (batch, height, width, num_classes). "
            f"Received: y_pred.shape={tuple(logits.shape)}"
        )
    logits = tf.cast(logits, tf.float32)

    labels = tf.convert_to_tensor(y_true)
    rank = labels.shape.rank
    if rank == 4:
        if labels.shape[-1] is not None and labels.shape[-1] != 1:
            raise ValueError(
                "`y_true` must have shape (batch, height, width) or "
                f"(batch, height, width, 1). Received: y_true.shape={tuple(labels.shape)}"
            )
        labels = tf.squeeze(labels, axis=-1)
    elif rank is not None and rank != 3:
        raise ValueError(
            "`y_true` must have shape (batch, height, width) or "
            f"(batch, height, width, 1). Received: y_true.shape={tuple(labels.shape)}"
        )
    if labels.dtype.is_floating:
        labels = tf.round(labels)
    labels = tf.cast(labels, tf.int32)

    static_logit_hw = logits.shape[1:3]
    static_label_hw = labels.shape[1:3]
    same_static_size = (
        static_logit_hw.is_fully_defined()
        and static_label_hw.is_fully_defined()
        and static_logit_hw == static_label_hw
    )
    if not same_static_size:
        logits = resize_align_corners(logits, tf.shape(labels)[1:3])
    return logits, labels


def flatten_valid(logits, labels, ignore_index):
    """Flattens to pixels; returns `(logits (P, C), safe_labels (P,), valid (P,))`.

    Pixels whose label is `ignore_index` or outside `[0, num_classes)` are
    invalid; their label is replaced by 0 so that gathers stay in range.
    """
    num_classes = tf.shape(logits)[-1]
    flat_logits = tf.reshape(logits, [-1, num_classes])
    flat_labels = tf.reshape(labels, [-1])
    valid = tf.logical_and(
        tf.not_equal(flat_labels, ignore_index),
        tf.logical_and(flat_labels >= 0, flat_labels < num_classes),
    )
    safe_labels = tf.where(valid, flat_labels, tf.zeros_like(flat_labels))
    return flat_logits, safe_labels, valid


def masked_mean(values, mask):
    """Mean of `values` where `mask`; 0 when the mask is empty."""
    total = tf.reduce_sum(tf.where(mask, values, tf.zeros_like(values)))
    count = tf.reduce_sum(tf.cast(mask, values.dtype))
    return tf.math.divide_no_nan(total, count)
