"""Reusable SFNet building blocks (conv-BN-ReLU, resizes, channel ops, preprocessing).

The decoder layers (flow alignment, context modules, the FPN decoders, heads) live in
:mod:`keras_sfnet.decoders`; their names stay importable from here. Names load on
first access.

Example:
>>> from keras_sfnet.layers import ConvBNReLU
>>> block = ConvBNReLU(16, 3)
"""

from keras_sfnet.lazy_exports import lazy_exports

_LAYERS = "keras_sfnet.layers"
_DECODERS = "keras_sfnet.decoders"
_EXPORTS = {
    "ChannelShuffle": f"{_LAYERS}.channel_shuffle",
    "ChannelSplit": f"{_LAYERS}.channel_split",
    "ConvBNReLU": f"{_LAYERS}.conv_bn_relu",
    "ImageConverter": f"{_LAYERS}.image_converter",
    "ResizeLike": f"{_LAYERS}.resize_like",
    "SplitInputConv2D": f"{_LAYERS}.split_input_conv",
    "Subsample2D": f"{_LAYERS}.subsample",
    "UnbiasedBatchNormalization": f"{_LAYERS}.unbiased_batch_normalization",
    # Moved to keras_sfnet.decoders (kept here for old imports).
    "AlignedFPN": f"{_DECODERS}.aligned_fpn",
    "ASPP": f"{_DECODERS}.aspp",
    "AuxiliaryHead": f"{_DECODERS}.auxiliary_head",
    "ConfigurableFPN": f"{_DECODERS}.configurable_fpn",
    "ContextHead": f"{_DECODERS}.context_head",
    "CorrelationFlow": f"{_DECODERS}.correlation_flow",
    "DeformableAlignment": f"{_DECODERS}.deformable_alignment",
    "DenseASPP": f"{_DECODERS}.dense_aspp",
    "FCNDecoder": f"{_DECODERS}.fcn_decoder",
    "FCNHead": f"{_DECODERS}.fcn_decoder",
    "FlowAlignment": f"{_DECODERS}.flow_alignment",
    "GatedFlowAlignment": f"{_DECODERS}.gated_flow_alignment",
    "LiteAlignedFPN": f"{_DECODERS}.lite_aligned_fpn",
    "NonLocalBlock": f"{_DECODERS}.non_local_block",
    "PyramidPooling": f"{_DECODERS}.pyramid_pooling",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
