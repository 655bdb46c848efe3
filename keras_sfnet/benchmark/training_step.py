"""One training step of the Keras model: forward, loss, backward, SGD update."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

__all__ = ["keras_train_step"]


def keras_train_step(model: keras.Model, input_shape, num_classes: int) -> Callable[[], float]:
    """A callable running ``model.train_on_batch`` on a fixed random batch.

    The model is compiled as it is trained (graph mode, no XLA on CPU): the
    authors' SGD (:class:`keras_sfnet.optimizers.CoupledWeightDecaySGD`,
    momentum 0.9, weight decay 5e-4) and plain cross-entropy with ignore label 255 on
    the main logits (:class:`keras_sfnet.losses.SegmentationCrossEntropy`), the same
    loss the torch reference step uses.

    Args:
        model: the segmenter (single output).
        input_shape: ``(B, H, W, 3)``.
        num_classes: int.

    Returns:
        ``step() -> loss``.

    Example:
    >>> from keras_sfnet import SFNet
    >>> step = keras_train_step(SFNet(num_classes=2, decoder_filters=8), (2, 32, 32, 3), 2)
    >>> step() > 0
    True
    """
    from keras_sfnet.losses import SegmentationCrossEntropy
    from keras_sfnet.optimizers import CoupledWeightDecaySGD

    model.compile(
        optimizer=CoupledWeightDecaySGD(learning_rate=0.01, momentum=0.9, weight_decay=5e-4),
        loss=SegmentationCrossEntropy(ignore_index=255),
        metrics=[],  # the authors' step computes no metric (SFNet.compile adds MeanIoU by default)
        jit_compile=False,
    )
    rng = np.random.default_rng(0)
    images = rng.normal(size=tuple(input_shape)).astype(np.float32)
    labels = rng.integers(0, num_classes, size=tuple(input_shape[:3])).astype(np.int32)

    def step() -> float:
        return float(model.train_on_batch(images, labels))

    return step
