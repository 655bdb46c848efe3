"""Synchronised batch normalisation across replicas for an existing model."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import keras

from keras_sfnet.layers.unbiased_batch_normalization import UnbiasedBatchNormalization

logger = logging.getLogger(__name__)

__all__ = ["convert_to_sync_batchnorm", "iter_layers"]


def iter_layers(layer: keras.layers.Layer) -> Iterator[keras.layers.Layer]:
    """Yields `layer` and every layer nested in it, each once.

    Walks `Model.layers` and the layer-valued attributes (also inside lists,
    tuples and dicts) of custom layers such as `AlignedFPN`.

    Example:
    >>> names = [l.name for l in iter_layers(model)]  # doctest: +SKIP
    """
    seen: set[int] = set()
    stack = [layer]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        children = list(getattr(current, "layers", None) or [])
        values = list(vars(current).values())
        while values:
            value = values.pop()
            if isinstance(value, keras.layers.Layer):
                children.append(value)
            elif isinstance(value, (list, tuple)):
                values.extend(value)
            elif isinstance(value, dict):
                values.extend(value.values())
        stack.extend(reversed(children))


def convert_to_sync_batchnorm(model: keras.layers.Layer, synchronized: bool = True) -> int:
    """Makes every `BatchNormalization` of `model` synchronised across replicas.

    Under a `tf.distribute` strategy, a synchronised batch-norm layer computes
    the batch mean and variance over the global batch (all replicas, all
    workers: one all-reduce per layer and step) instead of each replica's
    slice, as `torch.nn.SyncBatchNorm` in the authors' multi-GPU training.
    Outside a strategy, or with one replica, nothing changes numerically.
    keras_sfnet's own layers (`UnbiasedBatchNormalization`, built by
    `keras_sfnet.layers.conv_bn_relu.batch_norm`) then also take the element
    count ``n`` of the unbiased moving-variance update over the global batch;
    plain `keras.layers.BatchNormalization` layers (e.g. in a foreign encoder)
    keep Keras' biased update, and a warning names them.
    The model is changed in place (Keras reads `synchronized` at call time);
    call this before the first `fit`/`compile` trace. TensorFlow backend only.

    Args:
        model: a Keras model or layer, e.g. `keras_sfnet.SFNet`.
        synchronized: bool, defaults to `True`; `False` converts back.

    Returns:
        The number of batch-norm layers changed.

    Example:
    >>> model = keras_sfnet.SFNet(num_classes=19)  # doctest: +SKIP
    >>> convert_to_sync_batchnorm(model)  # doctest: +SKIP
    73
    """
    if synchronized and keras.config.backend() != "tensorflow":
        raise ValueError(
            "Synchronised batch normalisation needs the TensorFlow backend. "
            f"Received: backend={keras.config.backend()!r}"
        )
    count = 0
    biased = []
    for layer in iter_layers(model):
        if (
            isinstance(layer, keras.layers.BatchNormalization)
            and layer.synchronized != synchronized
        ):
            layer.synchronized = bool(synchronized)
            count += 1
            if not isinstance(layer, UnbiasedBatchNormalization):
                biased.append(layer.name)
    if biased:
        logger.warning(
            "%d batch-norm layers are plain keras.layers.BatchNormalization and update their "
            "moving variance with the biased batch variance (PyTorch uses the unbiased one); "
            "build them with keras_sfnet.layers.UnbiasedBatchNormalization to match: %s",
            len(biased),
            ", ".join(biased[:10]) + (" ..." if len(biased) > 10 else ""),
        )
    return count
