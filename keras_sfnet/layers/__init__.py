"""Reusable SFNet layers."""

from keras_sfnet.layers.aligned_fpn import AlignedFPN
from keras_sfnet.layers.aspp import ASPP
from keras_sfnet.layers.auxiliary_head import AuxiliaryHead
from keras_sfnet.layers.configurable_fpn import ConfigurableFPN
from keras_sfnet.layers.context_head import ContextHead
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU
from keras_sfnet.layers.correlation_flow import CorrelationFlow
from keras_sfnet.layers.deformable_alignment import DeformableAlignment
from keras_sfnet.layers.dense_aspp import DenseASPP
from keras_sfnet.layers.fcn_head import FCNHead
from keras_sfnet.layers.flow_alignment import FlowAlignment
from keras_sfnet.layers.non_local_block import NonLocalBlock
from keras_sfnet.layers.pyramid_pooling import PyramidPooling
from keras_sfnet.layers.resize_like import ResizeLike
from keras_sfnet.layers.subsample import Subsample2D

__all__ = [
    "ASPP",
    "AlignedFPN",
    "AuxiliaryHead",
    "ConfigurableFPN",
    "ContextHead",
    "ConvBNReLU",
    "CorrelationFlow",
    "DeformableAlignment",
    "DenseASPP",
    "FCNHead",
    "FlowAlignment",
    "NonLocalBlock",
    "PyramidPooling",
    "ResizeLike",
    "Subsample2D",
]
