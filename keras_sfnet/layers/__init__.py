"""Reusable SFNet layers."""

from keras_sfnet.layers.aligned_fpn import AlignedFPN
from keras_sfnet.layers.aspp import ASPP
from keras_sfnet.layers.auxiliary_head import AuxiliaryHead
from keras_sfnet.layers.channel_shuffle import ChannelShuffle
from keras_sfnet.layers.channel_split import ChannelSplit
from keras_sfnet.layers.configurable_fpn import ConfigurableFPN
from keras_sfnet.layers.context_head import ContextHead
from keras_sfnet.layers.conv_bn_relu import ConvBNReLU
from keras_sfnet.layers.correlation_flow import CorrelationFlow
from keras_sfnet.layers.deformable_alignment import DeformableAlignment
from keras_sfnet.layers.dense_aspp import DenseASPP
from keras_sfnet.layers.fcn_head import FCNHead
from keras_sfnet.layers.flow_alignment import FlowAlignment
from keras_sfnet.layers.gated_flow_alignment import GatedFlowAlignment
from keras_sfnet.layers.image_converter import ImageConverter
from keras_sfnet.layers.lite_aligned_fpn import LiteAlignedFPN
from keras_sfnet.layers.non_local_block import NonLocalBlock
from keras_sfnet.layers.pyramid_pooling import PyramidPooling
from keras_sfnet.layers.resize_like import ResizeLike
from keras_sfnet.layers.split_input_conv import SplitInputConv2D
from keras_sfnet.layers.subsample import Subsample2D
from keras_sfnet.layers.unbiased_batch_normalization import UnbiasedBatchNormalization

__all__ = [
    "AlignedFPN",
    "ASPP",
    "AuxiliaryHead",
    "ChannelShuffle",
    "ChannelSplit",
    "ConfigurableFPN",
    "ContextHead",
    "ConvBNReLU",
    "CorrelationFlow",
    "DeformableAlignment",
    "DenseASPP",
    "FCNHead",
    "FlowAlignment",
    "GatedFlowAlignment",
    "ImageConverter",
    "LiteAlignedFPN",
    "NonLocalBlock",
    "PyramidPooling",
    "ResizeLike",
    "SplitInputConv2D",
    "Subsample2D",
    "UnbiasedBatchNormalization",
]
