"""Every vocabulary of keras_sfnet, defined once: the names that choose things.

Plain tuples and strings, with no TensorFlow, Keras or NumPy import, so that the
command-line tools build their ``--help`` and check their arguments from the same
values the library validates with. A module that needs one of these imports it from
here; nothing redefines them.

Example:
>>> from keras_sfnet import names
>>> "lite" in names.HEADS and names.LEVELS[-1]
'P5'
"""

from __future__ import annotations

__all__ = [
    "ALIGNMENTS",
    "AVERAGE_MODES",
    "AUGMENTATIONS",
    "BACKBONES",
    "BACKENDS",
    "BUILTIN_DATASETS",
    "CITYSCAPES_CLASS_NAMES",
    "CITYSCAPES_LABELS",
    "CITYSCAPES_PALETTE",
    "CITYSCAPES_SPLITS",
    "CONTEXT_HEADS",
    "DATASETS",
    "DATASET_INFOS",
    "DECODERS",
    "DECODER_SWITCHES",
    "DEEP_SUPERVISION_OUTPUTS",
    "DISTRIBUTIONS",
    "DRIVING_DATASETS",
    "DTYPE_POLICIES",
    "EXPORT_FORMATS",
    "FAM_LEVELS",
    "FINAL_FUSIONS",
    "FLOW_ESTIMATORS",
    "HEADS",
    "HUB_SCHEMES",
    "IMAGE_EXTENSIONS",
    "INPUT_PIPELINES",
    "LEVELS",
    "LITE_BACKBONES",
    "LITE_LEVELS",
    "LOSSES",
    "MIXED_PRECISION",
    "OUTPUT_KINDS",
    "OPTIMIZERS",
    "QUANTIZATIONS",
    "RESNET_BACKBONES",
    "SINGLE_LEVEL_DECODERS",
    "STEMS",
    "SYNTHETIC_LAYOUTS",
    "TENSORRT_PRECISIONS",
    "UPSAMPLINGS",
    "VIDEO_EXTENSIONS",
]

# --- Keras backends -----------------------------------------------------------------
BACKENDS = ("tensorflow", "jax", "torch")
"""The Keras 3 backends keras_sfnet runs on (``KERAS_BACKEND`` / ``--backend``)."""
DTYPE_POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")
"""Keras dtype policies the benchmarks and backend tests run under."""

# --- Model family -------------------------------------------------------------------
BACKBONES = (
    "resnet18", "resnet50", "resnet101", "dfnet1", "dfnet2", "stdc1", "stdc2", "shufflenetv2",
)  # fmt: skip
"""Registered backbone names (``keras_sfnet.backbones.get_backbone``)."""
RESNET_BACKBONES = ("resnet18", "resnet50", "resnet101")
STEMS = ("deep", "standard")
"""ResNet stems: the authors' three-conv ``"deep"`` stem or torchvision's 7x7."""
HEADS = ("v1", "lite")
"""``"v1"``: SFNet's aligned FPN (ECCV 2020); ``"lite"``: SFNet-Lite's GD-FAM head (IJCV 2023)."""
LITE_BACKBONES = ("resnet18", "stdc1", "stdc2")
"""The backbones the authors built SFNet-Lite on."""
LEVELS = ("P2", "P3", "P4", "P5")
"""Feature-pyramid keys, fine to coarse (``"P2"`` = stride 4 ... ``"P5"`` = stride 32)."""
FAM_LEVELS = ("P3", "P4", "P5")
"""The levels a flow-alignment module can warp from (``fam_levels``)."""
LITE_LEVELS = ("P2", "P4", "P5")
"""The pyramid levels SFNet-Lite's decoder reads."""
DEEP_SUPERVISION_OUTPUTS = ("logits", "aux_p4", "aux_p3", "aux_p2")
"""Output names of a deep-supervision model, main logits first."""

# --- Decoder switches (the paper's ablations) ---------------------------------------
DECODERS = ("aligned_fpn", "fpn", "fcn", "dilated_fcn")
SINGLE_LEVEL_DECODERS = ("fcn", "dilated_fcn")
CONTEXT_HEADS = ("ppm", "none", "aspp", "non_local", "dense_aspp")
UPSAMPLINGS = ("bilinear", "deconvolution", "nearest")
FLOW_ESTIMATORS = ("conv", "correlation")
ALIGNMENTS = ("fam", "dcn")
FINAL_FUSIONS = ("resize", "fam")
DECODER_SWITCHES = (
    "decoder",
    "context",
    "fam_levels",
    "flow_kernel_size",
    "fam_upsampling",
    "flow_estimator",
    "alignment",
    "final_fusion",
)
"""The keys of ``SFNet(decoder_options=...)`` (one ``sfnet-train`` flag each)."""

# --- Training -----------------------------------------------------------------------
LOSSES = ("ohem", "cross_entropy")
OPTIMIZERS = ("sgd", "adamw")
AUGMENTATIONS = ("released", "paper", "crop_only")
MIXED_PRECISION = ("off", "float16", "bfloat16")
DISTRIBUTIONS = ("auto", "none", "mirrored", "multi_worker")
INPUT_PIPELINES = ("auto", "tf_data", "arrays")
"""``sfnet-train --input-pipeline``: tf.data, the TensorFlow-free arrays, or by backend."""

