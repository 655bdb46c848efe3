"""SFNet decoders and their parts: everything between the backbone's pyramid and the
class-specific layers of :class:`keras_sfnet.SFNet`.

- Alignment modules (called on ``[fine, coarse]``): :class:`FlowAlignment` (FAM),
  :class:`GatedFlowAlignment` (SFNet-Lite's GD-FAM), :class:`DeformableAlignment`,
  with :class:`CorrelationFlow` as FAM's alternative flow estimator.
- Context modules on the coarsest level: :class:`PyramidPooling`, :class:`ASPP`,
  :class:`NonLocalBlock`, :class:`DenseASPP`, chosen by name in :class:`ContextHead`.
- Decoders (pyramid dict in, ``{"features", "flow_*", ...}`` out):
  :class:`AlignedFPN` (SFNet v1, with the paper's ablation switches),
  :class:`LiteAlignedFPN` (SFNet-Lite), :class:`FCNDecoder` (the FCN baselines).
- Heads shared by the segmenters: :class:`AuxiliaryHead` (deep supervision).
- :func:`build_decoder` / :func:`check_switches`: SFNet's switches -> decoder layer.

Names load on first access.

Example:
>>> from keras_sfnet.decoders import AlignedFPN
>>> decoder = AlignedFPN(filters=16, fam_levels=("P5",))
"""

from keras_sfnet.lazy_exports import lazy_exports

#: The modules whose ``__all__`` make up this package (read on first access).
__getattr__, __dir__ = lazy_exports(__name__, modules=(
    "aligned_fpn", "aspp", "auxiliary_head", "configurable_fpn", "context_head",
    "correlation_flow", "decoder_factory", "deformable_alignment", "dense_aspp",
    "fcn_decoder", "flow_alignment", "gated_flow_alignment", "lite_aligned_fpn",
    "non_local_block", "pyramid_pooling", "switches",
))
