"""`UnbiasedBatchNormalization`: BatchNorm whose moving variance follows PyTorch."""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["UnbiasedBatchNormalization"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class UnbiasedBatchNormalization(keras.layers.BatchNormalization):
    """Batch normalisation that tracks the unbiased batch variance, as PyTorch.

    In training, the batch is normalised with the biased batch variance
    ``var = mean((x - mean(x))^2)`` over the ``n`` elements of each channel
    (batch and spatial positions), exactly as `keras.layers.BatchNormalization`.
    The moving statistics, however, are updated with the unbiased variance, as
    `torch.nn.BatchNorm2d` does and as the authors' released statistics were
    computed:

        moving_mean     = momentum * moving_mean     + (1 - momentum) * mean
        moving_variance = momentum * moving_variance + (1 - momentum) * var * n / (n - 1)

    Keras' own layer uses ``var`` in the second line, which is ``(n - 1) / n``
    times smaller: 0.5 for a 1x1 pyramid-pooling bin at batch 2. With
    ``synchronized=True`` under a `tf.distribute` strategy, ``mean``, ``var``
    and ``n`` are taken over the global batch (all replicas), as
    `torch.nn.SyncBatchNorm`. For ``n == 1`` (where PyTorch refuses to train)
    the factor is 1. Inference and batch renormalisation are unchanged.

    Args:
        **kwargs: the arguments of `keras.layers.BatchNormalization`.

    Example:
    >>> layer = UnbiasedBatchNormalization(momentum=0.9, epsilon=1e-5)
    >>> x = keras.ops.convert_to_tensor([[[[0.0]]], [[[2.0]]]])  # n = 2
    >>> _ = layer(x, training=True)
    >>> round(float(layer.moving_variance[0]), 6)  # 0.9 * 1 + 0.1 * (1.0 * 2 / 1)
    1.1
    """

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable) or self.renorm:
            return super().call(inputs, training=training, mask=mask)
        compute_dtype = keras.backend.result_type(inputs.dtype, "float32")
        x = ops.cast(inputs, compute_dtype)
        axis = self.axis % len(x.shape)
        axes = [i for i in range(len(x.shape)) if i != axis]
        if mask is None:
            mean, variance = ops.moments(x, axes=axes, synchronized=self.synchronized)
            count = ops.cast(ops.prod(ops.take(ops.shape(x), axes)), compute_dtype)
            count = self._global_count(count)
        else:
            mean, variance, count = self._masked_moments(x, mask, axes)
        bessel = count / ops.maximum(count - 1.0, 1.0)
        momentum = float(self.momentum)
        moving_mean = ops.cast(self.moving_mean, compute_dtype)
        moving_variance = ops.cast(self.moving_variance, compute_dtype)
        self.moving_mean.assign(
            ops.cast(moving_mean * momentum + mean * (1.0 - momentum), self.moving_mean.dtype)
        )
        self.moving_variance.assign(
            ops.cast(
                moving_variance * momentum + variance * bessel * (1.0 - momentum),
                self.moving_variance.dtype,
            )
        )
        outputs = ops.batch_normalization(
            x,
            mean=mean,
            variance=variance,
            axis=axis,
            offset=ops.cast(self.beta, compute_dtype) if self.center else None,
            scale=ops.cast(self.gamma, compute_dtype) if self.scale else None,
            epsilon=self.epsilon,
        )
        return ops.cast(outputs, self.compute_dtype)

    def _global_count(self, count):
        """Sums the per-replica element count when synchronised under a strategy."""
        if not self.synchronized or keras.config.backend() != "tensorflow":
            return count
        import tensorflow as tf

        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return count
        return context.all_reduce(tf.distribute.ReduceOp.SUM, count)

    def _masked_moments(self, x, mask, axes):
        """Moments and element count over the unmasked positions (per replica)."""
        if len(mask.shape) != len(x.shape) - 1:
            raise ValueError(
                "The mask must have one dimension less than the inputs. "
                f"Received: mask.shape={mask.shape}, inputs.shape={x.shape}"
            )
        weights = ops.broadcast_to(ops.cast(ops.expand_dims(mask, -1), x.dtype), ops.shape(x))
        count = ops.sum(weights, axis=axes)
        safe_count = ops.maximum(count, 1.0)
        mean = ops.sum(x * weights, axis=axes) / safe_count
        variance = ops.sum(ops.square(x - mean) * weights, axis=axes) / safe_count
        return mean, variance, count
