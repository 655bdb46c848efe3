"""TensorRT engines built from the ONNX export (needs TensorRT and an NVIDIA GPU).

The engine is built with the ``tensorrt`` Python package from the same graph that
:func:`keras_sfnet.export.export_onnx` writes (the warp as ONNX ``GridSample`` by
default, a native TensorRT layer), then run on the GPU for the parity check. TF-TRT
is used instead only where the installed TensorFlow still ships it (TensorFlow 2.18
and later do not). Without either, :func:`export_tensorrt` raises a
:class:`TensorRTUnavailableError` that says what is missing and what to do.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable, Sequence

import keras
import numpy as np

from keras_sfnet.export.calibration import calibration_samples
from keras_sfnet.export.parity import ParityCheck, ParityReport, run_parity
from keras_sfnet.export.staging import staged_output
from keras_sfnet.export.tracing import check_input_size, keras_runner
from keras_sfnet.parameter_message import Parameter, ParameterMessage

__all__ = ["PRECISIONS", "TensorRTUnavailableError", "export_tensorrt", "tensorrt_status"]
from keras_sfnet.names import TENSORRT_PRECISIONS as PRECISIONS

logger = logging.getLogger(__name__)



class TensorRTUnavailableError(RuntimeError):
    """TensorRT export is impossible here (no TensorRT, no CUDA binding or no GPU)."""


def _import(name: str):
    try:
        return importlib.import_module(name)
    except Exception:  # ImportError, or a broken CUDA install raising OSError
        return None


def _cudart():
    module = _import("cuda.bindings.runtime") or _import("cuda.cudart")
    return module


def _tf_trt():
    module = _import("tensorflow.python.compiler.tensorrt.trt_convert")
    if module is None:
        return None
    try:
        return module if module.is_tensorrt_enabled() else None
    except Exception:
        return None


def tensorrt_status() -> dict:
    """What the TensorRT export can use here.

    Returns:
        dict with ``tensorrt`` (version or None), ``cuda_binding`` (bool, the
        ``cuda-python`` runtime bindings), ``gpus`` (int), ``tf_trt`` (bool) and
        ``available`` (bool) plus ``reason`` (str, why not).

    Example:
    >>> tensorrt_status()["available"]  # doctest: +SKIP
    False
    """
    trt = _import("tensorrt")
    cudart = _cudart()
    gpus = 0
    if cudart is not None:
        try:
            error, count = cudart.cudaGetDeviceCount()
            gpus = int(count) if int(error) == 0 else 0
        except Exception:
            gpus = 0
    tf_trt = _tf_trt() is not None
    missing = []
    if trt is None:
        missing.append("the `tensorrt` Python package is not installed")
    if cudart is None:
        missing.append("the CUDA runtime bindings (`cuda-python`) are not installed")
    if cudart is not None and gpus == 0:
        missing.append("no NVIDIA GPU is visible")
    available = not missing or tf_trt
    reason = ""
    if not available:
        reason = (
            "TensorRT export needs TensorRT and an NVIDIA GPU: "
            + "; ".join(missing)
            + ". TF-TRT is not available either (TensorFlow 2.18 and later no longer "
            "ship it). To get an engine: on a machine with an NVIDIA GPU, "
            "`pip install tensorrt cuda-python` and run this export again, or export "
            "ONNX here (`tools/export.py --format onnx --onnx-warp grid_sample`) and build "
            "the engine there with `trtexec --onnx=sfnet.onnx --fp16 "
            "--saveEngine=sfnet.engine`."
        )
    return {
        "tensorrt": getattr(trt, "__version__", None),
        "cuda_binding": cudart is not None,
        "gpus": gpus,
        "tf_trt": tf_trt,
        "available": available,
        "reason": reason,
    }


def _check(result):
    error = result[0] if isinstance(result, tuple) else result
    if int(error) != 0:
        raise RuntimeError(f"CUDA call failed with error {error}")
    return result[1:] if isinstance(result, tuple) and len(result) > 1 else None


class _Device:
    """A device buffer of ``nbytes`` (cuda-python runtime)."""

    def __init__(self, cudart, nbytes: int):
        self.cudart = cudart
        self.nbytes = nbytes
        (self.ptr,) = _check(cudart.cudaMalloc(nbytes))

    def upload(self, array: np.ndarray) -> None:
        kind = self.cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
        _check(self.cudart.cudaMemcpy(self.ptr, array.ctypes.data, array.nbytes, kind))

    def download(self, array: np.ndarray) -> np.ndarray:
        kind = self.cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
        _check(self.cudart.cudaMemcpy(array.ctypes.data, self.ptr, array.nbytes, kind))
        return array

    def free(self) -> None:
        self.cudart.cudaFree(self.ptr)


def _make_calibrator(trt, cudart, samples, shape, cache_path):
    class _Calibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self):
            super().__init__()
            self.iterator = iter(samples())
            self.buffer = _Device(cudart, int(np.prod(shape)) * 4)

        def get_batch_size(self):
            return shape[0]

        def get_batch(self, names):
            try:
                (batch,) = next(self.iterator)
            except StopIteration:
                return None
            self.buffer.upload(np.ascontiguousarray(batch, np.float32))
            return [int(self.buffer.ptr)]

        def read_calibration_cache(self):
            return None

        def write_calibration_cache(self, cache):
            with open(cache_path, "wb") as f:
                f.write(cache)

    return _Calibrator()


def _build_engine(onnx_bytes, precision, calibrator, workspace_gib):
    import tensorrt as trt

    trt_logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(trt_logger)
    flags = 0
    if hasattr(trt.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH"):  # TensorRT < 10
        flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, trt_logger)
    if not parser.parse(onnx_bytes):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
        raise RuntimeError(f"TensorRT could not parse the ONNX model: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_gib * (1 << 30)))
    if precision in ("float16", "int8"):
        config.set_flag(trt.BuilderFlag.FP16)
    if precision == "int8":
        config.set_flag(trt.BuilderFlag.INT8)
        config.int8_calibrator = calibrator
    engine = builder.build_serialized_network(network, config)
    if engine is None:
        raise RuntimeError("TensorRT failed to build the engine (see the TensorRT log).")
    return bytes(engine)


class _EngineRunner:
    """Runs a serialized engine (one input ``image``, one output ``logits``)."""

    def __init__(self, path: str, input_shape, output_shape):
        import tensorrt as trt

        self.cudart = _cudart()
        runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        with open(path, "rb") as f:
            self.engine = runtime.deserialize_cuda_engine(f.read())
        self.context = self.engine.create_execution_context()
        self.input = _Device(self.cudart, int(np.prod(input_shape)) * 4)
        self.output = _Device(self.cudart, int(np.prod(output_shape)) * 4)
        self.output_shape = tuple(output_shape)
        self.context.set_tensor_address("image", int(self.input.ptr))
        self.context.set_tensor_address("logits", int(self.output.ptr))
        (self.stream,) = _check(self.cudart.cudaStreamCreate())

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.input.upload(np.ascontiguousarray(x, np.float32))
        if not self.context.execute_async_v3(int(self.stream)):
            raise RuntimeError("TensorRT execution failed.")
        _check(self.cudart.cudaStreamSynchronize(self.stream))
        return self.output.download(np.empty(self.output_shape, np.float32))


def export_tensorrt(
    model: keras.Model,
    path: str | os.PathLike,
    *,
    input_size: Sequence[int],
    precision: str = "float16",
    warp: str = "grid_sample",
    calibration_data: Iterable | None = None,
    num_calibration_samples: int = 32,
    workspace_gib: float = 4.0,
    parity: ParityCheck | None = None,
    keep_rejected: bool = False,
) -> ParityReport:
    """Builds a TensorRT engine (batch 1, fixed size) and checks it on the GPU.

    Args:
        model: the Keras segmenter.
        path: the engine file to write (``.engine``/``.plan``); with TF-TRT (old
            TensorFlow only) a SavedModel directory.
        input_size: ``(height, width)``; engines are built for one size.
        precision: ``"float32"``, ``"float16"`` or ``"int8"`` (calibrated; float16
            allowed as fallback). Defaults to ``"float16"``.
        warp: ``"grid_sample"`` (TensorRT's GridSample layer) or ``"gather"``.
        calibration_data: for ``"int8"``, as in :func:`export_tflite` (None: synthetic
            street scenes).
        num_calibration_samples: int. Defaults to 32.
        workspace_gib: float, the builder's workspace. Defaults to 4.
        parity: the :class:`ParityCheck`; None for the defaults (float16 and int8
            engines are held to class agreement and mIoU drop).
        keep_rejected: bool, keep a failed engine as ``path + ".rejected"``.

    Returns:
        The passed :class:`ParityReport`.

    Raises:
        TensorRTUnavailableError: TensorRT, its CUDA bindings or a GPU is missing.
        ValueError: an unsupported option.
        ExportParityError: the engine does not match Keras (nothing is written).

    Example:
    >>> report = export_tensorrt(model, "sfnet.engine", input_size=(1024, 2048))  # doctest: +SKIP
    """
    if precision not in PRECISIONS:
        raise ValueError(
            f"`precision` must be one of {list(PRECISIONS)}. Received: precision={precision!r}"
        )
    if warp not in ("grid_sample", "gather"):
        raise ValueError(
            f"`warp` must be one of ['grid_sample', 'gather']. Received: warp={warp!r}"
        )
    if calibration_data is not None and precision != "int8":
        raise ValueError(
            "`calibration_data` is only used with precision='int8'. "
            f"Received: precision={precision!r}"
        )
    status = tensorrt_status()  # first: no other advice matters without TensorRT
    if not status["available"]:
        raise TensorRTUnavailableError(status["reason"])
    size = check_input_size(input_size)
    if size is None:
        raise ValueError(
            ParameterMessage(
                "TensorRT engines are built for one size: pass ", Parameter("input_size", "(H, W)")
            )
        )
    parity = parity or ParityCheck()
    if status["tensorrt"] is None or not status["cuda_binding"] or not status["gpus"]:
        return _export_tf_trt(model, path, size, precision, parity, keep_rejected)

    import tensorrt as trt

    from keras_sfnet.export.onnx import convert_to_onnx

    proto = convert_to_onnx(model, size, batch_size=1, warp=warp)
    shape = (1, *size, 3)
    num_classes = int(keras_runner(model)(np.zeros(shape, np.float32)).shape[-1])
    quantization = {"float32": "none", "float16": "float16", "int8": "int8"}[precision]
    with staged_output(path, keep_rejected) as staged:
        calibrator = None
        if precision == "int8":
            samples = calibration_samples(calibration_data, size, num_calibration_samples)
            calibrator = _make_calibrator(trt, _cudart(), samples, shape, staged + ".calib")
        engine = _build_engine(proto.SerializeToString(), precision, calibrator, workspace_gib)
        with open(staged, "wb") as f:
            f.write(engine)
        runner = _EngineRunner(staged, shape, (*shape[:3], num_classes))
        report = run_parity("tensorrt", quantization, keras_runner(model), runner, parity, [size])
    report.written(path)
    return report


def _export_tf_trt(model, path, size, precision, parity, keep_rejected):  # pragma: no cover
    """TF-TRT (TensorFlow < 2.18 with TensorRT): a converted SavedModel directory."""
    import tempfile

    import tensorflow as tf

    from keras_sfnet.export.saved_model import FLOAT_SIGNATURE, export_saved_model

    trt_convert = _tf_trt()
    if precision == "int8":
        raise ValueError("precision='int8' needs the `tensorrt` package, not TF-TRT.")
    mode = {
        "float32": trt_convert.TrtPrecisionMode.FP32,
        "float16": trt_convert.TrtPrecisionMode.FP16,
    }
    with tempfile.TemporaryDirectory() as source:
        source = os.path.join(source, "saved_model")
        export_saved_model(model, source, input_size=size, parity=parity)
        converter = trt_convert.TrtGraphConverterV2(
            input_saved_model_dir=source,
            input_saved_model_signature_key=FLOAT_SIGNATURE,
            precision_mode=mode[precision],
        )
        converter.convert()
        with staged_output(path, keep_rejected) as staged:
            converter.save(staged)
            function = tf.saved_model.load(staged).signatures[FLOAT_SIGNATURE]
            quantization = "none" if precision == "float32" else "float16"
            report = run_parity(
                "tf_trt",
                quantization,
                keras_runner(model),
                lambda x: function(image=tf.constant(x))["logits"].numpy(),
                parity,
                [size],
            )
    return report.written(path)
