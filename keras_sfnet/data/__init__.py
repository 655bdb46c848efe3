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

Example:
>>> from keras_sfnet.data import load_dataset, synthetic
>>> import tempfile
>>> root = synthetic.generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=8, num_val=2)
>>> train = load_dataset("cityscapes", root, "train", training=True,
...                      crop_size=(128, 128), batch_size=4, seed=0)
"""

from keras_sfnet.lazy_exports import SUBMODULE, lazy_exports

#: Public name -> the module that defines it (imported on first access).
_EXPORTS = {
    "synthetic": SUBMODULE,
    "ArrayDataset": "keras_sfnet.data.array_pipeline",
    "make_array_dataset": "keras_sfnet.data.array_pipeline",
    "augment_example": "keras_sfnet.data.augment",
    "class_uniform_center": "keras_sfnet.data.augment",
    "color_jitter": "keras_sfnet.data.augment",
    "gaussian_blur": "keras_sfnet.data.augment",
    "AugmentationConfig": "keras_sfnet.data.augmentation_config",
    "bdd100k_info": "keras_sfnet.data.bdd100k",
    "list_bdd100k": "keras_sfnet.data.bdd100k",
    "AUTHORS_COARSE_BOOST_CLASSES": "keras_sfnet.data.coarse_boost",
    "class_centroids": "keras_sfnet.data.coarse_boost",
    "coarse_boost_centers": "keras_sfnet.data.coarse_boost",
    "list_cityscapes_coarse": "keras_sfnet.data.coarse_boost",
    "CropCenters": "keras_sfnet.data.crop_centers",
    "DRIVING_DATASETS": "keras_sfnet.data.dataset_catalog",
    "ADE20K_CLASS_NAMES": "keras_sfnet.data.dataset_info",
    "CAMVID_CLASS_NAMES": "keras_sfnet.data.dataset_info",
    "CAMVID_PALETTE": "keras_sfnet.data.dataset_info",
    "CITYSCAPES_CLASS_NAMES": "keras_sfnet.data.dataset_info",
    "CITYSCAPES_LABEL_ID_TO_TRAIN_ID": "keras_sfnet.data.dataset_info",
    "CITYSCAPES_LABELS": "keras_sfnet.data.dataset_info",
    "CITYSCAPES_PALETTE": "keras_sfnet.data.dataset_info",
    "PASCAL_CONTEXT_CLASS_NAMES": "keras_sfnet.data.dataset_info",
    "DatasetInfo": "keras_sfnet.data.dataset_info",
    "get_dataset_info": "keras_sfnet.data.registry",
    "make_palette": "keras_sfnet.data.dataset_info",
    "IDD_LEVEL3_CLASS_NAMES": "keras_sfnet.data.idd",
    "IDD_LEVEL3_TO_CITYSCAPES": "keras_sfnet.data.idd",
    "idd_info": "keras_sfnet.data.idd",
    "list_idd": "keras_sfnet.data.idd",
    "KITTI_VAL_INDICES": "keras_sfnet.data.kitti",
    "kitti_info": "keras_sfnet.data.kitti",
    "list_kitti": "keras_sfnet.data.kitti",
    "list_ade20k": "keras_sfnet.data.ade20k",
    "list_camvid": "keras_sfnet.data.camvid",
    "list_cityscapes": "keras_sfnet.data.cityscapes",
    "list_files": "keras_sfnet.data.registry",
    "list_folder": "keras_sfnet.data.folder",
    "list_pascal_context": "keras_sfnet.data.pascal_context",
    "read_list_file": "keras_sfnet.data.folder",
    "MAPILLARY_V12_CLASS_NAMES": "keras_sfnet.data.mapillary",
    "MAPILLARY_V20_CLASS_NAMES": "keras_sfnet.data.mapillary",
    "list_mapillary": "keras_sfnet.data.mapillary",
    "mapillary_info": "keras_sfnet.data.mapillary",
    "mapillary_to_cityscapes": "keras_sfnet.data.mapillary",
    "load_merged_dataset": "keras_sfnet.data.merged",
    "make_merged_dataset": "keras_sfnet.data.merged",
    "merged_files": "keras_sfnet.data.registry",
    "load_dataset": "keras_sfnet.data.pipeline",
    "PipelineConfig": "keras_sfnet.data.streams",
    "DatasetSpec": "keras_sfnet.data.dataset_spec",
    "dataset_names": "keras_sfnet.data.registry",
    "get_dataset_spec": "keras_sfnet.data.registry",
    "make_dataset": "keras_sfnet.data.pipeline",
    "IMAGENET_MEAN": "keras_sfnet.data.preprocessing",
    "IMAGENET_STD": "keras_sfnet.data.preprocessing",
    "ImageConverter": "keras_sfnet.data.preprocessing",
    "denormalize_image": "keras_sfnet.data.preprocessing",
    "decode_image_file": "keras_sfnet.data.reading",
    "decode_label_file": "keras_sfnet.data.reading",
    "examples_dataset": "keras_sfnet.data.reading",
    "load_pair": "keras_sfnet.data.reading",
    "map_label": "keras_sfnet.data.reading",
    "read_example": "keras_sfnet.data.reading",
    "resolve_info": "keras_sfnet.data.reading",
    "generate_synthetic_cityscapes": "keras_sfnet.synthetic.cityscapes_writer",
    "generate_synthetic_layout": "keras_sfnet.synthetic.layout_writer",
    "render_street_scene": "keras_sfnet.synthetic.renderer",
    "format_validation_report": "keras_sfnet.data.validation",
    "validate_dataset": "keras_sfnet.data.validation",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
