"""Tests for keras_sfnet.losses against float64 numpy references."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet.losses import (
    DEEP_SUPERVISION_OUTPUTS,
    OHEMCrossEntropy,
    SegmentationCrossEntropy,
    deep_supervision_losses,
    replicate_labels,
)

IGNORE = 255


def _log_softmax(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _reference_ohem(logits, labels, thresh=0.7, min_kept=100000, ignore=IGNORE):
    """Step-by-step float64 restatement of the authors' OHEM algorithm."""
    logits = np.asarray(logits, np.float64).reshape(-1, logits.shape[-1])
    labels = np.asarray(labels).reshape(-1)
    valid = labels != ignore
    safe = np.where(valid, labels, 0)
    logp = _log_softmax(logits)[np.arange(labels.size), safe]
    prob = np.where(valid, np.exp(logp), 1.0)
    num_valid = int(valid.sum())
    kept = valid.copy()
    if num_valid >= min_kept and num_valid > 0 and min_kept > 0:
        order = np.argsort(prob, kind="stable")
        kth = prob[order[min(labels.size, min_kept) - 1]]
        threshold = max(thresh, kth)  # the authors' `if kth > thresh`
        kept = valid & (prob <= threshold)
    if kept.sum() == 0:
        return 0.0, kept
    return float(-logp[kept].mean()), kept


def _resize_align_corners(x, out_h, out_w):
    """Float64 bilinear resize with align_corners=True, NHWC."""
    h, w = x.shape[1:3]
    ys = np.arange(out_h) * ((h - 1) / (out_h - 1) if out_h > 1 else 0.0)
    xs = np.arange(out_w) * ((w - 1) / (out_w - 1) if out_w > 1 else 0.0)
    y0 = np.floor(ys).astype(int)
    x0 = np.floor(xs).astype(int)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    wy = (ys - y0)[None, :, None, None]
    wx = (xs - x0)[None, None, :, None]
    top = x[:, y0][:, :, x0] * (1 - wx) + x[:, y0][:, :, x1] * wx
    bottom = x[:, y1][:, :, x0] * (1 - wx) + x[:, y1][:, :, x1] * wx
    return top * (1 - wy) + bottom * wy


def _random_batch(seed, shape=(2, 6, 7), num_classes=5, ignore_fraction=0.2, scale=2.0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=scale, size=shape + (num_classes,)).astype(np.float32)
    labels = rng.integers(0, num_classes, size=shape)
    labels[rng.random(shape) < ignore_fraction] = IGNORE
    return logits, labels


@pytest.mark.parametrize("min_kept", [0, 1, 10, 40, 67, 68, 1000])
@pytest.mark.parametrize("thresh", [0.7, 0.05])
def test_ohem_matches_reference(min_kept, thresh):
    logits, labels = _random_batch(seed=min_kept)
    expected, _ = _reference_ohem(logits, labels, thresh=thresh, min_kept=min_kept)
    loss = OHEMCrossEntropy(thresh=thresh, min_kept=min_kept)
    got = float(loss(labels, logits))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_ohem_threshold_branches_are_exercised():
    logits, labels = _random_batch(seed=3)
    num_valid = int((labels != IGNORE).sum())
    _, kept_all = _reference_ohem(logits, labels, min_kept=num_valid + 1)
    _, kept_thresh = _reference_ohem(logits, labels, thresh=0.7, min_kept=5)
    _, kept_kth = _reference_ohem(logits, labels, thresh=0.0, min_kept=10)
    assert kept_all.sum() == num_valid
    assert 5 < kept_thresh.sum() < num_valid
    assert kept_kth.sum() == 10


def test_ohem_keeps_ties_at_threshold():
    # Every pixel has the same true-class probability: `<=` keeps them all even
    # though min_kept asks for fewer.
    logits = np.zeros((1, 4, 4, 3), np.float32)
    logits[..., 0] = 3.0  # p(true=0) ~ 0.91 > thresh, so threshold = kth = p
    labels = np.zeros((1, 4, 4), np.int32)
    loss = float(OHEMCrossEntropy(thresh=0.7, min_kept=3)(labels, logits))
    expected = -_log_softmax(logits.astype(np.float64))[0, 0, 0, 0]
    np.testing.assert_allclose(loss, expected, rtol=1e-6)


