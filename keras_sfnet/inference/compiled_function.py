"""One compiled-function wrapper for every backend (inference helpers use it)."""

from __future__ import annotations

from collections.abc import Callable

import keras

__all__ = ["compiled_function"]


def compiled_function(fn: Callable, image_signature: bool = False) -> Callable:
    """``fn`` compiled where the backend compiles Python functions of tensors.

    On TensorFlow a ``tf.function`` (with ``image_signature=True``: one trace for any
    float32 ``(N, H, W, 3)`` batch); on JAX and PyTorch ``fn`` itself, run eagerly op
    by op (the model's own layers are the same either way, so outputs are equal).

    Example:
    >>> double = compiled_function(lambda x: x * 2)
    >>> float(keras.ops.convert_to_numpy(double(keras.ops.ones((1,))))[0])
    2.0
    """
    if keras.config.backend() != "tensorflow":
        return fn
    import tensorflow as tf

    if image_signature:
        spec = [tf.TensorSpec([None, None, None, 3], tf.float32)]
        return tf.function(fn, input_signature=spec, autograph=False)
    return tf.function(fn, autograph=False)
