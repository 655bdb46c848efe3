"""Reusable SFNet layers."""

from keras_sfnet.layers.aligned_fpn import AlignedFPN
from keras_sfnet.layers.auxiliary_head import AuxiliaryHead
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU
from keras_sfnet.layers.flow_alignment import FlowAlignment
from keras_sfnet.layers.image_converter import ImageConverter
from keras_sfnet.layers.pyramid_pooling import PyramidPooling
from keras_sfnet.layers.resize_like import ResizeLike
from keras_sfnet.layers.subsample import Subsample2D
from keras_sfnet.layers.unbiased_batch_normalization import UnbiasedBatchNormalization

__all__ = [
    "AlignedFPN",
    "AuxiliaryHead",
    "ConvBNReLU",
    "FlowAlignment",
    "ImageConverter",
    "PyramidPooling",
    "ResizeLike",
    "Subsample2D",
    "UnbiasedBatchNormalization",
]
