"""Export option errors, parity metrics, the TensorRT path and the CLI."""

from __future__ import annotations

import numpy as np
import pytest

import keras_sfnet
from keras_sfnet.export import (
    ParityCheck,
    TensorRTUnavailableError,
    export_model,
    export_onnx,
    export_tensorrt,
    export_tflite,
    mean_iou,
    tensorrt_status,
)
from keras_sfnet.export.calibration import calibration_samples
from keras_sfnet.export.parity import ExportParityError, run_parity


def _tiny_backbone():
    import keras

    x = inputs = keras.Input((None, None, 3))
    pyramid = {}
    for level, filters in enumerate((8, 8, 16, 16, 16), start=1):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
        if level >= 2:
            pyramid[f"P{level}"] = x
    return keras.Model(inputs, pyramid)


@pytest.fixture(scope="module")
def model():
    return keras_sfnet.SFNet("resnet18", num_classes=4, decoder_filters=16)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"format": "tflite", "quantization": "int4"}, "`quantization` must be one of"),
        ({"format": "coreml"}, "`format` must be one of"),
        ({"format": "onnx", "quantization": "int8"}, "supports quantization in"),
        ({"format": "saved_model", "quantization": "float16"}, "supports quantization in"),
        ({"format": "tensorrt", "quantization": "dynamic"}, "supports quantization in"),
        ({"format": "tflite", "calibration_data": [np.zeros((8, 8, 3))]}, "only used with"),
        ({"format": "tflite", "input_size": (64,)}, "`input_size` must be"),
    ],
)
def test_export_model_option_errors(model, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        export_model(model, tmp_path / "out", **kwargs)
    assert not list(tmp_path.iterdir())


def test_format_specific_option_errors(model, tmp_path):
    with pytest.raises(ValueError, match="Received: quantization='int4'"):
        export_tflite(model, tmp_path / "m.tflite", quantization="int4")
    with pytest.raises(ValueError, match="needs full integer quantization"):
        export_tflite(model, tmp_path / "m.tflite", io_dtype="int8")
    with pytest.raises(ValueError, match="`io_dtype` must be one of"):
        export_tflite(model, tmp_path / "m.tflite", quantization="int8", io_dtype="int16")
    with pytest.raises(ValueError, match="`opset` must be an integer >= 17"):
        export_onnx(model, tmp_path / "m.onnx", opset=13)
    with pytest.raises(ValueError, match="`warp` must be one of"):
        export_onnx(model, tmp_path / "m.onnx", warp="bilinear")
    with pytest.raises(ValueError, match="`resize` must be one of"):
        export_onnx(model, tmp_path / "m.onnx", resize="nearest")
    with pytest.raises(ValueError, match="`min_agreement` must be in"):
        ParityCheck(min_agreement=1.5)


def test_tensorrt_unavailable_says_what_to_do(model, tmp_path):
    status = tensorrt_status()
    if status["available"]:
        pytest.skip("TensorRT and a GPU are present")
    with pytest.raises(TensorRTUnavailableError, match="trtexec") as info:
        export_tensorrt(model, tmp_path / "m.engine", input_size=(64, 64))
    assert "TF-TRT" in str(info.value)
    with pytest.raises(ValueError, match="`precision` must be one of"):
        export_tensorrt(model, tmp_path / "m.engine", input_size=(64, 64), precision="int4")
    # Availability comes first: without TensorRT, no advice about the size.
    with pytest.raises(TensorRTUnavailableError):
        export_tensorrt(model, tmp_path / "m.engine", input_size=None)


def test_tensorrt_size_message_names_the_parameter(model, tmp_path, monkeypatch):
    from keras_sfnet.export import tensorrt as tensorrt_module

    monkeypatch.setattr(tensorrt_module, "tensorrt_status", lambda: {"available": True})
    with pytest.raises(ValueError, match=r"one size: pass `input_size=\(H, W\)`"):
        export_tensorrt(model, tmp_path / "m.engine", input_size=None)


@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["float16", "int8"])
def test_tensorrt_engine_round_trip(model, tmp_path, precision):
    status = tensorrt_status()
    if not status["available"]:
        pytest.skip(f"TensorRT path skipped: {status['reason']}")
    report = export_tensorrt(
        model,
        tmp_path / "m.engine",
        input_size=(64, 96),
        precision=precision,
        num_calibration_samples=4,
        parity=ParityCheck(min_agreement=0.5, max_miou_drop=1.0),
    )
    assert report.passed and report.size_bytes > 0


