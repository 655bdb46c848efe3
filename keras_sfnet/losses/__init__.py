"""keras_sfnet.losses: segmentation losses (OHEM and plain cross-entropy)."""

from keras_sfnet.losses.deep_supervision import (
    DEEP_SUPERVISION_OUTPUTS,
    deep_supervision_losses,
    labels_for_outputs,
    replicate_labels,
)
from keras_sfnet.losses.ohem_cross_entropy import OHEMCrossEntropy
from keras_sfnet.losses.segmentation_cross_entropy import SegmentationCrossEntropy

__all__ = [
    "DEEP_SUPERVISION_OUTPUTS",
    "OHEMCrossEntropy",
    "SegmentationCrossEntropy",
    "deep_supervision_losses",
    "labels_for_outputs",
    "replicate_labels",
]
