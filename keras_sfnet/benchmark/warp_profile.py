"""The flow warp alone at the shapes SFNet warps, fused kernel vs pure-TF gathers."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_sfnet import ops as sf_ops
from keras_sfnet.benchmark.timing import TimingStats, interleaved_timings

__all__ = ["fam_warp_shapes", "warp_timings"]


def fam_warp_shapes(input_shape, decoder_filters: int = 128):
    """The ``(features_shape, flow_shape)`` of the three FAM warps of SFNet.

    FAMs at strides 16, 8, 4 warp the coarser map (stride 32, 16, 8; ``fpn_dim``
    channels) onto their own grid.

    Example:
    >>> fam_warp_shapes((1, 512, 1024, 3))[0]
    ((1, 16, 32, 128), (1, 32, 64, 2))
    """
    batch, height, width, _ = input_shape

    def size(n, stride):
        return -(-n // stride)

    shapes = []
    for stride in (16, 8, 4):
        high = (batch, size(height, 2 * stride), size(width, 2 * stride), decoder_filters)
        flow = (batch, size(height, stride), size(width, stride), 2)
        shapes.append((high, flow))
    return shapes


def warp_timings(
    input_shape,
    decoder_filters: int = 128,
    implementations=("gather", "fused"),
    gradient: bool = False,
    warmup: int = 2,
    repeats: int = 10,
) -> dict[str, TimingStats]:
    """Times the three FAM warps of one image batch (summed), per implementation.

    Args:
        input_shape: the model input ``(B, H, W, 3)``.
        decoder_filters: ``fpn_dim``. Defaults to 128 (ResNet-18).
        implementations: ``"gather"`` and/or ``"fused"`` (needs the loaded kernel).
        gradient: bool, time forward + backward (both inputs). Defaults to False.
        warmup: untimed calls. Defaults to 2.
        repeats: timed rounds (interleaved). Defaults to 10.

    Returns:
        implementation -> :class:`TimingStats` of the three warps together.

    Example:
    >>> stats = warp_timings((1, 64, 64, 3), 8, ("gather",), repeats=2)
    >>> stats["gather"].median_s > 0
    True
    """
    rng = np.random.default_rng(0)
    cases = [
        (
            tf.constant(rng.normal(size=high).astype(np.float32)),
            tf.constant(rng.normal(size=flow).astype(np.float32)),
        )
        for high, flow in fam_warp_shapes(input_shape, decoder_filters)
    ]

    def make(implementation):
        def body():
            outs = []
            for features, flow in cases:
                if gradient:
                    with tf.GradientTape() as tape:
                        tape.watch([features, flow])
                        y = sf_ops.flow_warp(features, flow)
                    outs.extend(tape.gradient(y, [features, flow]))
                else:
                    outs.append(sf_ops.flow_warp(features, flow))
            return [tf.reduce_sum(o) for o in outs]

        with sf_ops.implementation_scope(warp=implementation):
            concrete = tf.function(body).get_concrete_function()
        return lambda: [t.numpy() for t in concrete()]

    contenders = {name: make(name) for name in implementations}
    return interleaved_timings(contenders, warmup=warmup, repeats=repeats, batch=input_shape[0])
