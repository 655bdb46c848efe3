"""Reusable SFNet building blocks (conv-BN-ReLU, resizes, channel ops, preprocessing).

The decoder layers (flow alignment, context modules, the FPN decoders, heads) live in
:mod:`keras_sfnet.decoders`; their names stay importable from here. Names load on
first access.

Example:
>>> from keras_sfnet.layers import ConvBNReLU
>>> block = ConvBNReLU(16, 3)
"""

from keras_sfnet.lazy_exports import lazy_exports

#: The modules whose ``__all__`` make up this package (read on first access), and the
#: decoder layers that moved to :mod:`keras_sfnet.decoders` (kept here for old imports).
__getattr__, __dir__ = lazy_exports(__name__, {
    "keras_sfnet.decoders": (
        "ASPP", "AlignedFPN", "AuxiliaryHead", "ConfigurableFPN", "ContextHead",
        "CorrelationFlow", "DeformableAlignment", "DenseASPP", "FCNDecoder", "FCNHead",
        "FlowAlignment", "GatedFlowAlignment", "LiteAlignedFPN", "NonLocalBlock",
        "PyramidPooling",
    ),
}, modules=(
    "channel_shuffle", "channel_split", "conv_bn_relu", "image_converter", "resize_like",
    "split_input_conv", "subsample", "unbiased_batch_normalization",
))
