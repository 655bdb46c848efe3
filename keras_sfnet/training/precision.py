"""Mixed-precision policies for training: `off`, `float16`, `bfloat16`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras

from keras_sfnet.models.dtype_policy_scope import dtype_policy_scope

__all__ = ["POLICIES", "precision_policy", "wrap_loss_scale"]

POLICIES = {"off": "float32", "float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


def _policy_name(mode: str) -> str:
    key = str(mode).lower()
    if key in POLICIES.values():
        return key
    if key not in POLICIES:
        raise ValueError(
            f"`mixed_precision` must be one of {list(POLICIES)}. Received: mixed_precision={mode!r}"
        )
    return POLICIES[key]


@contextlib.contextmanager
def precision_policy(mode: str) -> Iterator[keras.DTypePolicy]:
    """Sets Keras' default dtype policy for the block, then restores the old one.

    The training-mode names of the one dtype-policy scope,
    :func:`keras_sfnet.models.dtype_policy_scope.dtype_policy_scope`.

    Build the model inside the block: layers keep the policy they were
    created with, so training and saving after the block stay mixed. Logits,
    losses and metrics of SFNet stay float32 whatever the policy.

    Args:
        mode: `"off"` (float32), `"float16"` (`mixed_float16`) or `"bfloat16"`
            (`mixed_bfloat16`); a Keras policy name is accepted too.

    Yields:
        The `keras.DTypePolicy` in force.

    Example:
    >>> with precision_policy("bfloat16"):
    ...     model = keras_sfnet.SFNet(num_classes=19)  # doctest: +SKIP
    """
    with dtype_policy_scope(_policy_name(mode)) as policy:
        yield policy


def wrap_loss_scale(optimizer: keras.optimizers.Optimizer, mode: str) -> keras.optimizers.Optimizer:
    """Wraps `optimizer` in a dynamic `LossScaleOptimizer` for float16.

    float16 gradients underflow without loss scaling; bfloat16 and float32 need
    none. Keras' `compile` would wrap a `mixed_float16` model's optimizer
    itself; doing it here makes it explicit and independent of the model's
    policy. A step whose gradients overflow is skipped (the optimizer's
    `iterations`, and so the learning-rate schedule, do not advance) and the
    scale is halved, as `torch.cuda.amp.GradScaler` does.

    Args:
        optimizer: a Keras optimizer.
        mode: `"off"`, `"float16"` or `"bfloat16"` (or a Keras policy name).

    Returns:
        `optimizer` itself, or a `keras.optimizers.LossScaleOptimizer` around it.

    Example:
    >>> opt = wrap_loss_scale(keras.optimizers.SGD(0.01), "float16")
    >>> type(opt).__name__
    'LossScaleOptimizer'
    """
    if _policy_name(mode) != "mixed_float16" or isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)
