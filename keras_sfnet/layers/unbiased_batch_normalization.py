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
    the factor is 1. Batch renormalisation is unchanged.

    Inference on 4-D NHWC tensors runs as one ``FusedBatchNormV3`` op (same
    formula, the layer's exact epsilon), which TensorFlow's graph optimiser folds
    into the preceding convolution (and ReLU): 7-8% faster on CPU for the light
    SFNets, and the op every exporter (TFLite, ONNX) folds as well.

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
            if not self.renorm and mask is None and self._fusable(inputs):
                return self._fused_inference(inputs)
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

    def _fusable(self, inputs) -> bool:
        return (
            keras.config.backend() == "tensorflow"
            and len(inputs.shape) == 4
            and self.axis % 4 == 3
            and keras.backend.standardize_dtype(inputs.dtype) in ("float32", "float16", "bfloat16")
        )

    def _fused_inference(self, inputs):
        """Moving-statistics normalisation as one ``FusedBatchNormV3`` (NHWC)."""
        import tensorflow as tf

        channels = inputs.shape[-1]
        scale = tf.cast(self.gamma, tf.float32) if self.scale else tf.ones([channels], tf.float32)
        offset = tf.cast(self.beta, tf.float32) if self.center else tf.zeros([channels], tf.float32)
        # The raw op keeps the layer's epsilon (tf.nn.fused_batch_norm raises it to 1.001e-5).
        outputs = tf.raw_ops.FusedBatchNormV3(
            x=inputs,
            scale=scale,
            offset=offset,
            mean=tf.cast(self.moving_mean, tf.float32),
            variance=tf.cast(self.moving_variance, tf.float32),
            epsilon=float(self.epsilon),
            exponential_avg_factor=1.0,
            data_format="NHWC",
            is_training=False,
        )[0]
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
