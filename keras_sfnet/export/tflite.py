"""TFLite (LiteRT) export: float32, float16, dynamic-range and full-integer int8."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable, Sequence

import keras
import numpy as np
import tensorflow as tf

from keras_sfnet.backend_support import require_tensorflow
from keras_sfnet.export.calibration import calibration_samples
from keras_sfnet.export.parity import (
    DEFAULT_DYNAMIC_SIZES,
    ParityCheck,
    ParityReport,
    run_parity,
)
from keras_sfnet.export.staging import staged_output
from keras_sfnet.export.tracing import (
    check_input_size,
    check_preprocessor,
    image_spec,
    keras_runner,
    trace_logits,
)
from keras_sfnet.layers.image_converter import ImageConverter
from keras_sfnet.names import QUANTIZATIONS  # noqa: F401 (re-exported)
from keras_sfnet.parameter_message import Parameter, ParameterMessage

__all__ = [
    "IO_DTYPES",
    "QUANTIZATIONS",
    "TFLiteConversionError",
    "export_tflite",
    "tflite_operators",
]

logger = logging.getLogger(__name__)


#: ``float_fallback`` modes: measure and keep the sensitive ops float, or full integer.
FLOAT_FALLBACKS = ("auto", "none")
#: The calibration agreement below which ``float_fallback="auto"`` keeps ops float.
FALLBACK_AGREEMENT = 0.99
IO_DTYPES = ("float32", "int8", "uint8")


class TFLiteConversionError(ValueError):
    """The TFLite converter failed on this model at a fixed input size.

    The message is one line (the size, the converter's first error, what to try); the
    converter's own exception, with its MLIR dump, is the ``__cause__``.
    """


def tflite_operators(model: bytes | str | os.PathLike) -> list[str]:
    """The sorted operator names of a TFLite flatbuffer (builtins, ``Flex*``, custom).

    Example:
    >>> "GATHER" in tflite_operators("sfnet.tflite")  # doctest: +SKIP
    True
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kwargs = {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES}
    if isinstance(model, bytes):
        interpreter = Interpreter(model_content=model, **kwargs)
    else:
        interpreter = Interpreter(model_path=os.fspath(model), **kwargs)
    return sorted({op["op_name"] for op in interpreter._get_ops_details()})


class _LiteRTRunner:
    """Runs a .tflite file with LiteRT (XNNPACK on CPU), float or integer I/O."""

    def __init__(self, path: str):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=path)
        self.input = self.interpreter.get_input_details()[0]
        self.shape = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        it = self.interpreter
        if self.shape != x.shape:
            if tuple(self.input["shape"]) != x.shape:
                it.resize_tensor_input(self.input["index"], list(x.shape), strict=False)
            it.allocate_tensors()
            self.shape = x.shape
        dtype = self.input["dtype"]
        if dtype != np.float32 and x.dtype != dtype:
            scale, zero_point = self.input["quantization"]
            info = np.iinfo(dtype)
            x = np.clip(np.round(x / scale + zero_point), info.min, info.max).astype(dtype)
        it.set_tensor(self.input["index"], x)
        it.invoke()
        output = it.get_output_details()[0]
        y = it.get_tensor(output["index"])
        if output["dtype"] != np.float32:
            scale, zero_point = output["quantization"]
            y = (y.astype(np.float32) - zero_point) * scale
        return y


def _convert(concrete_function, quantization, io_dtype, calibration):
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete_function])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "int8":
        converter.representative_dataset = calibration
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
            tf.lite.OpsSet.TFLITE_BUILTINS,
        ]
        converter.inference_input_type = tf.as_dtype(io_dtype)
        converter.inference_output_type = tf.as_dtype(io_dtype)
    return converter.convert()


