"""Shared tensor plumbing for the segmentation losses (keras.ops: every backend)."""

import keras
from keras import ops

from keras_sfnet.ops import resize_align_corners, spatial_size


def check_ignore_index(ignore_index: int) -> int:
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(
            f"`ignore_index` must be an integer. Received: ignore_index={ignore_index!r}"
        )
    return ignore_index


def _is_floating(x) -> bool:
    return "float" in keras.backend.standardize_dtype(x.dtype)


def prepare_logits_and_labels(y_true, y_pred):
    """Returns `(logits, labels)` as float32 `(N, H, W, C)` and int32 `(N, H, W)`.

    `y_true` may be `(N, H, W)` or `(N, H, W, 1)` in any numeric dtype. When the
    logits' spatial size differs from the labels' (or is not known statically),
    the logits are resized bilinearly with `align_corners=True` to the label
    size, as the authors upsample every output before the loss. Resizing to an
    equal size with `align_corners=True` is the identity, so an unknown static
    shape costs one no-op resize and no Python branch on tensor values.
    """
    logits = ops.convert_to_tensor(y_pred)
    if len(logits.shape) != 4:
        raise ValueError(
            "`y_pred` must be logits of shape (batch, height, width, num_classes). "
            f"Received: y_pred.shape={tuple(logits.shape)}"
        )
    logits = ops.cast(logits, "float32")

    labels = ops.convert_to_tensor(y_true)
    rank = len(labels.shape)
    if rank == 4:
        if labels.shape[-1] is not None and labels.shape[-1] != 1:
            raise ValueError(
                "`y_true` must have shape (batch, height, width) or "
                f"(batch, height, width, 1). Received: y_true.shape={tuple(labels.shape)}"
            )
        labels = ops.squeeze(labels, axis=-1)
    elif rank != 3:
        raise ValueError(
            "`y_true` must have shape (batch, height, width) or "
            f"(batch, height, width, 1). Received: y_true.shape={tuple(labels.shape)}"
        )
    if _is_floating(labels):
        labels = ops.round(labels)
    labels = ops.cast(labels, "int32")

    logit_hw = tuple(logits.shape[1:3])
    label_hw = tuple(labels.shape[1:3])
    same_static_size = None not in logit_hw + label_hw and logit_hw == label_hw
    if not same_static_size:
        logits = resize_align_corners(logits, spatial_size(ops.expand_dims(labels, -1)))
    return logits, labels


def flatten_valid(logits, labels, ignore_index):
    """Flattens to pixels; returns `(logits (P, C), safe_labels (P,), valid (P,))`.

    Pixels whose label is `ignore_index` or outside `[0, num_classes)` are
    invalid; their label is replaced by 0 so that gathers stay in range.
    """
    num_classes = logits.shape[-1]
    flat_logits = ops.reshape(logits, (-1, num_classes))
    flat_labels = ops.reshape(labels, (-1,))
    valid = ops.logical_and(
        ops.not_equal(flat_labels, ignore_index),
        ops.logical_and(flat_labels >= 0, flat_labels < num_classes),
    )
    safe_labels = ops.where(valid, flat_labels, ops.zeros_like(flat_labels))
    return flat_logits, safe_labels, valid


def true_class_values(values, safe_labels):
    """``values[p, safe_labels[p]]`` for every pixel ``p`` of ``(P, C)`` values."""
    picked = ops.take_along_axis(values, ops.expand_dims(safe_labels, -1), axis=-1)
    return ops.squeeze(picked, axis=-1)


def masked_mean(values, mask):
    """Mean of `values` where `mask`; 0 when the mask is empty."""
    total = ops.sum(ops.where(mask, values, ops.zeros_like(values)))
    count = ops.sum(ops.cast(mask, values.dtype))
    return ops.divide_no_nan(total, count)
