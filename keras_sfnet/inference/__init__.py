"""keras_sfnet.inference: class maps for user images, test-time augmentation, file prediction."""

from keras_sfnet.inference.flow_pictures import (
    flow_pictures,
)  # named like its module: eager (see lazy_exports)
from keras_sfnet.inference.logits_function import (
    logits_function,
)  # named like its module: eager (see lazy_exports)
from keras_sfnet.lazy_exports import lazy_exports

#: Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "PredictionReport": "keras_sfnet.inference.file_prediction",
    "list_inputs": "keras_sfnet.inference.file_prediction",
    "predict_files": "keras_sfnet.inference.file_prediction",
    "upsample_flow": "keras_sfnet.inference.flow_pictures",
    "prepare_image": "keras_sfnet.inference.image_input",
    "main_logits": "keras_sfnet.inference.logits_function",
    "load_model_classes": "keras_sfnet.inference.model_loading",
    "load_segmentation_model": "keras_sfnet.inference.model_loading",
    "model_class_info": "keras_sfnet.inference.model_loading",
    "save_model_classes": "keras_sfnet.inference.model_loading",
    "segmenter_options": "keras_sfnet.inference.model_loading",
    "Segmenter": "keras_sfnet.inference.segmenter",
    "sliding_window_boxes": "keras_sfnet.inference.sliding_window",
    "sliding_window_logits": "keras_sfnet.inference.sliding_window",
    "sliding_window_tensor": "keras_sfnet.inference.sliding_window",
    "augmented_logits_function": "keras_sfnet.inference.test_time_augmentation",
    "predict_logits": "keras_sfnet.inference.test_time_augmentation",
    "resize_images": "keras_sfnet.inference.test_time_augmentation",
    "softmax": "keras_sfnet.inference.test_time_augmentation",
    "ImageConverter": "keras_sfnet.layers.image_converter",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS) + ['flow_pictures', 'logits_function']
