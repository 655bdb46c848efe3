"""keras_sfnet.data: segmentation datasets as `tf.data` pipelines.

Dataset metadata (`DatasetInfo`, `get_dataset_info`) and file listing for the
standard layouts (`list_files` and the per-dataset `list_*`), both by name through
one registry of `DatasetSpec`s (`registry`, one module per dataset), the raw example
reader (`examples_dataset`), ImageNet normalisation, the joint augmentation
(`AugmentationConfig`, `augment_example`), the training/evaluation pipeline
(`load_dataset`, `make_dataset`, options in one `PipelineConfig`), an up-front checker (`validate_dataset`) and
the synthetic datasets (re-exported from the package `keras_sfnet.synthetic`:
`generate_synthetic_cityscapes`, `generate_synthetic_layout`), the driving datasets (Mapillary Vistas,
BDD100K, IDD, KITTI: `dataset_catalog`), merged training over several of them
(`load_merged_dataset`) and the coarse boost (`coarse_boost_centers`).

Example (`load_dataset` shows a whole pipeline):
>>> from keras_sfnet.data import get_dataset_info, list_files
>>> get_dataset_info("cityscapes").num_classes
19
>>> pairs = list_files("cityscapes", "/data/cityscapes", "val")  # doctest: +SKIP
"""

from keras_sfnet.lazy_exports import lazy_exports

#: Module -> the public names it gives this package (imported on first access).
__getattr__, __dir__ = lazy_exports(__name__, {
    ".ade20k": ("list_ade20k",),
    ".array_pipeline": ("ArrayDataset", "make_array_dataset"),
    ".augment": ("augment_example", "class_uniform_center", "color_jitter", "gaussian_blur"),
    ".augmentation_config": ("AugmentationConfig",),
    ".bdd100k": ("bdd100k_info", "list_bdd100k"),
    ".camvid": ("list_camvid",),
    ".cityscapes": ("list_cityscapes",),
    ".coarse_boost": (
        "AUTHORS_COARSE_BOOST_CLASSES", "class_centroids", "coarse_boost_centers",
        "list_cityscapes_coarse",
    ),
    ".crop_centers": ("CropCenters",),
    ".dataset_catalog": ("DRIVING_DATASETS",),
    ".dataset_info": (
        "ADE20K_CLASS_NAMES", "CAMVID_CLASS_NAMES", "CAMVID_PALETTE", "CITYSCAPES_CLASS_NAMES",
        "CITYSCAPES_LABELS", "CITYSCAPES_LABEL_ID_TO_TRAIN_ID", "CITYSCAPES_PALETTE",
        "DatasetInfo", "PASCAL_CONTEXT_CLASS_NAMES", "make_palette",
    ),
    ".dataset_spec": ("DatasetSpec",),
    ".folder": ("list_folder", "read_list_file"),
    ".idd": ("IDD_LEVEL3_CLASS_NAMES", "IDD_LEVEL3_TO_CITYSCAPES", "idd_info", "list_idd"),
    ".kitti": ("KITTI_VAL_INDICES", "kitti_info", "list_kitti"),
    ".mapillary": (
        "MAPILLARY_V12_CLASS_NAMES", "MAPILLARY_V20_CLASS_NAMES", "list_mapillary",
        "mapillary_info", "mapillary_to_cityscapes",
    ),
    ".merged": ("load_merged_dataset", "make_merged_dataset"),
    ".pascal_context": ("list_pascal_context",),
    ".pipeline": ("load_dataset", "make_dataset"),
    ".preprocessing": ("IMAGENET_MEAN", "IMAGENET_STD", "ImageConverter", "denormalize_image"),
    ".reading": (
        "decode_image_file", "decode_label_file", "examples_dataset", "load_pair", "map_label",
        "read_example", "resolve_info",
    ),
    ".registry": (
        "dataset_names", "get_dataset_info", "get_dataset_spec", "list_files", "merged_files",
    ),
    ".streams": ("PipelineConfig",),
    ".validation": ("format_validation_report", "validate_dataset"),
    "keras_sfnet.synthetic": (
        "generate_synthetic_cityscapes", "generate_synthetic_layout", "render_street_scene",
    ),
}, submodules=("synthetic",))