def export_tflite(
    model: keras.Model,
    path: str | os.PathLike,
    *,
    input_size: Sequence[int] | None = None,
    quantization: str = "none",
    io_dtype: str = "float32",
    calibration_data: Iterable | None = None,
    num_calibration_samples: int = 32,
    include_preprocessing: bool = False,
    preprocessor: ImageConverter | None = None,
    parity: ParityCheck | None = None,
    keep_rejected: bool = False,
    float_fallback: str | Sequence[str] = "auto",
    fallback_agreement: float = FALLBACK_AGREEMENT,
) -> ParityReport:
    """Exports ``model`` to a TFLite flatbuffer of builtin ops and checks it with LiteRT.

    The align-corners resizes convert to ``RESIZE_BILINEAR(align_corners=true)`` and the
    flow warp to ``GATHER`` plus elementwise ops: no Flex (TF Select) or custom ops, so
    the file runs on the plain LiteRT runtime and XNNPACK. Batch size is 1.

    Args:
        model: the Keras segmenter (a deep-supervision model exports its main logits).
        path: the ``.tflite`` file to write.
        input_size: ``(height, width)``, or None to keep height and width dynamic
            (resize the input tensor before ``allocate_tensors``). Defaults to None.
        quantization: ``"none"`` (float32), ``"float16"`` (float16 weights),
            ``"dynamic"`` (int8 weights, float activations) or ``"int8"`` (integer,
            calibrated; see ``float_fallback``). Defaults to ``"none"``. (16x8, int16
            activations, is not offered: TensorFlow 2.21's 16x8 quantizer fails on the
            warp's float -> int32 ``CAST``; its MLIR quantizer converts once the warp's
            interpolation ops are kept float, but with asymmetric int16 activations
            that LiteRT's kernels refuse; see ``docs/export.md``.)
        io_dtype: ``"float32"``, ``"int8"`` or ``"uint8"``, the input/output type of a
            full-integer model: the input is the quantised NORMALISED image and the
            output the quantised logits (scale and zero point in the tensor details).
            Defaults to ``"float32"``.
        calibration_data: for ``"int8"``: a ``tf.data.Dataset`` or iterable of uint8
            RGB or normalised float32 images (or batches, or ``(image, label)`` pairs).
            None: street scenes rendered by ``keras_sfnet.synthetic``.
        num_calibration_samples: int, images used for calibration. Defaults to 32.
        include_preprocessing: bool, defaults to False. Put the ``preprocessor`` in
            the model: its input is then a uint8 NHWC image (RGB, or BGR with
            ``ImageConverter(bgr=True)``), nothing to normalise on the client.
            Needs float I/O (``io_dtype="float32"``).
        preprocessor: the ``keras_sfnet.layers.ImageConverter`` to include; None: the
            default one. Only with ``include_preprocessing=True``.
        parity: the :class:`ParityCheck`; None for the defaults.
        keep_rejected: bool, keep a failed artifact as ``path + ".rejected"``.
        float_fallback: for ``"int8"``: ``"auto"`` (default) measures the full-integer
            model's pixel agreement with Keras on the calibration images and, below
            ``fallback_agreement``, keeps the most sensitive ops float, chosen by a
            measured sensitivity pass (:func:`keras_sfnet.export.sensitivity.
            select_float_ops`); ``"none"``: full integer whatever it loses; or a list
            of output tensor names (``report.float_ops[i]["tensor"]``) to keep float.
        fallback_agreement: float in (0, 1], the calibration agreement ``"auto"``
            aims at. Defaults to 0.99.

    Returns:
        The passed :class:`ParityReport` (with ``path``, ``size_bytes``, and for a
        selective int8 model ``float_ops`` and ``selection``: which ops stayed float,
        the agreements and their latency cost against full int8).

    Raises:
        ValueError: an unsupported option, or a dynamic size the converter cannot keep.
        ExportParityError: the artifact does not match Keras (nothing is written).

    Example:
    >>> report = export_tflite(model, "sfnet.tflite", input_size=(512, 1024))
    >>> report.max_rel_error < 1e-4
    True
    """
    require_tensorflow("TFLite export", backend=True)
    if quantization not in QUANTIZATIONS:
        raise ValueError(
            f"`quantization` must be one of {list(QUANTIZATIONS)}. "
            f"Received: quantization={quantization!r}"
        )
    if io_dtype not in IO_DTYPES:
        raise ValueError(
            f"`io_dtype` must be one of {list(IO_DTYPES)}. Received: io_dtype={io_dtype!r}"
        )
    if isinstance(float_fallback, str):
        if float_fallback not in FLOAT_FALLBACKS:
            raise ValueError(
                f"`float_fallback` must be one of {list(FLOAT_FALLBACKS)} or a list of "
                f"tensor names. Received: float_fallback={float_fallback!r}"
            )
    elif not all(isinstance(name, str) for name in float_fallback):
        raise ValueError(
            "`float_fallback` must be one of "
            f"{list(FLOAT_FALLBACKS)} or a list of tensor names. "
            f"Received: float_fallback={float_fallback!r}"
        )
    if not 0.0 < fallback_agreement <= 1.0:
        raise ValueError(
            "`fallback_agreement` must be in (0, 1]. "
            f"Received: fallback_agreement={fallback_agreement!r}"
        )
    if io_dtype != "float32" and quantization != "int8":
        raise ValueError(
            "Integer input/output needs full integer quantization (quantization='int8'). "
            f"Received: io_dtype={io_dtype!r}, quantization={quantization!r}"
        )
    if calibration_data is not None and quantization != "int8":
        raise ValueError(
            "`calibration_data` is only used with quantization='int8'. "
            f"Received: quantization={quantization!r}"
        )
    included = check_preprocessor(include_preprocessing, preprocessor)
    if included is not None and io_dtype != "float32":
        raise ValueError(
            "include_preprocessing=True makes the input uint8 images; integer I/O "
            "(quantised normalised images) cannot be combined with it. "
            f"Received: io_dtype={io_dtype!r}"
        )
    size = check_input_size(input_size)
    parity = parity or ParityCheck()

    spec = image_spec(size, batch_size=1, dtype=tf.uint8 if included else tf.float32)
    function = trace_logits(model, spec, resize="op", warp="gather", preprocessor=included)
    calibration = None
    if quantization == "int8":
        calibration = calibration_samples(
            calibration_data,
            size,
            num_calibration_samples,
            preprocessor=preprocessor,
            raw=included is not None,
        )
    selection = None
    try:
        if quantization == "int8" and float_fallback != "none":
            content, selection = _selective_int8(
                model, function, calibration, io_dtype, included,
                float_fallback, fallback_agreement,
            )  # fmt: skip
        else:
            content = _convert(function, quantization, io_dtype, calibration)
    except Exception as error:  # the converter raises ConverterError and others
        if size is None:
            raise ValueError(
                "TFLite cannot keep a dynamic input size for this model: the converter "
                "needs ops that are not TFLite builtins for it. Pass a fixed "
                f"`input_size=(height, width)`. Converter error: {_short(error)}"
            ) from error
        height, width = size
        raise TFLiteConversionError(
            ParameterMessage(
                "The TFLite converter failed at ",
                Parameter("input_size", f"({height}, {width})"),
                f" (quantization {quantization!r}): {_first_error(error)}. Workaround: "
                "a height and width that are multiples of 32, ",
                Parameter("input_size", "None"),
                " (dynamic size) or the ONNX format. The converter's full output: ",
                Parameter("debug", "True", python="this error's __cause__", code=False),
            )
        ) from error
    operators = tflite_operators(content)
    foreign = [op for op in operators if op.startswith("Flex") or op == "CUSTOM"]
    if foreign:
        raise ValueError(
            f"The TFLite model contains non-builtin ops {foreign}; refusing to write it."
        )
    logger.info("TFLite operators: %s", operators)

    sizes = [size] if size is not None else list(parity.sizes or DEFAULT_DYNAMIC_SIZES)
    with staged_output(path, keep_rejected) as staged:
        with open(staged, "wb") as f:
            f.write(content)
        candidate_input = "uint8" if included is not None else "float32"
        report = run_parity("tflite", quantization, keras_runner(model), _LiteRTRunner(staged),
                            parity, sizes, candidate_input=candidate_input,
                            preprocessor=preprocessor)
    report.written(path)
    if selection is not None:
        report.float_ops, report.selection = selection
    report.gpu_delegate = _gpu_delegate(content)
    return report


