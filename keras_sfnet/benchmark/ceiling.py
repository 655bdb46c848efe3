"""The machine's own matrix-multiply throughput: the ceiling a conv net can approach."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from keras_sfnet.benchmark.timing import time_function

__all__ = ["matmul_contenders", "matmul_gflops"]


def matmul_contenders(size: int = 2048, threads: int = 1) -> dict[str, tuple[Callable, float]]:
    """Float32 ``size x size`` matrix products to time: name -> (blocking call, FLOPs).

    Two implementations, because their speeds differ by up to 2-3x on the same CPU:
    TensorFlow's ``MatMul`` (``"matmul-tf"``) and a one-op TFLite ``FULLY_CONNECTED``
    run by LiteRT with XNNPACK on ``threads`` (``"matmul-xnnpack"``, skipped if LiteRT
    is missing). A product counts ``2 * size**3`` FLOPs.

    Example:
    >>> sorted(matmul_contenders(64))[0]
    'matmul-tf'
    """
    rng = np.random.default_rng(0)
    a = rng.normal(size=(size, size)).astype(np.float32)
    b = rng.normal(size=(size, size)).astype(np.float32)
    flops = 2.0 * size**3
    ta, tb = tf.constant(a), tf.constant(b)
    product = tf.function(lambda x, y: tf.matmul(x, y))
    contenders = {"matmul-tf": (lambda: product(ta, tb).numpy(), flops)}
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        return contenders
    weights = tf.constant(b)
    function = tf.function(lambda x: tf.matmul(x, weights))
    concrete = function.get_concrete_function(tf.TensorSpec((size, size), tf.float32))
    content = tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()
    interpreter = Interpreter(model_content=content, num_threads=int(threads))
    interpreter.allocate_tensors()
    index = interpreter.get_input_details()[0]["index"]
    interpreter.set_tensor(index, a)
    contenders["matmul-xnnpack"] = (interpreter.invoke, flops)
    return contenders


def matmul_gflops(size: int = 2048, repeats: int = 5, threads: int = 1) -> float:
    """Best float32 GFLOP/s among :func:`matmul_contenders` (median of ``repeats``).

    Example:
    >>> matmul_gflops(size=128, repeats=2) > 0
    True
    """
    best = 0.0
    for fn, flops in matmul_contenders(size, threads).values():
        stats = time_function(fn, warmup=2, repeats=repeats)
        best = max(best, flops / stats.median_s / 1e9)
    return best
