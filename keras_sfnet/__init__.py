"""keras_sfnet: SFNet scene parsing for Keras 3, exact to the authors' network.

The model core (``SFNet``, the layers, backbones, losses, metrics, ``Segmenter``,
checkpoint conversion, ``.keras`` and presets) runs on every Keras 3 backend
(TensorFlow, JAX, PyTorch) and imports TensorFlow only on the TensorFlow backend.
Subpackages load on first access, so ``import keras_sfnet`` stays cheap; the ones that
are TensorFlow by nature (``data`` pipelines, ``export``, ``kernels``) say what to
install when TensorFlow is missing.

Example:
>>> import keras_sfnet
>>> model = keras_sfnet.SFNet(backbone="resnet18", num_classes=19)
"""

from __future__ import annotations

import importlib

from keras_sfnet.layers.image_converter import ImageConverter
from keras_sfnet.models.family import list_models
from keras_sfnet.models.sfnet import SFNet
from keras_sfnet.version import __version__

_SUBPACKAGES = (
    "backbones",
    "convert",
    "decoders",
    "data",
    "evaluation",
    "export",
    "inference",
    "kernels",
    "layers",
    "losses",
    "metrics",
    "models",
    "names",
    "ops",
    "optimizers",
    "synthetic",
    "training",
    "visualize",
    "weights",
)
_LAZY_NAMES = {
    "Segmenter": "keras_sfnet.inference.segmenter",
    "evaluate": "keras_sfnet.evaluation",
}

__all__ = ["ImageConverter", "SFNet", "Segmenter", "evaluate", "list_models", "__version__"]
__all__ += list(_SUBPACKAGES)


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"keras_sfnet.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'keras_sfnet' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
