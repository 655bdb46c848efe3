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
    export_model as export_model,  # named like its module: eager (see lazy_exports)
)
from keras_sfnet.lazy_exports import lazy_exports

#: Module -> the public names it gives this package (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {
    ".calibration": ("calibration_samples", "synthetic_calibration_images"),
    ".delegates": ("DelegateCompatibility", "gpu_delegate_compatibility"),
    ".export_model": ("FORMATS", "SUPPORTED_QUANTIZATIONS"),
    ".onnx": ("convert_to_onnx", "export_onnx", "onnx_operators"),
    ".parity": ("ExportParityError", "ParityCheck", "ParityReport", "mean_iou"),
    ".saved_model": ("FLOAT_SIGNATURE", "SERVING_SIGNATURE", "export_saved_model"),
    ".tensorrt": ("TensorRTUnavailableError", "export_tensorrt", "tensorrt_status"),
    ".tflite": ("TFLiteConversionError", "export_tflite", "tflite_operators"),
}, bound=("export_model",))
