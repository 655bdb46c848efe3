"""keras_sfnet: SFNet scene parsing for Keras 3, exact to the authors' network.

Example:
>>> import keras_sfnet
>>> model = keras_sfnet.SFNet(backbone="resnet18", num_classes=19)
"""

from keras_sfnet import (
    backbones,
    convert,
    data,
    evaluation,
    export,
    inference,
    kernels,  # loads the fused flow-warp kernel when it was built
    layers,
    losses,
    metrics,
    models,
    ops,
    training,
    visualize,
)
from keras_sfnet.evaluation import evaluate
from keras_sfnet.inference import Segmenter
from keras_sfnet.layers.image_converter import ImageConverter
from keras_sfnet.models.configurations import list_models
from keras_sfnet.models.sfnet import SFNet

__version__ = "0.1.0"

__all__ = [
    "ImageConverter",
    "SFNet",
    "Segmenter",
    "backbones",
    "convert",
    "data",
    "evaluate",
    "evaluation",
    "export",
    "inference",
    "kernels",
    "layers",
    "list_models",
    "losses",
    "metrics",
    "models",
    "ops",
    "training",
    "visualize",
    "__version__",
]
