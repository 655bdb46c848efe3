"""Round trips of every export format: the artifact is reloaded in its runtime and its
numbers are compared with Keras (not just "bytes came out")."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_sfnet
from keras_sfnet.export import (
    FLOAT_SIGNATURE,
    SERVING_SIGNATURE,
    ExportParityError,
    ParityCheck,
    export_onnx,
    export_saved_model,
    export_tflite,
    onnx_operators,
    tflite_operators,
)
from keras_sfnet.layers import ImageConverter

INT8_MIN_AGREEMENT = 0.95
image_converter = ImageConverter()  # the one normaliser, as the exports use it


def _tiny_backbone() -> keras.Model:
    """Five strided convs: a P2..P5 pyramid with a few thousand weights."""
    x = inputs = keras.Input((None, None, 3))
    pyramid = {}
    for level, filters in enumerate((8, 8, 16, 16, 16), start=1):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
        if level >= 2:
            pyramid[f"P{level}"] = x
    return keras.Model(inputs, pyramid, name="tiny_backbone")


def tiny_sfnet(num_classes: int = 4, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras_sfnet.SFNet(_tiny_backbone(), num_classes=num_classes, decoder_filters=8)


def _keras(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False))


@pytest.fixture(scope="module")
def tiny():
    return tiny_sfnet()


# ---------------------------------------------------------------- SavedModel


@pytest.mark.slow  # 125 s under load 12 on 2 cores (--durations, 2026-12-01)
def test_saved_model_round_trip(tiny, tmp_path):
    path = tmp_path / "sfnet" / "1"
    report = export_saved_model(tiny, path, include_probabilities=True, include_logits=True)
    assert report.passed and report.max_rel_error < 1e-4
    loaded = tf.saved_model.load(str(path))
    serve = loaded.signatures[SERVING_SIGNATURE]
    # dynamic size: an odd size that was not part of the parity check
    images = np.random.default_rng(1).integers(0, 256, (2, 70, 90, 3), dtype=np.uint8)
    out = serve(images=tf.constant(images))
    logits = _keras(tiny, image_converter(images))
    np.testing.assert_allclose(out["logits"].numpy(), logits, atol=1e-5, rtol=1e-4)
    np.testing.assert_array_equal(out["class_ids"].numpy(), logits.argmax(-1))
    np.testing.assert_allclose(out["probabilities"].numpy().sum(-1), 1.0, atol=1e-5)
    assert out["class_ids"].dtype == tf.int32
    float_logits = loaded.signatures[FLOAT_SIGNATURE](image=image_converter(images))["logits"]
    np.testing.assert_allclose(float_logits.numpy(), logits, atol=1e-5, rtol=1e-4)


# ---------------------------------------------------------------- TFLite


def _litert(path, x):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    detail = interpreter.get_input_details()[0]
    if tuple(detail["shape"]) != x.shape:
        interpreter.resize_tensor_input(detail["index"], list(x.shape), strict=False)
    interpreter.allocate_tensors()
    interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.mark.parametrize("input_size", [(64, 96), None], ids=["fixed", "dynamic"])
def test_tflite_float32_round_trip_builtin_ops(tiny, tmp_path, input_size):
    path = tmp_path / "sfnet.tflite"
    report = export_tflite(tiny, path, input_size=input_size)
    assert report.passed and report.max_rel_error < 1e-4
    operators = tflite_operators(path)
    assert "RESIZE_BILINEAR" in operators and "GATHER" in operators
    assert not [op for op in operators if op.startswith("Flex") or op == "CUSTOM"]
    shape = (1, 64, 96, 3) if input_size else (1, 80, 56, 3)
    x = np.random.default_rng(2).normal(size=shape).astype(np.float32)
    expected = _keras(tiny, x)
    np.testing.assert_allclose(_litert(path, x), expected, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("quantization", ["float16", "dynamic"])
def test_tflite_weight_quantization(tiny, tmp_path, quantization):
    path = tmp_path / f"{quantization}.tflite"
    report = export_tflite(tiny, path, input_size=(64, 64), quantization=quantization)
    assert report.passed and report.quantization == quantization
    assert report.pixel_agreement >= 0.95
    assert os.path.getsize(path) == report.size_bytes


def _blocks(rng, n, size=64, num_classes=4):
    """Images of coloured rectangles; the label is the rectangle's colour class."""
    palette = np.array([[230, 40, 40], [40, 200, 40], [40, 40, 230], [230, 230, 60]], np.float32)
    images, labels = [], []
    for _ in range(n):
        label = np.zeros((size, size), np.int32)
        label[:] = rng.integers(num_classes)
        for _ in range(3):
            y, x = rng.integers(0, size - 24, 2)
            h, w = rng.integers(20, 40, 2)
            label[y : y + h, x : x + w] = rng.integers(num_classes)
        image = palette[label] + rng.normal(0, 20, (size, size, 3))
        images.append(np.clip(image, 0, 255).astype(np.uint8))
        labels.append(label)
    return np.stack(images), np.stack(labels)


