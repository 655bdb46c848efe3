"""keras_sfnet.inference: class maps for user images, test-time augmentation, file prediction."""

from keras_sfnet.inference.file_prediction import PredictionReport, list_inputs, predict_files
from keras_sfnet.inference.flow_pictures import flow_pictures, upsample_flow
from keras_sfnet.inference.image_input import normalize_image, prepare_image
from keras_sfnet.inference.logits_function import logits_function, main_logits
from keras_sfnet.inference.model_loading import load_segmentation_model
from keras_sfnet.inference.segmenter import Segmenter
from keras_sfnet.inference.sliding_window import sliding_window_boxes, sliding_window_logits
from keras_sfnet.inference.test_time_augmentation import predict_logits, resize_images, softmax

__all__ = [
    "PredictionReport",
    "Segmenter",
    "flow_pictures",
    "list_inputs",
    "predict_files",
    "upsample_flow",
    "load_segmentation_model",
    "logits_function",
    "main_logits",
    "normalize_image",
    "predict_logits",
    "prepare_image",
    "resize_images",
    "sliding_window_boxes",
    "sliding_window_logits",
    "softmax",
]
