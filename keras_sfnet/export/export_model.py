"""One entry point for every format: what ``tools/export.py`` calls."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import keras

from keras_sfnet.backend_support import require_tensorflow
from keras_sfnet.export.parity import ParityCheck, ParityReport

__all__ = ["FORMATS", "SUPPORTED_QUANTIZATIONS", "export_model"]

from keras_sfnet.names import EXPORT_FORMATS as FORMATS  # noqa: F401 (re-exported)
from keras_sfnet.names import QUANTIZATIONS

#: The quantizations each format offers.
SUPPORTED_QUANTIZATIONS = {
    "saved_model": ("none",),
    "tflite": ("none", "float16", "dynamic", "int8"),
    "onnx": ("none",),
    "tensorrt": ("none", "float16", "int8"),
}


def export_model(
    model: keras.Model | str | os.PathLike,
    output: str | os.PathLike,
    format: str,
    *,
    input_size: Sequence[int] | None = None,
    quantization: str = "none",
    calibration_data: Iterable | None = None,
    parity: ParityCheck | None = None,
    keep_rejected: bool = False,
    **options,
) -> ParityReport:
    """Exports a segmenter to ``format`` and checks the artifact against Keras.

    Args:
        model: a Keras segmenter, or the path of a ``.keras`` file / authors'
            checkpoint (loaded with ``keras_sfnet.inference.load_segmentation_model``).
        output: the artifact path (a directory for ``saved_model``).
        format: one of ``"saved_model"``, ``"tflite"``, ``"onnx"``, ``"tensorrt"``.
        input_size: optional ``(height, width)``; None keeps them dynamic where the
            format allows (TensorRT needs one).
        quantization: ``"none"``, ``"float16"``, ``"dynamic"`` or ``"int8"``; see
            ``SUPPORTED_QUANTIZATIONS`` for what each format offers.
        calibration_data: images for ``"int8"`` (None: synthetic street scenes).
        parity: the :class:`ParityCheck` thresholds; None for the defaults.
        keep_rejected: bool, keep a failed artifact as ``output + ".rejected"``.
        **options: format-specific options, passed to :func:`export_saved_model`
            (``include_probabilities``, ``include_logits``, ``preprocessor``),
            :func:`export_tflite` (``io_dtype``, ``num_calibration_samples``,
            ``include_preprocessing``, ``preprocessor``, ``float_fallback``,
            ``fallback_agreement``), :func:`export_onnx`
            (``opset``, ``resize``, ``warp``, ``batch_size``, ``include_preprocessing``,
            ``preprocessor``) or
            :func:`export_tensorrt` (``warp``, ``workspace_gib``,
            ``num_calibration_samples``).

    Returns:
        The passed :class:`ParityReport`.

    Raises:
        ValueError: an unknown format or an option the format does not support.
        ExportParityError: the artifact does not give Keras's answers.

    Example:
    >>> report = export_model("sfnet.keras", "sfnet.tflite", "tflite", input_size=(512, 1024))
    """
    require_tensorflow("Export", backend=True)
    if format not in FORMATS:
        raise ValueError(f"`format` must be one of {list(FORMATS)}. Received: format={format!r}")
    if quantization not in QUANTIZATIONS:
        raise ValueError(
            f"`quantization` must be one of {list(QUANTIZATIONS)}. "
            f"Received: quantization={quantization!r}"
        )
    if quantization not in SUPPORTED_QUANTIZATIONS[format]:
        raise ValueError(
            f"format={format!r} supports quantization in {list(SUPPORTED_QUANTIZATIONS[format])}. "
            f"Received: quantization={quantization!r}"
        )
    if calibration_data is not None and quantization != "int8":
        raise ValueError(
            "`calibration_data` is only used with quantization='int8'. "
            f"Received: quantization={quantization!r}"
        )
    if isinstance(model, (str, os.PathLike)):
        from keras_sfnet.inference.model_loading import load_segmentation_model

        model = load_segmentation_model(model)
    common = {"parity": parity, "keep_rejected": keep_rejected, "input_size": input_size}
    if format == "saved_model":
        from keras_sfnet.export.saved_model import export_saved_model

        return export_saved_model(model, output, **common, **options)
    if format == "tflite":
        from keras_sfnet.export.tflite import export_tflite

        return export_tflite(
            model,
            output,
            quantization=quantization,
            calibration_data=calibration_data,
            **common,
            **options,
        )
    if format == "onnx":
        from keras_sfnet.export.onnx import export_onnx

        return export_onnx(model, output, **common, **options)
    from keras_sfnet.export.tensorrt import export_tensorrt

    precision = {"none": "float32", "float16": "float16", "int8": "int8"}[quantization]
    return export_tensorrt(
        model, output, precision=precision, calibration_data=calibration_data, **common, **options
    )