def _gpu_delegate(content: bytes) -> dict:
    """The report's GPU-delegate compatibility (an analyzer failure does not fail the
    export: it is reported)."""
    from keras_sfnet.export.delegates import gpu_delegate_compatibility

    try:
        compatibility = gpu_delegate_compatibility(content)
    except Exception as error:  # the analyzer is experimental TensorFlow API
        logger.warning("GPU delegate compatibility: the analyzer failed: %s", _short(error))
        return {"checked": False, "compatible": None, "reason": f"analyzer failed: {error}"}
    logger.info("%s", compatibility.summary())
    return dataclasses.asdict(compatibility)


def _selective_int8(
    model, function, calibration, io_dtype, preprocessor, float_fallback, target
) -> tuple[bytes, tuple[list, dict]]:
    """The int8 flatbuffer with the ops ``float_fallback`` names (or selects) kept float,
    and ``(float_ops, selection)`` for the report."""
    from keras_sfnet.export.sensitivity import (
        CalibratedModel,
        layer_errors,
        median_latency,
        select_float_ops,
    )

    calibrated = CalibratedModel.from_concrete_function(function, calibration, io_dtype)
    keras_logits = keras_runner(model)
    reference = keras_logits
    if preprocessor is not None:  # uint8 samples: Keras takes them normalised

        def reference(x):
            return keras_logits(np.asarray(preprocessor(x)))

    if float_fallback == "auto":
        chosen = select_float_ops(calibrated, reference, calibration, target)
        if not chosen.float_nodes:
            logger.info("int8: %s", chosen.summary())
            full = {"mode": "auto", "calibration_agreement_full_int8": chosen.full_agreement}
            return calibrated.quantize(), ([], full)
        nodes, float_ops = chosen.float_nodes, chosen.float_ops
        selection = {
            "mode": "auto",
            "target_agreement": target,
            "calibration_agreement_full_int8": chosen.full_agreement,
            "calibration_agreement": chosen.agreement,
            "evaluations": chosen.evaluations,
            "most_sensitive": [
                {"group": s.label, "gain": s.gain, "max_rmse_over_scale": s.max_rmse_over_scale}
                for s in chosen.sensitivities[:8]
            ],
        }
    else:
        nodes = list(float_fallback)
        ops = {e.tensor: e.op for e in layer_errors(calibrated, calibration)}
        unknown = [name for name in nodes if name not in ops]
        if unknown:
            raise ValueError(
                f"`float_fallback` names tensors the int8 model does not have: {unknown[:5]}"
            )
        float_ops = [{"op": ops[name], "tensor": name} for name in nodes]
        selection = {"mode": "given"}
    content = calibrated.quantize(nodes)
    sample = next(iter(calibration()))[0]
    full_seconds = median_latency(calibrated.quantize(), sample)
    selective_seconds = median_latency(content, sample)
    selection["latency_vs_full_int8"] = selective_seconds / full_seconds
    logger.info(
        "int8 with %d ops kept float: %.2fx the latency of full int8 (%.4f s vs %.4f s)",
        len(nodes),
        selection["latency_vs_full_int8"],
        selective_seconds,
        full_seconds,
    )
    return content, (float_ops, selection)


def _short(error: Exception, limit: int = 600) -> str:
    lines = [
        line for line in str(error).splitlines() if line.strip() and not line.startswith("loc(")
    ]
    text = " ".join(lines)
    return text if len(text) <= limit else text[:limit] + "..."


def _first_error(error: Exception) -> str:
    """The converter's first ``error:`` message, without its MLIR locations."""
    for line in str(error).splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    return _short(error, limit=200)
