"""keras_sfnet.data: segmentation datasets as `tf.data` pipelines.

Dataset metadata (`DatasetInfo`, `get_dataset_info`), file listing for the
standard layouts (`list_files` and the per-dataset `list_*`), the raw example
reader (`examples_dataset`), ImageNet normalisation, the joint augmentation
(`AugmentationConfig`, `augment_example`), the training/evaluation pipeline
(`load_dataset`, `make_dataset`), an up-front checker (`validate_dataset`) and
synthetic datasets in each supported layout (`synthetic.generate_synthetic_cityscapes`,
`synthetic.generate_synthetic_layout`), the driving datasets (Mapillary Vistas,
BDD100K, IDD, KITTI: `dataset_catalog`), merged training over several of them
(`load_merged_dataset`) and the coarse boost (`coarse_boost_centers`).

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
from keras_sfnet.data.bdd100k import bdd100k_info, list_bdd100k
from keras_sfnet.data.coarse_boost import (
    AUTHORS_COARSE_BOOST_CLASSES,
    class_centroids,
    coarse_boost_centers,
    list_cityscapes_coarse,
)
from keras_sfnet.data.crop_centers import CropCenters
from keras_sfnet.data.dataset_catalog import DRIVING_DATASETS
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
from keras_sfnet.data.idd import (
    IDD_LEVEL3_CLASS_NAMES,
    IDD_LEVEL3_TO_CITYSCAPES,
    idd_info,
    list_idd,
)
from keras_sfnet.data.kitti import KITTI_VAL_INDICES, kitti_info, list_kitti
from keras_sfnet.data.layouts import (
    list_ade20k,
    list_camvid,
    list_cityscapes,
    list_files,
    list_folder,
    list_pascal_context,
    read_list_file,
)
from keras_sfnet.data.mapillary import (
    MAPILLARY_V12_CLASS_NAMES,
    MAPILLARY_V20_CLASS_NAMES,
    list_mapillary,
    mapillary_info,
    mapillary_to_cityscapes,
)
from keras_sfnet.data.merged import load_merged_dataset, make_merged_dataset, merged_files
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
from keras_sfnet.data.synthetic import (
    generate_synthetic_cityscapes,
    generate_synthetic_layout,
    render_street_scene,
)
from keras_sfnet.data.validation import format_validation_report, validate_dataset

__all__ = [
    "ADE20K_CLASS_NAMES",
    "AUTHORS_COARSE_BOOST_CLASSES",
    "AugmentationConfig",
    "CAMVID_CLASS_NAMES",
    "CAMVID_PALETTE",
    "CITYSCAPES_CLASS_NAMES",
    "CITYSCAPES_LABELS",
    "CITYSCAPES_LABEL_ID_TO_TRAIN_ID",
    "CITYSCAPES_PALETTE",
    "CropCenters",
    "DRIVING_DATASETS",
    "DatasetInfo",
    "IDD_LEVEL3_CLASS_NAMES",
    "IDD_LEVEL3_TO_CITYSCAPES",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "KITTI_VAL_INDICES",
    "MAPILLARY_V12_CLASS_NAMES",
    "MAPILLARY_V20_CLASS_NAMES",
    "PASCAL_CONTEXT_CLASS_NAMES",
    "augment_example",
    "bdd100k_info",
    "class_centroids",
    "class_uniform_center",
    "coarse_boost_centers",
    "color_jitter",
    "decode_image_file",
    "decode_label_file",
    "denormalize_image",
    "ImageConverter",
    "examples_dataset",
    "gaussian_blur",
    "generate_synthetic_cityscapes",
    "generate_synthetic_layout",
    "get_dataset_info",
    "idd_info",
    "kitti_info",
    "list_ade20k",
    "list_bdd100k",
    "list_camvid",
    "list_cityscapes",
    "list_cityscapes_coarse",
    "list_files",
    "list_folder",
    "list_idd",
    "list_kitti",
    "list_mapillary",
    "list_pascal_context",
    "load_dataset",
    "load_merged_dataset",
    "load_pair",
    "make_dataset",
    "make_merged_dataset",
    "make_palette",
    "map_label",
    "mapillary_info",
    "mapillary_to_cityscapes",
    "merged_files",
    "read_example",
    "read_list_file",
    "render_street_scene",
    "resolve_info",
    "synthetic",
    "format_validation_report",
    "validate_dataset",
]
