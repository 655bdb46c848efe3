"""The machine's own matrix-multiply throughput: the ceiling a conv net can approach."""

from __future__ import annotations

import tensorflow as tf

from keras_sfnet.benchmark.timing import time_function

__all__ = ["matmul_gflops"]


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """float32 GFLOP/s of a ``size x size`` TensorFlow matmul with the current threads.

    Counts ``2 * size**3`` floating-point operations per product (the median run).

    Example:
    >>> matmul_gflops(size=128, repeats=2) > 0
    True
    """
    a = tf.random.stateless_normal([size, size], seed=[1, 2])
    b = tf.random.stateless_normal([size, size], seed=[3, 4])
    product = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)))
    stats = time_function(lambda: product(a, b).numpy(), warmup=2, repeats=repeats)
    return 2.0 * size**3 / stats.median_s / 1e9