def test_ohem_all_ignored_is_zero_with_zero_gradient():
    logits = tf.Variable(np.random.default_rng(0).normal(size=(1, 3, 3, 4)), dtype=tf.float32)
    labels = np.full((1, 3, 3), IGNORE)
    with tf.GradientTape() as tape:
        value = OHEMCrossEntropy(min_kept=4)(labels, logits)
    grad = tape.gradient(value, logits)
    assert float(value) == 0.0
    np.testing.assert_array_equal(grad.numpy(), 0.0)


def test_ohem_gradient_flows_only_through_kept_pixels():
    logits_np, labels = _random_batch(seed=11)
    _, kept = _reference_ohem(logits_np, labels, thresh=0.3, min_kept=8)
    logits = tf.Variable(logits_np)
    with tf.GradientTape() as tape:
        value = OHEMCrossEntropy(thresh=0.3, min_kept=8)(labels, logits)
    grad = tape.gradient(value, logits).numpy().reshape(-1, logits_np.shape[-1])
    nonzero = np.abs(grad).sum(axis=-1) > 0
    np.testing.assert_array_equal(nonzero, kept)


def test_out_of_range_labels_are_ignored():
    logits, labels = _random_batch(seed=5)
    bad = labels.copy()
    bad[labels == IGNORE] = 17  # > num_classes: treated like the ignore label
    for loss in (OHEMCrossEntropy(min_kept=10), SegmentationCrossEntropy()):
        np.testing.assert_allclose(float(loss(bad, logits)), float(loss(labels, logits)))


def test_cross_entropy_matches_reference():
    logits, labels = _random_batch(seed=7)
    valid = labels != IGNORE
    logp = _log_softmax(logits.astype(np.float64))
    expected = -np.take_along_axis(logp, np.where(valid, labels, 0)[..., None], -1)[..., 0]
    expected = expected[valid].mean()
    got = float(SegmentationCrossEntropy()(labels, logits))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # OHEM with min_kept=0 is plain cross-entropy, as in the authors' code.
    np.testing.assert_allclose(float(OHEMCrossEntropy(min_kept=0)(labels, logits)), got, rtol=1e-6)


def test_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch")
    logits, labels = _random_batch(seed=8)
    expected = torch.nn.functional.cross_entropy(
        torch.from_numpy(logits).permute(0, 3, 1, 2),
        torch.from_numpy(labels).long(),
        ignore_index=IGNORE,
    ).item()
    np.testing.assert_allclose(
        float(SegmentationCrossEntropy()(labels, logits)), expected, rtol=1e-5
    )


