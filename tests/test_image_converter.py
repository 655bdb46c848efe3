"""`ImageConverter`: the one normaliser, its serialisation and its users."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_sfnet
from keras_sfnet.layers import ImageConverter
from keras_sfnet.layers.image_converter import IMAGENET_MEAN, IMAGENET_STD


def _images(shape=(2, 5, 7, 3), seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_matches_float64_formula_and_torchvision_division():
    x = _images()
    expected = (x / 255.0 - np.asarray(IMAGENET_MEAN)) / np.asarray(IMAGENET_STD)
    out = np.asarray(ImageConverter()(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    # Bit-identical to ToTensor()'s division by 255 then Normalize, in float32.
    torch_like = (x.astype(np.float32) / np.float32(255) - np.float32(IMAGENET_MEAN)) / np.float32(
        IMAGENET_STD
    )
    np.testing.assert_array_equal(out, torch_like)
    np.testing.assert_array_equal(ImageConverter()(x.astype(np.float32)), out)


def test_bgr_scale_and_optional_statistics():
    x = _images(seed=1)
    np.testing.assert_array_equal(ImageConverter(bgr=True)(x[..., ::-1]), ImageConverter()(x))
    unit = ImageConverter(scale=1.0)(x.astype(np.float32) / 255.0)
    np.testing.assert_allclose(unit, ImageConverter()(x), atol=1e-5)
    plain = ImageConverter(scale=0.5, mean=None, std=None)(x)
    np.testing.assert_allclose(plain, x.astype(np.float32) * 0.5)
    np.testing.assert_allclose(
        ImageConverter(mean=0.5, std=0.25)(x), (x / 255.0 - 0.5) / 0.25, atol=1e-5
    )


def test_invert_round_trips_uint8():
    x = _images(seed=2)
    for converter in (ImageConverter(), ImageConverter(bgr=True)):
        np.testing.assert_array_equal(converter.invert(converter(x)), x)
    np.testing.assert_array_equal(keras_sfnet.data.denormalize_image(ImageConverter()(x)), x)


def test_serialisation_and_keras_file(tmp_path):
    converter = ImageConverter(scale=1 / 127.5, mean=(0.1, 0.2, 0.3), std=(1, 2, 3), bgr=True)
    clone = ImageConverter.from_config(converter.get_config())
    assert clone.get_config() == converter.get_config()
    inputs = keras.Input((None, None, 3), dtype="uint8")
    model = keras.Model(inputs, converter(inputs))
    path = tmp_path / "converter.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    x = _images(seed=3)
    np.testing.assert_array_equal(restored(x), model(x))


def test_stays_float32_under_mixed_precision(mixed_precision):
    assert ImageConverter()(_images()).dtype == "float32"
    assert ImageConverter(dtype="mixed_float16")(_images()).dtype == "float16"


def test_runs_inside_tf_data():
    x = _images()
    dataset = tf.data.Dataset.from_tensor_slices(x).map(ImageConverter())
    np.testing.assert_array_equal(np.stack(list(dataset.as_numpy_iterator())), ImageConverter()(x))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"scale": 0}, ValueError, "`scale` must be a positive float"),
        ({"mean": (0.1, 0.2)}, ValueError, "`mean` must be None, a float or 3"),
        ({"std": (1.0, 0.0, 1.0)}, ValueError, "`std` must be positive"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ImageConverter(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"\(\.\.\., H, W, 3\).*prepare_image"):
        ImageConverter()(np.zeros((1, 4, 4, 4), np.uint8))
    with pytest.raises(TypeError, match="uint8, integer or float"):
        ImageConverter()(np.zeros((1, 4, 4, 3), bool))


def test_one_public_home():
    assert keras_sfnet.ImageConverter is ImageConverter
    assert keras_sfnet.data.ImageConverter is ImageConverter
    assert keras_sfnet.inference.ImageConverter is ImageConverter
    for module in (keras_sfnet.data, keras_sfnet.inference):
        assert not hasattr(module, "normalize_image")
