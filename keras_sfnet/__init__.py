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
    layers,
    losses,
    metrics,
    models,
    ops,
    training,
    visualize,
)
from keras_sfnet import kernels  # noqa: F401  (loads the fused warp if built)
from keras_sfnet.evaluation import evaluate
from keras_sfnet.inference import Segmenter
from keras_sfnet.models.sfnet import SFNet

__version__ = "0.1.0"

__all__ = [
    "SFNet",
    "Segmenter",
    "backbones",
    "convert",
    "data",
    "evaluate",
    "evaluation",
    "export",
    "inference",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "training",
    "visualize",
    "__version__",
]
