"""`AuxiliaryHead`: the deep-supervision classifier applied to decoder levels."""

from __future__ import annotations

import keras

from keras_sfnet.layers.conv_bn_relu import ConvBNReLU

__all__ = ["AuxiliaryHead"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class AuxiliaryHead(keras.layers.Layer):
    """Deep-supervision head: 3x3 conv (bias) + BN + ReLU, dropout, 1x1 conv -> logits.

    The authors' ``dsn`` branch. Outputs logits at the input's resolution in float32.

    Args:
        num_classes: int, number of classes.
        filters: int, channels of the 3x3 conv.
        dropout: float, spatial dropout rate. Defaults to 0.1.

    Example:
    >>> head = AuxiliaryHead(19, 32)
    >>> tuple(head(keras.ops.zeros((1, 8, 8, 32))).shape)
    (1, 8, 8, 19)
    """

    def __init__(self, num_classes: int, filters: int, dropout: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.filters = filters
        self.dropout = dropout
        self.conv_bn_relu = ConvBNReLU(
            filters, 3, use_bias=True, dtype=self.dtype_policy, name="conv"
        )
        self.spatial_dropout = keras.layers.SpatialDropout2D(
            dropout, dtype=self.dtype_policy, name="dropout"
        )
        self.classifier = keras.layers.Conv2D(
            num_classes, 1, use_bias=True, dtype=self.dtype_policy, name="classifier"
        )

    def build(self, input_shape):
        self.conv_bn_relu.build(input_shape)
        self.classifier.build(tuple(input_shape[:-1]) + (self.filters,))

    def call(self, inputs, training=None):
        x = self.conv_bn_relu(inputs, training=training)
        x = self.spatial_dropout(x, training=training)
        return keras.ops.cast(self.classifier(x), "float32")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.num_classes,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_classes": self.num_classes, "filters": self.filters, "dropout": self.dropout}
        )
        return config
