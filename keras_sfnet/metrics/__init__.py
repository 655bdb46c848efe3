"""keras_sfnet.metrics: mean IoU (streaming Keras metric and numpy helpers)."""

from keras_sfnet.metrics.confusion_matrix import ConfusionMatrix, compute_iou
from keras_sfnet.metrics.mean_iou import MeanIoU

__all__ = ["ConfusionMatrix", "MeanIoU", "compute_iou"]
