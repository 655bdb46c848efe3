"""Tests of keras_sfnet.inference: input conversion, evaluation modes, flows."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import keras_sfnet
from keras_sfnet.inference import (
    Segmenter,
    augmented_logits_function,
    flow_pictures,
    logits_function,
    predict_logits,
    prepare_image,
    sliding_window_boxes,
    upsample_flow,
)
from keras_sfnet.layers import ImageConverter

NUM_CLASSES = 4


@pytest.fixture(scope="module")
def model():
    keras_sfnet_model = keras_sfnet.SFNet("resnet18", num_classes=NUM_CLASSES, decoder_filters=16)
    return keras_sfnet_model


@pytest.fixture(scope="module")
def logits_fn(model):
    return logits_function(model, batch_size=4)


@pytest.fixture(scope="module")
def segmenter(model):
    return Segmenter(model)


@pytest.fixture(scope="module")
def image():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (45, 61, 3), dtype=np.uint8)


def _normalised(image):
    return np.asarray(ImageConverter()(prepare_image(image)))[None]


# -- input conversion -------------------------------------------------------------
def test_prepare_image_dtypes_and_channels(image):
    rgb = prepare_image(image)
    assert rgb.dtype == np.float32 and rgb.shape == (45, 61, 3)
    np.testing.assert_allclose(prepare_image(image[..., ::-1], bgr=True), rgb)
    np.testing.assert_array_equal(rgb, image.astype(np.float32))  # uint8 kept exactly
    np.testing.assert_allclose(prepare_image(image / 255.0), rgb, atol=1e-4)
    np.testing.assert_allclose(prepare_image(image.astype(np.uint16) * 257), rgb, atol=1e-4)
    rgba = np.concatenate([image, np.full((45, 61, 1), 7, np.uint8)], axis=-1)
    np.testing.assert_array_equal(prepare_image(rgba), rgb)
    gray = prepare_image(image[..., 0])
    assert gray.shape == (45, 61, 3)
    np.testing.assert_array_equal(gray[..., 0], gray[..., 2])
    np.testing.assert_array_equal(prepare_image(image[..., :1]), gray)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.zeros((5,), np.uint8), ValueError, "rank 2"),
        (np.zeros((1, 2, 5, 5, 3), np.uint8), ValueError, "rank 2"),
        (np.zeros((5, 5, 2), np.uint8), ValueError, "1 \\(grayscale\\), 3"),
        (np.zeros((3, 5, 5), np.uint8), ValueError, "channels-last"),
        (np.zeros((0, 5, 3), np.uint8), ValueError, "must not be empty"),
        (np.zeros((5, 5, 3), np.int64), TypeError, "dtype uint8, uint16 or float"),
        (np.full((5, 5, 3), 200.0, np.float32), ValueError, "values in \\[0, 1\\]"),
        (np.full((5, 5, 3), np.nan, np.float32), ValueError, "NaN"),
        (np.array([["a"]], dtype=object), TypeError, "numeric"),
    ],
)
def test_prepare_image_errors(bad, error, match):
    with pytest.raises(error, match=match):
        prepare_image(bad)


def test_segmenter_rejects_bad_input(segmenter):
    with pytest.raises(ValueError, match="channels"):
        segmenter.predict(np.zeros((8, 8, 2), np.uint8))
    with pytest.raises(ValueError, match="rank"):
        segmenter.predict(np.zeros((8,), np.uint8))
    with pytest.raises(TypeError, match="keras.Model"):
        Segmenter("not a model")
    with pytest.raises(ValueError, match="`average` must be one of"):
        Segmenter(segmenter.model, average="median")
    with pytest.raises(ValueError, match="`overlap` must be in"):
        Segmenter(segmenter.model, overlap=1.0)


# -- Segmenter ----------------------------------------------------------------------
def test_predict_odd_size_and_probabilities(segmenter, image):
    class_map, probabilities = segmenter.predict(image, return_probabilities=True)
    assert class_map.shape == (45, 61) and class_map.dtype == np.int32
    assert probabilities.shape == (45, 61, NUM_CLASSES) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(np.argmax(probabilities, -1), class_map)
    assert segmenter.num_classes == NUM_CLASSES


def test_bgr_input_gives_the_rgb_class_map(segmenter, image):
    rgb_map = segmenter.predict(image)
    bgr_map = segmenter.predict(np.ascontiguousarray(image[..., ::-1]), bgr=True)
    np.testing.assert_array_equal(rgb_map, bgr_map)
    np.testing.assert_allclose(
        segmenter.predict_logits(image / 255.0), segmenter.predict_logits(image), atol=1e-4
    )


def test_lists_and_batches(segmenter, image):
    other = image[:32, :40]
    maps = segmenter.predict([image, other, image])
    assert [m.shape for m in maps] == [(45, 61), (32, 40), (45, 61)]
    np.testing.assert_array_equal(maps[0], segmenter.predict(image))
    batch = segmenter.predict(np.stack([image, image]))
    assert batch.shape == (2, 45, 61)
    np.testing.assert_array_equal(batch[1], maps[2])


def test_input_size_and_padding(model, image):
    resized = Segmenter(model, input_size=(64, 64), pad_to_multiple=32)
    assert resized.predict(image).shape == (45, 61)


# -- evaluation modes -------------------------------------------------------------
def test_scale_one_without_flip_equals_whole(logits_fn, image):
    x = _normalised(image)
    whole = logits_fn(x)
    np.testing.assert_array_equal(predict_logits(logits_fn, x), whole)
    np.testing.assert_array_equal(predict_logits(logits_fn, x, scales=[1]), whole)


def test_window_at_least_image_equals_whole(logits_fn, image):
    x = _normalised(image)
    whole = logits_fn(x)
    for window in (64, (45, 61), (100, 200)):
        np.testing.assert_array_equal(predict_logits(logits_fn, x, window=window), whole)


def test_flip_averages_the_mirrored_view(logits_fn, image):
    x = _normalised(image)
    expected = 0.5 * (logits_fn(x) + logits_fn(x[:, :, ::-1])[:, :, ::-1])
    np.testing.assert_allclose(predict_logits(logits_fn, x, flip=True), expected, atol=1e-5)


def test_multiscale_flip_and_sliding_shapes(logits_fn, image):
    x = _normalised(image)
    out = predict_logits(logits_fn, x, scales=(0.5, 0.75, 1.0, 1.5), flip=True)
    assert out.shape == (1, 45, 61, NUM_CLASSES) and out.dtype == np.float32
    slid = predict_logits(logits_fn, x, window=32, overlap=0.5)
    assert slid.shape == (1, 45, 61, NUM_CLASSES)
    probs = predict_logits(logits_fn, x, scales=(0.75, 1.0), average="probabilities")
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="`scales`"):
        predict_logits(logits_fn, x, scales=())


def test_sliding_window_averages_tiles():
    """With a model that is pixel-wise, overlapping tiles give back the same map."""

    def pointwise(batch):
        return batch[..., :2] * 2.0

    x = np.random.default_rng(1).normal(size=(2, 50, 70, 3)).astype(np.float32)
    out = predict_logits(pointwise, x, window=(20, 32), overlap=0.4)
    np.testing.assert_allclose(out, pointwise(x), atol=1e-5)


def test_sliding_window_boxes_cover_the_image():
    boxes = sliding_window_boxes(100, 250, 64, overlap=1 / 3)
    covered = np.zeros((100, 250), bool)
    for top, left, bottom, right in boxes:
        assert (bottom - top, right - left) == (64, 64)
        covered[top:bottom, left:right] = True
    assert covered.all()
    assert sliding_window_boxes(30, 40, 64) == [(0, 0, 30, 40)]
    with pytest.raises(ValueError, match="`overlap`"):
        sliding_window_boxes(10, 10, 4, overlap=1.5)
    with pytest.raises(ValueError, match="`window`"):
        sliding_window_boxes(10, 10, 0)


def test_segmenter_modes_agree_with_whole(model, segmenter, image):
    whole = segmenter.predict_logits(image)
    np.testing.assert_array_equal(Segmenter(model, window=128).predict_logits(image), whole)
    tta = Segmenter(model, scales=(0.75, 1.25), flip=True, window=32, batch_size=8)
    assert tta.predict(image).shape == (45, 61)


# -- semantic flow ------------------------------------------------------------------
def test_predict_flows_and_pictures(segmenter, image):
    out = segmenter.predict_flows(image)
    assert out["class_map"].shape == (45, 61)
    np.testing.assert_array_equal(out["class_map"], segmenter.predict(image))
    assert out["flow_p2"].shape == (12, 16, 2)
    assert out["flow_p3"].shape == (6, 8, 2)
    assert out["flow_p4"].shape == (3, 4, 2)
    pictures = flow_pictures(image, out, step=8)
    assert sorted(pictures) == sorted(
        f"flow_p{level}_{kind}" for level in (2, 3, 4) for kind in ("color", "arrows")
    )
    for picture in pictures.values():
        assert picture.shape == (45, 61, 3) and picture.dtype == np.uint8
    with pytest.raises(ValueError, match="one image"):
        segmenter.predict_flows([image, image])


def test_upsample_flow_scales_vectors():
    flow = np.zeros((4, 8, 2), np.float32)
    flow[..., 0], flow[..., 1] = 1.0, -0.5
    up = upsample_flow(flow, (16, 16))
    np.testing.assert_allclose(up[..., 0], 2.0)
    np.testing.assert_allclose(up[..., 1], -2.0)


# -- compiled test-time augmentation --------------------------------------------------
def test_compiled_whole_image_is_bit_identical(model, logits_fn, image):
    x = _normalised(image)
    whole = augmented_logits_function(model)(x)
    # Exactly the model traced at this size; a dynamic-shape trace (logits_fn) may pick
    # other oneDNN kernels, hence the 1e-6 there.
    static = tf.function(lambda t: model(t, training=False))(tf.constant(x))
    np.testing.assert_array_equal(whole, static.numpy())
    np.testing.assert_allclose(whole, logits_fn(x), rtol=1e-5, atol=1e-6)
    for window in (64, (45, 61)):
        covering = augmented_logits_function(model, window=window)(x)
        np.testing.assert_array_equal(covering, whole)
    with_converter = augmented_logits_function(model, preprocessor=ImageConverter())
    # Normalising inside the graph lets TF fuse it into the first convolution.
    np.testing.assert_allclose(with_converter(prepare_image(image)[None]), whole, atol=1e-5)


def test_compiled_modes_equal_the_eager_reference(model, logits_fn, image):
    x = np.concatenate([_normalised(image), _normalised(image[::-1])])
    for mode in (
        dict(scales=(0.5, 0.75, 1.0, 1.5), flip=True),
        dict(window=32, overlap=0.5, flip=True),
        dict(scales=(0.75, 1.0), average="probabilities"),
    ):
        compiled = augmented_logits_function(model, batch_size=3, **mode)(x)
        eager = predict_logits(logits_fn, x, **mode)
        np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-5, err_msg=str(mode))


def test_compiled_function_traces_once_per_input_size(model, image):
    fn = augmented_logits_function(model, scales=(0.5, 1.0), flip=True)
    x = _normalised(image)
    fn(x)
    fn(x + 1.0)
    assert fn.function.experimental_get_tracing_count() == 1
    fn(x[:, :40, :50])
    assert fn.function.experimental_get_tracing_count() == 2
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\)"):
        fn(x[0])


def test_segmenter_takes_a_preset_converter(model, segmenter, image):
    bgr_segmenter = Segmenter(model, preprocessor=ImageConverter(bgr=True))
    assert bgr_segmenter.bgr and not Segmenter(model).bgr
    bgr_image = np.ascontiguousarray(image[..., ::-1])
    np.testing.assert_array_equal(bgr_segmenter.predict(bgr_image), segmenter.predict(image))
    with pytest.raises(TypeError, match="ImageConverter"):
        Segmenter(model, preprocessor=lambda x: x)
