"""Export SFNet to SavedModel (TF Serving), TFLite (LiteRT), ONNX and TensorRT.

Every export ends with a parity check of the written artifact, loaded in its own
runtime, against the Keras model; an artifact that fails is not written and the
export raises :class:`ExportParityError`.

Example:
>>> from keras_sfnet.export import export_model
>>> report = export_model(model, "sfnet.tflite", "tflite", input_size=(512, 1024))
>>> print(report.summary())
"""

from keras_sfnet.export.export_model import (
    export_model,
)  # named like its module: eager (see lazy_exports)
from keras_sfnet.lazy_exports import lazy_exports

#: Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "calibration_samples": "keras_sfnet.export.calibration",
    "synthetic_calibration_images": "keras_sfnet.export.calibration",
    "FORMATS": "keras_sfnet.export.export_model",
    "SUPPORTED_QUANTIZATIONS": "keras_sfnet.export.export_model",
    "DelegateCompatibility": "keras_sfnet.export.delegates",
    "gpu_delegate_compatibility": "keras_sfnet.export.delegates",
    "convert_to_onnx": "keras_sfnet.export.onnx",
    "export_onnx": "keras_sfnet.export.onnx",
    "onnx_operators": "keras_sfnet.export.onnx",
    "ExportParityError": "keras_sfnet.export.parity",
    "ParityCheck": "keras_sfnet.export.parity",
    "ParityReport": "keras_sfnet.export.parity",
    "mean_iou": "keras_sfnet.export.parity",
    "FLOAT_SIGNATURE": "keras_sfnet.export.saved_model",
    "SERVING_SIGNATURE": "keras_sfnet.export.saved_model",
    "export_saved_model": "keras_sfnet.export.saved_model",
    "TensorRTUnavailableError": "keras_sfnet.export.tensorrt",
    "export_tensorrt": "keras_sfnet.export.tensorrt",
    "tensorrt_status": "keras_sfnet.export.tensorrt",
    "TFLiteConversionError": "keras_sfnet.export.tflite",
    "export_tflite": "keras_sfnet.export.tflite",
    "tflite_operators": "keras_sfnet.export.tflite",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS) + ['export_model']
