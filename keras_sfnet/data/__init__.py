"""keras_sfnet.data: segmentation datasets as `tf.data` pipelines.

Dataset metadata (`DatasetInfo`, `get_dataset_info`), file listing for the
standard layouts (`list_files` and the per-dataset `list_*`), the raw example
reader (`examples_dataset`), ImageNet normalisation, the joint augmentation
(`AugmentationConfig`, `augment_example`), the training/evaluation pipeline
(`load_dataset`, `make_dataset`), an up-front checker (`validate_dataset`) and
a synthetic Cityscapes-layout dataset (`synthetic.generate_synthetic_cityscapes`).

Example:
>>> from keras_sfnet.data import load_dataset, synthetic
>>> import tempfile
>>> root = synthetic.generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=8, num_val=2)
>>> train = load_dataset("cityscapes", root, "train", training=True,
...                      crop_size=(128, 128), batch_size=4, seed=0)
"""

from keras_sfnet.data import synthetic
from keras_sfnet.data.augment import (
    augment_example,
    class_uniform_center,
    color_jitter,
    gaussian_blur,
)
from keras_sfnet.data.augmentation_config import AugmentationConfig
from keras_sfnet.data.dataset_info import (
    ADE20K_CLASS_NAMES,
    CAMVID_CLASS_NAMES,
    CAMVID_PALETTE,
    CITYSCAPES_CLASS_NAMES,
    CITYSCAPES_LABEL_ID_TO_TRAIN_ID,
    CITYSCAPES_LABELS,
    CITYSCAPES_PALETTE,
    PASCAL_CONTEXT_CLASS_NAMES,
    DatasetInfo,
    get_dataset_info,
    make_palette,
)
from keras_sfnet.data.layouts import (
    list_ade20k,
    list_camvid,
    list_cityscapes,
    list_files,
    list_folder,
    list_pascal_context,
    read_list_file,
)
from keras_sfnet.data.pipeline import load_dataset, make_dataset
from keras_sfnet.data.preprocessing import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    ImageConverter,
    denormalize_image,
)
from keras_sfnet.data.reading import (
    decode_image_file,
    decode_label_file,
    examples_dataset,
    load_pair,
    map_label,
    read_example,
    resolve_info,
)
from keras_sfnet.data.synthetic import generate_synthetic_cityscapes, render_street_scene
from keras_sfnet.data.validation import validate_dataset

__all__ = [
    "ADE20K_CLASS_NAMES",
    "AugmentationConfig",
    "CAMVID_CLASS_NAMES",
    "CAMVID_PALETTE",
    "CITYSCAPES_CLASS_NAMES",
    "CITYSCAPES_LABELS",
    "CITYSCAPES_LABEL_ID_TO_TRAIN_ID",
    "CITYSCAPES_PALETTE",
    "DatasetInfo",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "PASCAL_CONTEXT_CLASS_NAMES",
    "augment_example",
    "class_uniform_center",
    "color_jitter",
    "decode_image_file",
    "decode_label_file",
    "denormalize_image",
    "ImageConverter",
    "examples_dataset",
    "gaussian_blur",
    "generate_synthetic_cityscapes",
    "get_dataset_info",
    "list_ade20k",
    "list_camvid",
    "list_cityscapes",
    "list_files",
    "list_folder",
    "list_pascal_context",
    "load_dataset",
    "load_pair",
    "make_dataset",
    "make_palette",
    "map_label",
    "read_example",
    "read_list_file",
    "render_street_scene",
    "resolve_info",
    "synthetic",
    "validate_dataset",
]
