"""Build, call, save/load and Segmenter on the current backend (keras.ops and numpy only)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import keras_sfnet
from keras_sfnet import ops as sf_ops

TINY = dict(num_classes=5, decoder_filters=16)
#: One of each decoder/backbone kind, small enough for the CPU.
FAMILY = [
    dict(backbone="resnet18", **TINY),
    dict(backbone="dfnet1", **TINY),
    dict(backbone="stdc1", head="lite", **TINY),
    dict(backbone="shufflenetv2", **TINY),
    dict(backbone="resnet18", deep_supervision=True, **TINY),
]


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _logits(out):
    return _numpy(out["logits"] if isinstance(out, dict) else out)


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "moving_variance" in w.path:
            w.assign(rng.uniform(0.5, 1.5, w.shape).astype("float32"))
        else:
            w.assign((0.1 * rng.standard_normal(w.shape)).astype("float32"))


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(1).normal(size=(1, 64, 96, 3)).astype("float32")


def test_list_models_and_from_name_build():
    names = [m.name for m in keras_sfnet.list_models()]
    assert "sfnet_lite_stdc2" in names and len(names) >= 10
    model = keras_sfnet.SFNet.from_name("sfnet_dfv1", num_classes=3)
    assert model.num_classes == 3


@pytest.mark.parametrize("kwargs", FAMILY, ids=lambda k: f"{k['backbone']}-{k.get('head', 'v1')}")
def test_family_member_builds_runs_and_round_trips(kwargs, image, tmp_path):
    model = keras_sfnet.SFNet(**kwargs)
    _randomize(model)
    out = model(image, training=False)
    logits = _logits(out)
    assert logits.shape == (1, 64, 96, 5) and np.isfinite(logits).all()
    path = tmp_path / "model.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(_logits(again(image, training=False)), logits, atol=1e-5)
    weights = tmp_path / "model.weights.h5"
    model.save_weights(weights)
    fresh = keras_sfnet.SFNet(**kwargs)
    fresh.load_weights(weights)
    np.testing.assert_allclose(_logits(fresh(image, training=False)), logits, atol=1e-5)


def test_preset_round_trip(image, tmp_path):
    model = keras_sfnet.SFNet(backbone="resnet18", **TINY)
    _randomize(model, 3)
    model.save_to_preset(tmp_path / "preset")
    again = keras_sfnet.SFNet.from_preset(tmp_path / "preset")
    np.testing.assert_allclose(
        _logits(again(image, training=False)), _logits(model(image, training=False)), atol=1e-5
    )


def test_unknown_size_model_runs_at_any_size():
    model = keras_sfnet.SFNet(backbone="resnet18", **TINY)
    for shape in [(1, 64, 64, 3), (2, 97, 131, 3)]:
        assert _logits(model(np.zeros(shape, "float32"), training=False)).shape == (
            *shape[:3],
            5,
        )


def test_segmenter_predicts_with_tta_window_and_flows(image):
    model = keras_sfnet.SFNet(backbone="resnet18", **TINY)
    _randomize(model, 5)
    rgb = np.random.default_rng(2).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    plain = keras_sfnet.Segmenter(model)
    class_map = plain.predict(rgb)
    assert class_map.shape == (64, 96) and class_map.dtype == np.int32
    logits = plain.predict_logits(rgb)
    direct = _logits(model(plain._normalised(rgb, None)[None], training=False))[0]
    np.testing.assert_allclose(logits, direct, atol=1e-5)
    tta = keras_sfnet.Segmenter(model, scales=(0.75, 1.0), flip=True)
    probabilities = tta.predict_probabilities(rgb)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)
    window = keras_sfnet.Segmenter(model, window=(48, 64), overlap=0.5)
    assert window.predict([rgb, rgb[:48]])[1].shape == (48, 96)
    flows = plain.predict_flows(rgb)
    assert flows["flow_p2"].shape == (16, 24, 2) and flows["class_map"].shape == (64, 96)


def test_primitives_against_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 7, 3)).astype("float32")
    y = _numpy(sf_ops.resize_align_corners(x, (9, 13)))

    # float64 numpy reference of align-corners bilinear resizing.
    def axis_matrix(n_out, n_in):
        m = np.zeros((n_out, n_in))
        for i in range(n_out):
            p = i * (n_in - 1) / max(n_out - 1, 1)
            lo = min(int(np.floor(p)), n_in - 1)
            hi = min(lo + 1, n_in - 1)
            m[i, lo] += 1 - (p - lo)
            m[i, hi] += p - lo
        return m

    ref = np.einsum("ih,jw,bhwc->bijc", axis_matrix(9, 5), axis_matrix(13, 7), x)
    np.testing.assert_allclose(y, ref, atol=1e-5)
    # Zero flow is an align-corners resize; adaptive pooling averages PyTorch's bins.
    warped = _numpy(sf_ops.flow_warp(x, np.zeros((2, 9, 13, 2), "float32")))
    np.testing.assert_allclose(warped, ref, atol=1e-5)
    pooled = _numpy(sf_ops.adaptive_avg_pool(x, 3))
    assert pooled.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(pooled[:, 0, 0], x[:, 0:2, 0:3].mean((1, 2)), atol=1e-6)
    np.testing.assert_allclose(pooled[:, 2, 2], x[:, 3:5, 4:7].mean((1, 2)), atol=1e-6)


def test_warp_matches_a_numpy_grid_sample():
    rng = np.random.default_rng(4)
    feats = rng.normal(size=(1, 6, 8, 2)).astype("float32")
    flow = (3 * rng.normal(size=(1, 5, 7, 2))).astype("float32")
    out = _numpy(sf_ops.flow_warp(feats, flow))
    h, w = 5, 7
    ref = np.zeros((1, h, w, 2))
    for r in range(h):
        for c in range(w):
            gx = -1 + 2 * c / (w - 1) + flow[0, r, c, 0] / w
            gy = -1 + 2 * r / (h - 1) + flow[0, r, c, 1] / h
            px, py = (gx + 1) / 2 * (8 - 1), (gy + 1) / 2 * (6 - 1)
            x0, y0 = int(np.floor(px)), int(np.floor(py))
            for yy, xx in [(y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)]:
                wgt = (1 - abs(px - xx)) * (1 - abs(py - yy))
                if 0 <= xx < 8 and 0 <= yy < 6:
                    ref[0, r, c] += wgt * feats[0, yy, xx]
    np.testing.assert_allclose(out, ref, atol=2e-5)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_with_float32_outputs(policy, image):
    keras.mixed_precision.set_global_policy(policy)
    try:
        model = keras_sfnet.SFNet(backbone="resnet18", **TINY)
        model.compile()  # mixed_float16: Keras wraps the optimizer in a LossScaleOptimizer
        if policy == "mixed_float16":
            assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        labels = np.random.default_rng(0).integers(0, 5, (1, 64, 96)).astype("int32")
        history = model.fit(image, labels, epochs=2, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        out = model(image, training=False)
        assert keras.backend.standardize_dtype(out.dtype) == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_tensorflow_only_features_say_what_to_do(backend):
    from keras_sfnet.backend_support import TensorFlowRequiredError, tensorflow_installed

    if backend == "tensorflow":
        assert callable(keras_sfnet.export.export_tflite)
        assert callable(keras_sfnet.data.load_dataset)
        return
    with pytest.raises(TensorFlowRequiredError, match=r"KERAS_BACKEND=tensorflow|pip install"):
        export = keras_sfnet.export.export_tflite  # fails here without TensorFlow
        export(None, "model.tflite")  # else here: not the TensorFlow backend
    if not tensorflow_installed():
        with pytest.raises(
            TensorFlowRequiredError, match=r"pip install 'keras_sfnet\[tensorflow\]'"
        ):
            _ = keras_sfnet.data.load_dataset
