"""keras_sfnet.inference: class maps for user images, test-time augmentation, file prediction."""

from keras_sfnet.inference.file_prediction import PredictionReport, list_inputs, predict_files
from keras_sfnet.inference.flow_pictures import flow_pictures, upsample_flow
from keras_sfnet.inference.image_input import prepare_image
from keras_sfnet.inference.logits_function import logits_function, main_logits
from keras_sfnet.inference.model_loading import (
    load_model_classes,
    load_segmentation_model,
    model_class_info,
    save_model_classes,
    segmenter_options,
)
from keras_sfnet.inference.segmenter import Segmenter
from keras_sfnet.inference.sliding_window import (
    sliding_window_boxes,
    sliding_window_logits,
    sliding_window_tensor,
)
from keras_sfnet.inference.test_time_augmentation import (
    augmented_logits_function,
    predict_logits,
    resize_images,
    softmax,
)
from keras_sfnet.layers.image_converter import ImageConverter

__all__ = [
    "ImageConverter",
    "PredictionReport",
    "Segmenter",
    "augmented_logits_function",
    "flow_pictures",
    "list_inputs",
    "predict_files",
    "upsample_flow",
    "load_model_classes",
    "load_segmentation_model",
    "model_class_info",
    "save_model_classes",
    "segmenter_options",
    "logits_function",
    "main_logits",
    "predict_logits",
    "prepare_image",
    "resize_images",
    "sliding_window_boxes",
    "sliding_window_logits",
    "sliding_window_tensor",
    "softmax",
]