@pytest.fixture(scope="module")
def trained_tiny():
    """A tiny SFNet trained for a few dozen steps on coloured blocks (~10 s)."""
    model = tiny_sfnet(seed=1)
    images, labels = _blocks(np.random.default_rng(0), 64)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x = image_converter(images).numpy()
    model.fit(x, labels, batch_size=8, epochs=4, verbose=0)
    return model


@pytest.mark.slow
def test_tflite_int8_trained_model_keeps_agreement(trained_tiny, tmp_path):
    io_dtype = "int8"  # integer I/O; float I/O is covered by the synthetic-calibration test
    rng = np.random.default_rng(5)
    calib_images, _ = _blocks(rng, 16)
    calibration = tf.data.Dataset.from_tensor_slices(image_converter(calib_images)).batch(4)
    eval_images, eval_labels = _blocks(rng, 8)
    # the model learnt the task: Keras itself is right on most pixels
    keras_ids = _keras(trained_tiny, image_converter(eval_images)).argmax(-1)
    assert (keras_ids == eval_labels).mean() > 0.8
    path = tmp_path / "int8.tflite"
    report = export_tflite(
        trained_tiny,
        path,
        input_size=(64, 64),
        quantization="int8",
        io_dtype=io_dtype,
        calibration_data=calibration,
        parity=ParityCheck(
            min_agreement=INT8_MIN_AGREEMENT,
            max_miou_drop=0.05,
            eval_data=list(zip(eval_images, eval_labels)),
        ),
    )
    assert report.pixel_agreement >= INT8_MIN_AGREEMENT
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    assert interpreter.get_input_details()[0]["dtype"] == np.dtype(io_dtype)
    assert "CONV_2D" in tflite_operators(path)
    assert report.size_bytes < os.path.getsize(path) * 1.01


def test_tflite_int8_default_synthetic_calibration(tiny, tmp_path):
    report = export_tflite(
        tiny,
        tmp_path / "int8.tflite",
        input_size=(64, 64),
        quantization="int8",
        num_calibration_samples=4,
        parity=ParityCheck(min_agreement=0.5, max_miou_drop=1.0),  # random weights
    )
    assert report.passed and 0.5 <= report.pixel_agreement <= 1.0


# ---------------------------------------------------------------- TFLite, odd fixed sizes