# --- Datasets -----------------------------------------------------------------------
BUILTIN_DATASETS = ("cityscapes", "camvid", "ade20k", "pascal_context")
"""Datasets with a built-in layout, class names and palette."""
DRIVING_DATASETS = (
    "mapillary", "mapillary_19", "mapillary_v2", "mapillary_v2_19", "bdd100k", "idd", "idd_19",
    "kitti",
)  # fmt: skip
"""Driving datasets (their own classes, or ``*_19``: mapped to the Cityscapes 19)."""
DATASET_INFOS = BUILTIN_DATASETS + DRIVING_DATASETS
"""Every dataset whose class names and palette are built in."""
DATASETS = BUILTIN_DATASETS + ("folder", "synthetic") + DRIVING_DATASETS
"""What ``TrainConfig.dataset`` / ``sfnet-train --dataset`` accepts (or names joined by ``+``)."""
SYNTHETIC_LAYOUTS = ("cityscapes", "mapillary", "mapillary_v2", "bdd100k", "idd", "kitti")
"""Folder layouts the synthetic scene generator writes."""
CITYSCAPES_SPLITS = ("train", "val", "test", "trainval")

# Cityscapes label definitions (cityscapesScripts, `labels.py`):
# (name, labelId, trainId, RGB colour). trainId 255 = not used for training.
# "license plate" has labelId -1 in the official table; it never appears in the
# labelIds images, so it is left out here.
CITYSCAPES_LABELS = (
    ("unlabeled", 0, 255, (0, 0, 0)),
    ("ego vehicle", 1, 255, (0, 0, 0)),
    ("rectification border", 2, 255, (0, 0, 0)),
    ("out of roi", 3, 255, (0, 0, 0)),
    ("static", 4, 255, (0, 0, 0)),
    ("dynamic", 5, 255, (111, 74, 0)),
    ("ground", 6, 255, (81, 0, 81)),
    ("road", 7, 0, (128, 64, 128)),
    ("sidewalk", 8, 1, (244, 35, 232)),
    ("parking", 9, 255, (250, 170, 160)),
    ("rail track", 10, 255, (230, 150, 140)),
    ("building", 11, 2, (70, 70, 70)),
    ("wall", 12, 3, (102, 102, 156)),
    ("fence", 13, 4, (190, 153, 153)),
    ("guard rail", 14, 255, (180, 165, 180)),
    ("bridge", 15, 255, (150, 100, 100)),
    ("tunnel", 16, 255, (150, 120, 90)),
    ("pole", 17, 5, (153, 153, 153)),
    ("polegroup", 18, 255, (153, 153, 153)),
    ("traffic light", 19, 6, (250, 170, 30)),
    ("traffic sign", 20, 7, (220, 220, 0)),
    ("vegetation", 21, 8, (107, 142, 35)),
    ("terrain", 22, 9, (152, 251, 152)),
    ("sky", 23, 10, (70, 130, 180)),
    ("person", 24, 11, (220, 20, 60)),
    ("rider", 25, 12, (255, 0, 0)),
    ("car", 26, 13, (0, 0, 142)),
    ("truck", 27, 14, (0, 0, 70)),
    ("bus", 28, 15, (0, 60, 100)),
    ("caravan", 29, 255, (0, 0, 90)),
    ("trailer", 30, 255, (0, 0, 110)),
    ("train", 31, 16, (0, 80, 100)),
    ("motorcycle", 32, 17, (0, 0, 230)),
    ("bicycle", 33, 18, (119, 11, 32)),
)
_TRAIN_CLASSES = sorted(
    (train_id, name, color) for name, _, train_id, color in CITYSCAPES_LABELS if train_id != 255
)
CITYSCAPES_CLASS_NAMES = tuple(name for _, name, _ in _TRAIN_CLASSES)
"""The 19 Cityscapes evaluation classes, in train-id order."""
CITYSCAPES_PALETTE = tuple(color for _, _, color in _TRAIN_CLASSES)
"""Their official RGB colours, in train-id order."""
del _TRAIN_CLASSES

# --- Files --------------------------------------------------------------------------
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
"""Image files every reader and lister accepts (OpenCV and TensorFlow decode them all)."""
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
HUB_SCHEMES = ("hf://", "kaggle://")
"""Preset sources besides local folders (Hugging Face, Kaggle)."""

# --- Prediction ---------------------------------------------------------------------
OUTPUT_KINDS = ("classes", "color", "overlay")
"""What ``sfnet-predict`` writes per input: class-index PNG, colour PNG, overlay."""
AVERAGE_MODES = ("logits", "probabilities")
"""How test-time augmentation averages its views."""
"""Preset sources besides local folders (Hugging Face, Kaggle)."""

# --- Export -------------------------------------------------------------------------
EXPORT_FORMATS = ("saved_model", "tflite", "onnx", "tensorrt")
QUANTIZATIONS = ("none", "float16", "dynamic", "int8")
"""TFLite quantizations (``sfnet-export --quantization``)."""
TENSORRT_PRECISIONS = ("float32", "float16", "int8")
"""TensorRT engine precisions."""
