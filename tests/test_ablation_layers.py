"""Ablation components (Tables 1(c), 2 of the SFNet paper): shapes, gradients,
`.keras` round trips, the correlation against float64 numpy, and FAM's options."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet import ops as sf_ops
from keras_sfnet.layers import (
    ASPP,
    CorrelationFlow,
    DeformableAlignment,
    DenseASPP,
    FlowAlignment,
    NonLocalBlock,
)
from keras_sfnet.layers.correlation_flow import correlation_volume


def _rng():
    return np.random.default_rng(0)


def _single(shape):
    return _rng().normal(size=shape).astype("float32")


def _pair(low=(2, 9, 7, 8), high=(2, 5, 4, 8)):
    rng = _rng()
    return [rng.normal(size=low).astype("float32"), rng.normal(size=high).astype("float32")]


CASES = {
    "aspp": (lambda: ASPP(8, rates=(1, 2)), lambda: _single((2, 9, 7, 12)), (2, 9, 7, 8)),
    "dense_aspp": (
        lambda: DenseASPP(8, rates=(1, 2), growth=4),
        lambda: _single((2, 9, 7, 12)),
        (2, 9, 7, 8),
    ),
    "non_local": (lambda: NonLocalBlock(4), lambda: _single((2, 5, 6, 12)), (2, 5, 6, 12)),
    "correlation_flow": (
        lambda: CorrelationFlow(max_displacement=2, kernel_size=3),
        lambda: _pair(high=(2, 9, 7, 8)),
        (2, 9, 7, 2),
    ),
    "deformable_v1": (lambda: DeformableAlignment(4, version=1), _pair, (2, 9, 7, 8)),
    "deformable_v2": (lambda: DeformableAlignment(4, kernel_size=3), _pair, (2, 9, 7, 8)),
    "fam_correlation_k5": (
        lambda: FlowAlignment(4, kernel_size=5, flow_estimator="correlation"),
        _pair,
        (2, 9, 7, 8),
    ),
    "fam_deconvolution": (
        lambda: FlowAlignment(4, upsampling="deconvolution"),
        _pair,
        (2, 9, 7, 8),
    ),
    "fam_nearest_k7": (
        lambda: FlowAlignment(4, kernel_size=7, upsampling="nearest"),
        _pair,
        (2, 9, 7, 8),
    ),
}


def _symbolic_inputs(x):
    if isinstance(x, list):
        return [keras.Input(shape=t.shape[1:]) for t in x]
    return keras.Input(shape=x.shape[1:])


@pytest.mark.parametrize("name", sorted(CASES))
def test_shape_config_and_keras_round_trip(name, tmp_path):
    make, data, expected = CASES[name]
    keras.utils.set_random_seed(0)
    layer = make()
    x = data()
    inputs = _symbolic_inputs(x)
    model = keras.Model(inputs, layer(inputs))
    y = model(x)
    assert tuple(y.shape) == expected
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    path = tmp_path / f"{name}.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)  # no custom_objects: registered
    np.testing.assert_allclose(np.asarray(reloaded(x)), np.asarray(y), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_reach_inputs_and_weights(name):
    make, data, _ = CASES[name]
    keras.utils.set_random_seed(0)
    layer = make()
    x = data()
    xs = [tf.constant(t) for t in (x if isinstance(x, list) else [x])]
    layer(xs if isinstance(x, list) else xs[0])
    if isinstance(layer, NonLocalBlock):  # its output BN starts at 0 (identity block)
        layer.out_bn.gamma.assign(np.ones(layer.out_bn.gamma.shape, "float32"))
    if isinstance(layer, DeformableAlignment):  # its offsets start at 0 (plain conv)
        shape = layer.offset_conv.kernel.shape
        layer.offset_conv.kernel.assign(0.1 * _rng().normal(size=shape).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(xs)
        y = layer(xs if isinstance(x, list) else xs[0], training=True)
        loss = tf.reduce_sum(tf.sin(y))
    grads = tape.gradient(loss, xs + layer.trainable_weights)
    assert all(g is not None for g in grads)
    assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads), [
        w.path for w, g in zip(layer.trainable_weights, grads[len(xs) :]) if not np.any(g)
    ]


def _numpy_correlation(first, second, d):
    first, second = first.astype(np.float64), second.astype(np.float64)
    b, h, w, c = first.shape
    out = np.zeros((b, h, w, (2 * d + 1) ** 2))
    for dy in range(-d, d + 1):
        for dx in range(-d, d + 1):
            channel = (dy + d) * (2 * d + 1) + (dx + d)
            for y in range(h):
                for x in range(w):
                    if 0 <= y + dy < h and 0 <= x + dx < w:
                        out[:, y, x, channel] = (first[:, y, x] * second[:, y + dy, x + dx]).mean(
                            -1
                        )
    return out


def _numpy_conv_same(x, kernel):
    k = kernel.shape[0]
    p = k // 2
    padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    h, w = x.shape[1:3]
    out = np.zeros(x.shape[:3] + (kernel.shape[-1],))
    for i in range(k):
        for j in range(k):
            out += padded[:, i : i + h, j : j + w] @ kernel[i, j]
    return out


def test_correlation_matches_numpy_float64():
    first, second = _pair(low=(2, 7, 6, 5), high=(2, 7, 6, 5))
    reference = _numpy_correlation(first, second, 2)
    np.testing.assert_allclose(
        np.asarray(correlation_volume(first, second, 2)), reference, rtol=1e-5, atol=1e-6
    )
    keras.utils.set_random_seed(0)
    estimator = CorrelationFlow(max_displacement=2, kernel_size=5)
    flow = np.asarray(estimator([first, second]))
    kernel = np.asarray(estimator.flow_conv.kernel, np.float64)
    features = np.concatenate([reference, second, first], axis=-1)
    np.testing.assert_allclose(flow, _numpy_conv_same(features, kernel), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel_size", [1, 3, 5, 7])
def test_fam_flow_conv_pads_symmetrically(kernel_size):
    keras.utils.set_random_seed(0)
    fam = FlowAlignment(4, kernel_size=kernel_size)
    low, high = _pair()
    fam([low, high])
    x = _single((2, 9, 7, 8))
    kernel = np.asarray(fam.flow_conv.kernel, np.float64)
    assert kernel.shape[:2] == (kernel_size, kernel_size)
    np.testing.assert_allclose(
        np.asarray(fam.flow_conv(x)), _numpy_conv_same(x, kernel), rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize("estimator", ["conv", "correlation"])
@pytest.mark.parametrize("upsampling", ["bilinear", "deconvolution", "nearest"])
@pytest.mark.parametrize("kernel_size", [1, 3, 5, 7])
def test_fam_with_zero_flow_is_align_corners_upsampling(kernel_size, upsampling, estimator):
    keras.utils.set_random_seed(0)
    fam = FlowAlignment(
        4, kernel_size=kernel_size, upsampling=upsampling, flow_estimator=estimator,
        return_flow=True,
    )  # fmt: skip
    low, high = _pair()
    fam([low, high])
    conv = fam.flow_conv.flow_conv if estimator == "correlation" else fam.flow_conv
    conv.kernel.assign(np.zeros(conv.kernel.shape, "float32"))
    warped, flow = fam([low, high])
    assert not np.any(np.asarray(flow))
    np.testing.assert_allclose(
        np.asarray(warped), np.asarray(sf_ops.resize_align_corners(high, (9, 7))), atol=1e-6
    )


def test_new_deformable_alignment_is_a_plain_conv_of_the_upsampled_map():
    keras.utils.set_random_seed(0)
    dcn = DeformableAlignment(4, kernel_size=3, version=1)
    low, high = _pair()
    aligned = np.asarray(dcn([low, high]))
    upsampled = np.asarray(sf_ops.resize_align_corners(high, (9, 7)), np.float64)
    kernel = np.asarray(dcn.deform_conv.kernel, np.float64).reshape(3, 3, 8, 8)
    np.testing.assert_allclose(aligned, _numpy_conv_same(upsampled, kernel), rtol=1e-4, atol=1e-5)


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="kernel_size"):
        FlowAlignment(kernel_size=4)
    with pytest.raises(ValueError, match="upsampling"):
        FlowAlignment(upsampling="bicubic")
    with pytest.raises(ValueError, match="flow_estimator"):
        FlowAlignment(flow_estimator="raft")
    with pytest.raises(ValueError, match="version"):
        DeformableAlignment(version=3)
    with pytest.raises(ValueError, match="same channels"):
        CorrelationFlow()([keras.ops.zeros((1, 4, 4, 2)), keras.ops.zeros((1, 4, 4, 3))])


def test_mac_counter_counts_transposed_convs():
    from keras_sfnet.benchmark.flops import count_macs

    inputs = keras.Input((8, 8, 4))
    outputs = keras.layers.Conv2DTranspose(6, 4, strides=2, padding="same", use_bias=False)(inputs)
    macs = count_macs(keras.Model(inputs, outputs), (1, 8, 8, 4))
    assert macs.conv == 8 * 8 * 4 * 4 * 4 * 6