def test_gather_warp_on_a_seven_pixel_map_converts_to_builtins():
    """At a fixed size the warp's index clamp to [0, 6] (a 7-pixel map) was folded by
    the converter into an int32 tf.Relu6, which no TFLite kernel runs: 100x150 and
    224x224 exports failed. The warp now masks out-of-map corners instead."""
    from keras_sfnet.ops import flow_warp_gather

    function = tf.function(flow_warp_gather).get_concrete_function(
        tf.TensorSpec([1, 7, 7, 4]), tf.TensorSpec([1, 13, 13, 2])
    )
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    content = converter.convert()
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=content)
    interpreter.allocate_tensors()
    rng = np.random.default_rng(0)
    features = rng.normal(size=(1, 7, 7, 4)).astype(np.float32)
    flow = (rng.normal(size=(1, 13, 13, 2)) * 8).astype(np.float32)  # many samples outside
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], flow if detail["shape"][-1] == 2 else features)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    expected = flow_warp_gather(tf.constant(features), tf.constant(flow)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert (expected == 0).all(-1).mean() > 0.05  # corners outside the map were sampled


def tiny_lite(num_classes: int = 4, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras_sfnet.SFNet(
        _tiny_backbone(), num_classes=num_classes, decoder_filters=8, head="lite"
    )


@pytest.fixture(scope="module")
def tiny_lite_model():
    return tiny_lite()


# 100x150 and 97x131 have a 7-pixel stride-16 map, 224x224 a 7-pixel stride-32 map.
@pytest.mark.parametrize("input_size", [(100, 150), (97, 131), (224, 224)])
@pytest.mark.parametrize("head", ["v1", "lite"])
def test_tflite_odd_fixed_sizes_keep_parity(tiny, tiny_lite_model, tmp_path, head, input_size):
    model = tiny if head == "v1" else tiny_lite_model
    path = tmp_path / "odd.tflite"
    report = export_tflite(model, path, input_size=input_size)
    assert report.passed and report.max_rel_error < 1e-4
    x = np.random.default_rng(8).normal(size=(1, *input_size, 3)).astype(np.float32)
    expected = _keras(model, x)
    assert expected.shape[1:3] == input_size
    np.testing.assert_allclose(_litert(path, x), expected, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("quantization", ["float16", "int8"])
def test_tflite_odd_fixed_size_quantized(tiny_lite_model, tmp_path, quantization):
    report = export_tflite(
        tiny_lite_model,
        tmp_path / "odd.tflite",
        input_size=(97, 131),
        quantization=quantization,
        num_calibration_samples=4,
        parity=ParityCheck(min_agreement=0.5, max_miou_drop=1.0),  # random weights
    )
    assert report.passed and report.quantization == quantization


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sfnet_lite_stdc1", "sfnet_shufflenetv2", "sfnet_dfv1"])
@pytest.mark.parametrize("input_size", [(97, 131), (224, 224), (1080, 1920)])
def test_family_tflite_odd_fixed_sizes(tmp_path, name, input_size):
    keras.utils.set_random_seed(0)
    model = keras_sfnet.SFNet.from_name(name, num_classes=19)
    report = export_tflite(model, tmp_path / "m.tflite", input_size=input_size)
    assert report.passed and report.max_rel_error < 1e-4


def test_tflite_converter_failure_is_one_line_naming_the_size(tiny, tmp_path, monkeypatch, capsys):
    """A converter failure that remains: one `error:` line with the size and the
    workaround from the CLI; the converter's dump only with --debug."""
    from tensorflow.lite.python.convert_phase import ConverterError

    from keras_sfnet.export import TFLiteConversionError
    from keras_sfnet.export import tflite as tflite_module
    from keras_sfnet_cli import export as cli

    dump = "\n".join(
        ["Could not translate MLIR to FlatBuffer.", *[f"loc(line {i}): note" for i in range(50)]]
        + ["model.py:1:1: error: 'tf.Foo' op is neither a custom op nor a flex op"]
    )

    def failing(*args):
        raise ConverterError(dump)

    monkeypatch.setattr(tflite_module, "_convert", failing)
    with pytest.raises(TFLiteConversionError, match=r"input_size=\(100, 150\)") as info:
        export_tflite(tiny, tmp_path / "x.tflite", input_size=(100, 150))
    assert isinstance(info.value.__cause__, ConverterError)
    keras_path = tmp_path / "tiny.keras"
    tiny.save(keras_path)
    args = ["--model", str(keras_path), "--format", "tflite", "--output", str(tmp_path / "x")]
    capsys.readouterr()
    assert cli.main([*args, "--input-size", "100", "150"]) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: The TFLite converter failed at `--input-size 100 150`")
    assert "'tf.Foo' op is neither" in lines[0] and "--debug" in lines[0]
    assert "loc(" not in lines[0]
    with pytest.raises(TFLiteConversionError):
        cli.main([*args, "--input-size", "100", "150", "--debug"])
    assert not list(tmp_path.glob("x*"))


# ---------------------------------------------------------------- ONNX


def test_onnx_align_corners_resize_sizes_exact(tmp_path):
    """tf2onnx 1.17 makes a static 9x13 -> 37x53 align-corners resize 37x52."""
    import onnxruntime as ort

    from keras_sfnet.export.onnx import _resize_handler
    from keras_sfnet.ops import resize_align_corners

    x = np.random.default_rng(0).random((1, 9, 13, 5), dtype=np.float32)
    function = tf.function(lambda t: resize_align_corners(t, (37, 53)))
    expected = function(x).numpy()
    import tf2onnx

    proto, _ = tf2onnx.convert.from_function(
        function,
        input_signature=[tf.TensorSpec([1, 9, 13, 5])],
        opset=17,
        custom_op_handlers={"ResizeBilinear": (_resize_handler, [])},
    )
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    out = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert out.shape == (1, 37, 53, 5)
    np.testing.assert_allclose(out, expected, atol=2e-6)


def _ort(path, x):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["logits"], {"image": x})[0]


def _uint8_images(shape, seed):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_tflite_with_preprocessing_takes_uint8_images(tiny, tmp_path):
    path = tmp_path / "uint8.tflite"
    bgr = ImageConverter(bgr=True)
    report = export_tflite(
        tiny, path, input_size=(64, 96), include_preprocessing=True, preprocessor=bgr
    )
    assert report.passed and report.max_rel_error < 1e-4
    from ai_edge_litert.interpreter import Interpreter

    detail = Interpreter(model_path=str(path)).get_input_details()[0]
    assert detail["dtype"] == np.uint8 and tuple(detail["shape"]) == (1, 64, 96, 3)
    images = _uint8_images((1, 64, 96, 3), 11)
    expected = _keras(tiny, bgr(images))
    np.testing.assert_allclose(_litert(path, images), expected, atol=1e-4 * np.abs(expected).max())
    with pytest.raises(ValueError, match="integer I/O"):
        export_tflite(
            tiny, tmp_path / "x.tflite", quantization="int8", io_dtype="int8",
            include_preprocessing=True,
        )  # fmt: skip
    with pytest.raises(ValueError, match="only used with include_preprocessing=True"):
        export_tflite(tiny, tmp_path / "x.tflite", preprocessor=bgr)


@pytest.mark.slow  # 70 s under load 12 on 2 cores (--durations, 2026-12-01)
def test_onnx_with_preprocessing_takes_uint8_images(tiny, tmp_path):
    path = tmp_path / "uint8.onnx"
    report = export_onnx(tiny, path, include_preprocessing=True)
    assert report.passed and report.max_rel_error < 1e-4
    images = _uint8_images((2, 80, 56, 3), 12)
    expected = _keras(tiny, image_converter(images))
    np.testing.assert_allclose(_ort(path, images), expected, atol=1e-4 * np.abs(expected).max())
    with pytest.raises(Exception, match="(?i)uint8|type"):
        _ort(path, images.astype(np.float32))


def test_onnx_dynamic_round_trip(tiny, tmp_path):
    path = tmp_path / "sfnet.onnx"
    report = export_onnx(tiny, path)
    assert report.passed and report.max_rel_error < 1e-4
    assert "Resize" in onnx_operators(path) and "GridSample" not in onnx_operators(path)
    x = np.random.default_rng(3).normal(size=(2, 100, 76, 3)).astype(np.float32)
    expected = _keras(tiny, x)
    np.testing.assert_allclose(_ort(path, x), expected, atol=1e-4 * np.abs(expected).max())


@pytest.mark.slow
def test_onnx_grid_sample_warp_fixed_size(tiny, tmp_path):
    path = tmp_path / "gs.onnx"
    report = export_onnx(tiny, path, input_size=(72, 100), warp="grid_sample", resize="matmul")
    assert report.passed and report.max_rel_error < 1e-4
    operators = onnx_operators(path)
    assert "GridSample" in operators and "Resize" not in operators
    x = np.random.default_rng(4).normal(size=(1, 72, 100, 3)).astype(np.float32)
    expected = _keras(tiny, x)
    np.testing.assert_allclose(_ort(path, x), expected, atol=1e-4 * np.abs(expected).max())


# ---------------------------------------------------------------- ResNet-18 SFNet


@pytest.fixture(scope="module")
def resnet18():
    keras.utils.set_random_seed(0)
    return keras_sfnet.SFNet("resnet18", num_classes=19)


@pytest.mark.slow
def test_resnet18_tflite_and_onnx_round_trip(resnet18, tmp_path):
    x = np.random.default_rng(6).normal(size=(1, 64, 96, 3)).astype(np.float32)
    expected = _keras(resnet18, x)
    scale = np.abs(expected).max()
    tflite = export_tflite(resnet18, tmp_path / "r18.tflite", input_size=(64, 96))
    assert tflite.max_rel_error < 1e-4
    np.testing.assert_allclose(_litert(tmp_path / "r18.tflite", x), expected, atol=1e-4 * scale)
    onnx_report = export_onnx(resnet18, tmp_path / "r18.onnx", input_size=(64, 96), batch_size=1)
    assert onnx_report.max_rel_error < 1e-4
    np.testing.assert_allclose(_ort(tmp_path / "r18.onnx", x), expected, atol=1e-4 * scale)


@pytest.mark.slow
def test_resnet18_saved_model_round_trip(resnet18, tmp_path):
    report = export_saved_model(resnet18, tmp_path / "r18" / "1", input_size=(64, 96))
    assert report.max_rel_error < 1e-4
    loaded = tf.saved_model.load(str(tmp_path / "r18" / "1"))
    images = np.random.default_rng(7).integers(0, 256, (1, 64, 96, 3), dtype=np.uint8)
    ids = loaded.signatures[SERVING_SIGNATURE](images=tf.constant(images))["class_ids"]
    expected = _keras(resnet18, image_converter(images)).argmax(-1)
    assert (ids.numpy() == expected).mean() > 0.999


# ---------------------------------------------------------------- refusal


@pytest.mark.slow  # 64 s under load 12 on 2 cores (--durations, 2026-12-01)
def test_parity_failure_refuses_and_leaves_nothing(tiny, tmp_path):
    path = tmp_path / "strict.tflite"
    path.write_bytes(b"previous artifact")
    with pytest.raises(ExportParityError, match="export refused") as info:
        export_tflite(tiny, path, input_size=(64, 64), parity=ParityCheck(rtol=1e-12))
    assert not info.value.report.passed
    assert path.read_bytes() == b"previous artifact"  # not replaced by a failed one
    assert sorted(os.listdir(tmp_path)) == ["strict.tflite"]  # no staging leftovers
    with pytest.raises(ExportParityError):
        export_tflite(
            tiny, path, input_size=(64, 64), parity=ParityCheck(rtol=1e-12), keep_rejected=True
        )
    assert (tmp_path / "strict.tflite.rejected").exists()


@pytest.mark.slow
def test_onnx_export_and_concurrent_trace_keep_their_own_warp(tiny):
    """An ONNX export's GridSample choice does not leak into a trace in another thread."""
    import threading

    from keras_sfnet.export.onnx import convert_to_onnx

    def traced_ops() -> set[str]:
        fn = tf.function(lambda x: tiny(x, training=False))
        graph = fn.get_concrete_function(tf.TensorSpec([1, 64, 64, 3], tf.float32)).graph
        return {op.type for op in graph.get_operations()}

    results, errors = {"traces": []}, []
    exporting = threading.Event()

    def export():
        try:
            exporting.set()
            results["grid_sample"] = onnx_operators(
                convert_to_onnx(tiny, (64, 64), 1, warp="grid_sample")
            )
            results["gather"] = onnx_operators(convert_to_onnx(tiny, (64, 64), 1, warp="gather"))
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    thread = threading.Thread(target=export)
    thread.start()
    exporting.wait(timeout=60)
    while thread.is_alive():
        results["traces"].append(traced_ops())
    thread.join()
    assert not errors, errors
    assert "GridSample" in results["grid_sample"]
    assert "GridSample" not in results["gather"] and "Gather" in results["gather"]
    assert results["traces"]
    for operations in results["traces"]:
        # The trace's own warp: gathers, or the fused op where it is built and loaded.
        assert "EagerPyFunc" not in operations, operations
        assert {"GatherV2", "SfnetFlowWarp"} & operations, operations
