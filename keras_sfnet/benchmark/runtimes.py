"""The runtimes the benchmark times: Keras graph/XLA, TFLite (XNNPACK), ONNX Runtime.

Each builder returns a :class:`Runtime` whose ``predict`` takes and returns NumPy
(NHWC float32 normalised images -> logits) and blocks until the result is ready.
Converted runtimes (TFLite, ONNX) are traced with the pure-TF warp, as exports are.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from keras_sfnet import ops as sf_ops

__all__ = [
    "TFLITE_QUANTIZATIONS",
    "Runtime",
    "keras_runtime",
    "onnx_runtime",
    "tflite_runtime",
]

logger = logging.getLogger(__name__)

TFLITE_QUANTIZATIONS = ("float32", "float16", "int8")


@dataclasses.dataclass
class Runtime:
    """A ready-to-time inference runtime.

    Attributes:
        name: row label, e.g. ``"tflite-int8"``.
        predict: ``images (B, H, W, 3) float32 -> logits`` as NumPy, blocking.
        note: how it was built (warp implementation, quantization, threads).

    Example:
    >>> runtime = Runtime("identity", lambda x: x)
    >>> runtime.predict(np.zeros((1, 2, 2, 3), np.float32)).shape
    (1, 2, 2, 3)
    """

    name: str
    predict: Callable[[np.ndarray], np.ndarray]
    note: str = ""


def _logits_function(model: keras.Model, jit_compile: bool = False):
    return tf.function(lambda x: model(x, training=False), jit_compile=jit_compile)


def keras_runtime(
    model: keras.Model,
    input_shape,
    *,
    jit_compile: bool = False,
    warp: str = "auto",
    name: str | None = None,
) -> Runtime:
    """The Keras model as a traced TensorFlow graph (optionally XLA-compiled).

    Args:
        model: the segmenter.
        input_shape: ``(B, H, W, 3)``: traced once for this shape.
        jit_compile: bool, compile with XLA. Defaults to False.
        warp: the flow-warp implementation traced (``"auto"``: fused kernel if
            loaded; XLA always uses the gathers). Defaults to ``"auto"``.
        name: row label. Defaults to ``"keras-xla"`` / ``"keras-graph"``.

    Example:
    >>> from keras_sfnet import SFNet
    >>> rt = keras_runtime(SFNet(num_classes=2, decoder_filters=8), (1, 32, 32, 3))
    >>> rt.predict(np.zeros((1, 32, 32, 3), np.float32)).shape
    (1, 32, 32, 2)
    """
    function = _logits_function(model, jit_compile)
    spec = tf.TensorSpec(tuple(input_shape), tf.float32)
    with sf_ops.implementation_scope(warp=warp):
        concrete = function.get_concrete_function(spec)
    fused = any(op.type.startswith("Sfnet") for op in concrete.graph.get_operations())

    def predict(x: np.ndarray) -> np.ndarray:
        return concrete(tf.constant(x)).numpy()

    label = name or ("keras-xla" if jit_compile else "keras-graph")
    note = f"warp={'fused' if fused else 'gather'}" + (", XLA" if jit_compile else "")
    return Runtime(label, predict, note)


def _tflite_bytes(model, input_shape, quantization, calibration: int) -> bytes:
    function = _logits_function(model)
    with sf_ops.implementation_scope(warp="gather", conv="plain"):
        concrete = function.get_concrete_function(tf.TensorSpec(tuple(input_shape), tf.float32))
    # No trackable object: the converter then freezes the captured variables into
    # constants (with it, they stay resource variables and XNNPACK cannot run them).
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "int8":
        rng = np.random.default_rng(0)

        def representative():
            for _ in range(calibration):
                yield [rng.normal(size=input_shape).astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
            tf.lite.OpsSet.TFLITE_BUILTINS,
        ]
    return converter.convert()


def tflite_runtime(
    model: keras.Model,
    input_shape,
    *,
    quantization: str = "float32",
    threads: int = 1,
    calibration_samples: int = 2,
) -> Runtime:
    """The model converted to TFLite and run by LiteRT with XNNPACK on ``threads``.

    Args:
        model: the segmenter.
        input_shape: ``(B, H, W, 3)``, fixed in the flatbuffer.
        quantization: ``"float32"``, ``"float16"`` (float16 weights) or ``"int8"``
            (int8 weights and activations, calibrated on random normalised images:
            representative of speed, not of accuracy). Defaults to ``"float32"``.
        threads: LiteRT interpreter threads. Defaults to 1.
        calibration_samples: int8 calibration images. Defaults to 2.

    Example:
    >>> from keras_sfnet import SFNet
    >>> rt = tflite_runtime(SFNet(num_classes=2, decoder_filters=8), (1, 32, 32, 3))
    """
    if quantization not in TFLITE_QUANTIZATIONS:
        raise ValueError(
            f"`quantization` must be one of {list(TFLITE_QUANTIZATIONS)}. "
            f"Received: quantization={quantization!r}"
        )
    from ai_edge_litert.interpreter import Interpreter

    content = _tflite_bytes(model, input_shape, quantization, calibration_samples)
    interpreter = Interpreter(model_content=content, num_threads=int(threads))
    interpreter.allocate_tensors()
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]

    def predict(x: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(input_index, x)
        interpreter.invoke()
        return interpreter.get_tensor(output_index)

    note = f"LiteRT XNNPACK, {threads} threads, {len(content) / 2**20:.1f} MiB"
    return Runtime(f"tflite-{quantization}", predict, note)


def _onnx_proto(model, input_shape):
    try:  # the package's exporter (fixes tf2onnx's align-corners resize)
        from keras_sfnet.export.onnx import convert_to_onnx
    except ImportError:
        convert_to_onnx = None
    if convert_to_onnx is not None:
        return convert_to_onnx(model, tuple(input_shape[1:3]), batch_size=int(input_shape[0]))
    import tf2onnx

    function = _logits_function(model)
    spec = tf.TensorSpec(tuple(input_shape), tf.float32, name="image")
    with sf_ops.implementation_scope(resize="matmul", warp="gather", conv="plain"):
        proto, _ = tf2onnx.convert.from_function(function, input_signature=[spec], opset=17)
    return proto


def onnx_runtime(model: keras.Model, input_shape, *, threads: int = 1) -> Runtime:
    """The model converted with tf2onnx and run by ONNX Runtime (CPU, ``threads``).

    Example:
    >>> from keras_sfnet import SFNet
    >>> rt = onnx_runtime(SFNet(num_classes=2, decoder_filters=8), (1, 32, 32, 3))
    """
    import onnxruntime as ort

    proto = _onnx_proto(model, input_shape)
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    # No spinning after a run: spinning threads would steal the cores from the
    # runtime timed next (the benchmark interleaves runtimes).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    input_name = session.get_inputs()[0].name

    def predict(x: np.ndarray) -> np.ndarray:
        return session.run(None, {input_name: x})[0]

    return Runtime("onnxruntime", predict, f"ORT {ort.__version__} CPU, {threads} threads")
