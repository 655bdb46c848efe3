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

_PACKAGE = "keras_sfnet.decoders"
_EXPORTS = {
    "ASPP": f"{_PACKAGE}.aspp",
    "AlignedFPN": f"{_PACKAGE}.aligned_fpn",
    "AuxiliaryHead": f"{_PACKAGE}.auxiliary_head",
    "ConfigurableFPN": f"{_PACKAGE}.configurable_fpn",
    "ContextHead": f"{_PACKAGE}.context_head",
    "CorrelationFlow": f"{_PACKAGE}.correlation_flow",
    "DEFAULT_SWITCHES": f"{_PACKAGE}.switches",
    "DeformableAlignment": f"{_PACKAGE}.deformable_alignment",
    "DenseASPP": f"{_PACKAGE}.dense_aspp",
    "FCNDecoder": f"{_PACKAGE}.fcn_decoder",
    "FCNHead": f"{_PACKAGE}.fcn_decoder",
    "FlowAlignment": f"{_PACKAGE}.flow_alignment",
    "GatedFlowAlignment": f"{_PACKAGE}.gated_flow_alignment",
    "LiteAlignedFPN": f"{_PACKAGE}.lite_aligned_fpn",
    "NonLocalBlock": f"{_PACKAGE}.non_local_block",
    "PyramidPooling": f"{_PACKAGE}.pyramid_pooling",
    "build_decoder": f"{_PACKAGE}.decoder_factory",
    "changed_switches": f"{_PACKAGE}.switches",
    "check_switches": f"{_PACKAGE}.switches",
    "correlation_volume": f"{_PACKAGE}.correlation_flow",
    "is_released": f"{_PACKAGE}.switches",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
