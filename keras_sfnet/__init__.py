"""keras_sfnet: SFNet scene parsing for Keras 3, exact to the authors' network.

Example:
>>> import keras_sfnet
>>> model = keras_sfnet.SFNet(backbone="resnet18", num_classes=19)
"""

from keras_sfnet import backbones, layers, models, ops
from keras_sfnet.models.sfnet import SFNet

__version__ = "0.1.0"

__all__ = ["SFNet", "backbones", "layers", "models", "ops", "__version__"]