@pytest.mark.parametrize("loss_cls", [OHEMCrossEntropy, SegmentationCrossEntropy])
def test_logits_are_resized_with_align_corners(loss_cls):
    rng = np.random.default_rng(2)
    small = rng.normal(size=(2, 4, 5, 3)).astype(np.float32)
    labels = rng.integers(0, 3, size=(2, 7, 9))
    labels[0, 0, :4] = IGNORE
    big = _resize_align_corners(small.astype(np.float64), 7, 9)
    kwargs = {"min_kept": 20} if loss_cls is OHEMCrossEntropy else {}
    loss = loss_cls(**kwargs)
    np.testing.assert_allclose(float(loss(labels, small)), float(loss(labels, big)), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_logits_and_nhw1_labels(dtype):
    logits, labels = _random_batch(seed=4)
    low = tf.cast(logits, dtype)
    for loss in (OHEMCrossEntropy(min_kept=10), SegmentationCrossEntropy()):
        value = loss(labels[..., None].astype(np.float32), low)
        assert value.dtype == tf.float32
        reference = loss(labels, tf.cast(low, tf.float32))
        np.testing.assert_allclose(float(value), float(reference), rtol=1e-6)


def test_works_in_tf_function_with_unknown_shapes_and_xla():
    loss = OHEMCrossEntropy(min_kept=16)
    logits, labels = _random_batch(seed=9)
    expected, _ = _reference_ohem(logits, labels, min_kept=16)
    spec = (
        tf.TensorSpec([None, None, None], tf.int64),
        tf.TensorSpec([None, None, None, 5], tf.float32),
    )
    graph_fn = tf.function(lambda y, p: loss(y, p), input_signature=spec)
    np.testing.assert_allclose(float(graph_fn(labels, logits)), expected, rtol=1e-5)
    xla_fn = tf.function(lambda y, p: loss(y, p), jit_compile=True)
    np.testing.assert_allclose(float(xla_fn(labels, logits)), expected, rtol=1e-5)


@pytest.mark.parametrize("loss_cls", [OHEMCrossEntropy, SegmentationCrossEntropy])
def test_serialization_round_trip(loss_cls):
    kwargs = {"thresh": 0.6, "min_kept": 123} if loss_cls is OHEMCrossEntropy else {}
    loss = loss_cls(ignore_index=250, **kwargs)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is loss_cls
    assert restored.get_config() == loss.get_config()


def test_argument_errors():
    with pytest.raises(ValueError, match="`thresh` must be in"):
        OHEMCrossEntropy(thresh=1.5)
    with pytest.raises(
        ValueError, match=r"`min_kept` must be an integer >= 0\. Received: min_kept=-1"
    ):
        OHEMCrossEntropy(min_kept=-1)
    with pytest.raises(TypeError, match="`ignore_index` must be an integer"):
        SegmentationCrossEntropy(ignore_index=2.5)
    with pytest.raises(ValueError, match=r"`y_true` must have shape"):
        SegmentationCrossEntropy()(np.zeros((1, 2, 2, 3)), np.zeros((1, 2, 2, 3)))
    with pytest.raises(ValueError, match=r"`y_pred` must be logits"):
        SegmentationCrossEntropy()(np.zeros((1, 2, 2)), np.zeros((1, 2, 2)))


def test_deep_supervision_helpers():
    loss = OHEMCrossEntropy()
    losses, weights = deep_supervision_losses(loss, aux_weight=0.4)
    assert tuple(losses) == DEEP_SUPERVISION_OUTPUTS
    assert all(v is loss for v in losses.values())
    assert weights == {"logits": 1.0, "aux_p4": 0.4, "aux_p3": 0.4, "aux_p2": 0.4}
    x, y = replicate_labels()(1, 2)
    assert x == 1 and y == {k: 2 for k in DEEP_SUPERVISION_OUTPUTS}
    with pytest.raises(ValueError, match="`main_output` must be one of"):
        deep_supervision_losses(loss, main_output="out")


def _tiny_dict_model(num_classes=3):
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    outputs = {"logits": keras.layers.Conv2D(num_classes, 1, name="logits")(x)}
    for i, name in enumerate(DEEP_SUPERVISION_OUTPUTS[1:]):
        pooled = keras.layers.AveragePooling2D(2 ** (i + 1))(x)
        outputs[name] = keras.layers.Conv2D(num_classes, 1, name=name)(pooled)
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("policy", ["float32", "mixed_float16"])
def test_fit_with_deep_supervision(policy):
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        model = _tiny_dict_model()
        losses, weights = deep_supervision_losses(OHEMCrossEntropy(min_kept=50))
        model.compile(optimizer="sgd", loss=losses, loss_weights=weights)
        rng = np.random.default_rng(0)
        images = rng.normal(size=(4, 8, 8, 3)).astype(np.float32)
        labels = rng.integers(0, 3, size=(4, 8, 8)).astype(np.int32)
        labels[:, :2] = IGNORE
        ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(2)
        history = model.fit(ds.map(replicate_labels()), epochs=1, verbose=0, shuffle=False)
        assert np.isfinite(history.history["loss"][0])
        # The compiled loss is the weighted sum of the per-output losses.
        one_batch = tf.data.Dataset.from_tensors((images, labels)).map(replicate_labels())
        evaluated = model.evaluate(one_batch, verbose=0, return_dict=True)["loss"]
        preds = model.predict(images, verbose=0)
        loss = OHEMCrossEntropy(min_kept=50)
        total = sum(float(loss(labels, preds[k])) for k in DEEP_SUPERVISION_OUTPUTS)
        np.testing.assert_allclose(evaluated, total, rtol=1e-4)
    finally:
        keras.mixed_precision.set_dtype_policy(previous)
