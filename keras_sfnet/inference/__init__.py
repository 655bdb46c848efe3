"""keras_sfnet.inference: class maps for user images, test-time augmentation, file prediction."""

from keras_sfnet.inference.flow_pictures import (
    flow_pictures as flow_pictures,  # named like its module: eager (see lazy_exports)
)
from keras_sfnet.inference.logits_function import (
    logits_function as logits_function,  # named like its module: eager (see lazy_exports)
)
from keras_sfnet.lazy_exports import lazy_exports

#: Module -> the public names it gives this package (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {
    ".file_prediction": ("PredictionReport", "list_inputs", "predict_files"),
    ".flow_pictures": ("upsample_flow",),
    ".image_input": ("prepare_image",),
    ".logits_function": ("main_logits",),
    ".model_loading": (
        "load_model_classes", "load_segmentation_model", "model_class_info",
        "save_model_classes", "segmenter_options",
    ),
    ".segmenter": ("Segmenter",),
    ".sliding_window": (
        "sliding_window_boxes", "sliding_window_logits", "sliding_window_tensor",
    ),
    ".test_time_augmentation": (
        "augmented_logits_function", "predict_logits", "resize_images", "softmax",
    ),
    "keras_sfnet.layers.image_converter": ("ImageConverter",),
}, bound=("flow_pictures", "logits_function"))
