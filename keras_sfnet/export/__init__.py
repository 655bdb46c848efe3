"""Export SFNet to SavedModel (TF Serving), TFLite (LiteRT), ONNX and TensorRT.

Every export ends with a parity check of the written artifact, loaded in its own
runtime, against the Keras model; an artifact that fails is not written and the
export raises :class:`ExportParityError`.

Example:
>>> from keras_sfnet.export import export_model
>>> report = export_model(model, "sfnet.tflite", "tflite", input_size=(512, 1024))
>>> print(report.summary())
"""

from keras_sfnet.export.calibration import calibration_samples, synthetic_calibration_images
from keras_sfnet.export.export_model import FORMATS, SUPPORTED_QUANTIZATIONS, export_model
from keras_sfnet.export.onnx import convert_to_onnx, export_onnx, onnx_operators
from keras_sfnet.export.parity import ExportParityError, ParityCheck, ParityReport, mean_iou
from keras_sfnet.export.saved_model import FLOAT_SIGNATURE, SERVING_SIGNATURE, export_saved_model
from keras_sfnet.export.tensorrt import TensorRTUnavailableError, export_tensorrt, tensorrt_status
from keras_sfnet.export.tflite import TFLiteConversionError, export_tflite, tflite_operators

__all__ = [
    "FLOAT_SIGNATURE",
    "FORMATS",
    "SERVING_SIGNATURE",
    "SUPPORTED_QUANTIZATIONS",
    "ExportParityError",
    "ParityCheck",
    "ParityReport",
    "TFLiteConversionError",
    "TensorRTUnavailableError",
    "calibration_samples",
    "convert_to_onnx",
    "export_model",
    "export_onnx",
    "export_saved_model",
    "export_tensorrt",
    "export_tflite",
    "mean_iou",
    "onnx_operators",
    "synthetic_calibration_images",
    "tensorrt_status",
    "tflite_operators",
]