def test_mean_iou_and_run_parity_metrics():
    assert mean_iou(np.array([0, 1, 1, 255]), np.array([0, 1, 0, 3]), 2) == pytest.approx(
        (0.5 + 0.5) / 2
    )
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(3, 4)).astype(np.float32)

    def reference(x):
        return x @ weights

    def noisy(x):
        return reference(x) + 1e-3

    report = run_parity("fake", "none", reference, reference, ParityCheck(), [(32, 48)])
    assert report.max_abs_error == 0.0 and report.pixel_agreement == 1.0
    with pytest.raises(ExportParityError, match="max relative error"):
        run_parity("fake", "none", reference, noisy, ParityCheck(), [(32, 48)])

    def flipped(x):
        return -reference(x)

    with pytest.raises(ExportParityError, match="pixel agreement"):
        run_parity("fake", "int8", reference, flipped, ParityCheck(), [(32, 48)])


def test_quantised_agreement_is_measured_on_the_labelled_images():
    """The acceptance rule: with labelled images, the agreement (like the mIoU drop)
    is measured on them; random noise is reported apart, not averaged in."""
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(3, 4)).astype(np.float32)
    labelled = [
        (rng.integers(0, 256, (32, 48, 3), dtype=np.uint8), rng.integers(0, 4, (32, 48)))
        for _ in range(2)
    ]
    noise = ParityCheck().seed  # the noise image is the first sample (seed 0)
    noise_image = np.random.default_rng(noise).integers(0, 256, (32, 48, 3), dtype=np.uint8)

    def reference(x):
        return x @ weights

    def wrong_on_noise(x):
        # the class map is flipped on the noise image alone
        from keras_sfnet.layers.image_converter import ImageConverter

        is_noise = np.allclose(x, np.asarray(ImageConverter()(noise_image[None])))
        return -reference(x) if is_noise else reference(x)

    check = ParityCheck(min_agreement=0.98, num_images=0, eval_data=labelled)
    report = run_parity("fake", "int8", reference, wrong_on_noise, check, [(32, 48)])
    assert report.passed and report.agreement_samples == "labelled"
    assert report.pixel_agreement == 1.0 and report.agreement_by_kind["labelled"] == 1.0
    assert report.agreement_by_kind["random_noise"] < 0.5
    assert report.all_agreement == pytest.approx((2 + report.agreement_by_kind["random_noise"]) / 3)
    assert "on the labelled images (random noise" in report.summary()
    # without labels every sample counts, and the noise image fails the check
    with pytest.raises(ExportParityError, match="pixel agreement 0"):
        run_parity(
            "fake", "int8", reference, wrong_on_noise, ParityCheck(min_agreement=0.98, num_images=0),
            [(32, 48)],
        )  # fmt: skip
    # a float artifact is still held to every sample
    with pytest.raises(ExportParityError, match="max relative error"):
        run_parity("fake", "none", reference, wrong_on_noise, check, [(32, 48)])


def test_calibration_samples_accepts_datasets_and_pairs():
    import tensorflow as tf

    images = np.random.default_rng(0).normal(size=(5, 40, 50, 3)).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices((images, np.zeros((5, 40, 50)))).batch(2)
    samples = list(calibration_samples(dataset, (32, 48), num_samples=3)())
    assert len(samples) == 3 and samples[0][0].shape == (1, 32, 48, 3)
    synthetic = next(calibration_samples(None, (32, 64), num_samples=1)())[0]
    assert synthetic.dtype == np.float32 and abs(float(synthetic.mean())) < 3
    # uint8 images are normalised by the export's ImageConverter; `raw` keeps uint8.
    from keras_sfnet.layers import ImageConverter

    raw = np.random.default_rng(1).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    normalised = next(calibration_samples([raw], None)())[0]
    np.testing.assert_array_equal(normalised, np.asarray(ImageConverter()(raw[None])))
    assert next(calibration_samples([raw], None, raw=True)())[0].dtype == np.uint8
    inverted = next(calibration_samples([normalised[0]], None, raw=True)())[0]
    np.testing.assert_array_equal(inverted, raw[None])


def test_cli_tflite(tmp_path):
    keras_path = tmp_path / "tiny.keras"
    keras_sfnet.SFNet(_tiny_backbone(), num_classes=3, decoder_filters=8).save(keras_path)
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location(
        "export_tool", pathlib.Path(__file__).parents[1] / "tools" / "export.py"
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    output = tmp_path / "tiny.tflite"
    args = ["--model", str(keras_path), "--format", "tflite", "--output", str(output)]
    assert tool.main([*args, "--input-size", "64", "64", "--report", str(tmp_path / "r.json")]) == 0
    assert output.exists() and (tmp_path / "r.json").exists()
    import json

    with open(tmp_path / "r.json") as f:
        gpu = json.load(f)["gpu_delegate"]  # the GPU-delegate check is in the report
    assert gpu["checked"] in (True, False) and gpu["operators"].get("CONV_2D", 0) > 0
    assert gpu["checked"] or gpu["reason"]
    assert tool.main([*args, "--format", "onnx", "--quantization", "int8"]) == 2
