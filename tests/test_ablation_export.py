"""Ablation models export to TFLite (builtin ops only) and ONNX with parity."""

from __future__ import annotations

import keras
import pytest

import keras_sfnet
from keras_sfnet.export import export_onnx, export_tflite, tflite_operators

SWITCHES = {
    "fcn_aspp": {"decoder": "fcn", "context": "aspp"},
    "dcn_non_local": {"alignment": "dcn", "context": "non_local"},
    "correlation_nearest_fusion_fam": {
        "flow_estimator": "correlation",
        "fam_upsampling": "nearest",
        "final_fusion": "fam",
        "fam_levels": ["P4", "P5"],
    },
    "deconvolution_k7_dense_aspp": {
        "fam_upsampling": "deconvolution",
        "flow_kernel_size": 7,
        "context": "dense_aspp",
    },
}


def _tiny_backbone() -> keras.Model:
    x = inputs = keras.Input((None, None, 3))
    pyramid = {}
    for level, filters in enumerate((8, 8, 16, 16, 16), start=1):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
        if level >= 2:
            pyramid[f"P{level}"] = x
    return keras.Model(inputs, pyramid, name="tiny_backbone")


def _model(name):
    keras.utils.set_random_seed(0)
    return keras_sfnet.SFNet(_tiny_backbone(), num_classes=4, decoder_filters=8, **SWITCHES[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SWITCHES))
def test_tflite_parity_with_builtin_ops(name, tmp_path):
    path = tmp_path / f"{name}.tflite"
    report = export_tflite(_model(name), path, input_size=(64, 64))
    assert report.passed and report.max_rel_error < 1e-4
    operators = tflite_operators(path)
    assert not [op for op in operators if op.startswith("Flex") or op == "CUSTOM"], operators


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SWITCHES))
def test_onnx_parity(name, tmp_path):
    pytest.importorskip("onnxruntime", reason="ONNX export parity needs onnxruntime")
    pytest.importorskip("tf2onnx", reason="ONNX export needs tf2onnx")
    report = export_onnx(_model(name), tmp_path / f"{name}.onnx", input_size=(64, 64))
    assert report.passed and report.max_rel_error < 1e-4
