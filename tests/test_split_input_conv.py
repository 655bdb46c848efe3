"""`SplitInputConv2D`: wide inference convolutions as a sum over input-channel slices."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet import ops as sf_ops
from keras_sfnet.layers import ConvBNReLU, SplitInputConv2D


def _conv_ops(fn, x) -> int:
    graph = tf.function(fn).get_concrete_function(x).graph
    return sum(op.type == "Conv2D" for op in graph.get_operations())


@pytest.mark.parametrize(
    "channels, kernel, dilation, bias, splits",
    [(640, 3, 1, True, 3), (512, 3, 2, False, 2), (512, 1, 1, True, 1), (256, 3, 1, True, 1)],
)
def test_split_equals_plain_and_only_wide_spatial_kernels_split(
    channels, kernel, dilation, bias, splits
):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(2, 9, 11, channels)), tf.float32)
    layer = SplitInputConv2D(
        7, kernel, padding="same", dilation_rate=dilation, use_bias=bias, activation="relu"
    )
    layer.build(x.shape)
    if bias:
        layer.bias.assign(rng.normal(size=7))
    plain = keras.layers.Conv2D.call(layer, x)
    with sf_ops.implementation_scope(conv="split"):
        split = layer(x, training=False)
        assert _conv_ops(lambda t: layer(t, training=False), x) == splits
        assert _conv_ops(lambda t: layer(t, training=True), x) == 1  # training: one op
    np.testing.assert_allclose(split.numpy(), plain.numpy(), rtol=1e-5, atol=1e-5)
    with sf_ops.implementation_scope(conv="plain"):
        assert _conv_ops(lambda t: layer(t, training=False), x) == 1


def test_conv_bn_relu_and_models_keep_their_weights_and_config(tmp_path):
    block = ConvBNReLU(4, 3)
    x = tf.constant(np.random.default_rng(1).normal(size=(1, 5, 6, 512)), tf.float32)
    with sf_ops.implementation_scope(conv="split"):
        split = block(x, training=False)
    with sf_ops.implementation_scope(conv="plain"):
        plain = block(x, training=False)
    np.testing.assert_allclose(split.numpy(), plain.numpy(), rtol=1e-5, atol=1e-5)
    assert isinstance(block.conv, SplitInputConv2D) and len(block.conv.weights) == 1
    inputs = keras.Input((None, None, 512))
    model = keras.Model(inputs, SplitInputConv2D(3, 3, padding="same")(inputs))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.layers[-1], SplitInputConv2D)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6, atol=1e-6)


def test_scope_rejects_unknown_conv_choice():
    with pytest.raises(ValueError, match="`conv` must be one of"):
        with sf_ops.implementation_scope(conv="winograd"):
            pass
