"""`ConfigurableFPN`: :class:`AlignedFPN` in the ablation layout (an older name)."""

from __future__ import annotations

import keras

from keras_sfnet.decoders.aligned_fpn import AlignedFPN
from keras_sfnet.names import ALIGNMENTS, FAM_LEVELS, FINAL_FUSIONS, LEVELS  # noqa: F401 (re-exported)

__all__ = ["ConfigurableFPN"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class ConfigurableFPN(AlignedFPN):
    """:class:`AlignedFPN` with its switches first, in the layout of the ablation models.

    The same decoder (Tables 1, 2 of Li et al., ECCV 2020; see :class:`AlignedFPN`),
    kept under this name because saved models address it by class name: the context
    module is always a :class:`ContextHead` (layer ``ppm``, attribute
    ``context_head``), so ``.keras`` / ``.weights.h5`` files of the ablation models
    load unchanged. :func:`keras_sfnet.decoders.build_decoder` builds this class for
    switches other than the released ones. New code can use :class:`AlignedFPN`.

    Args:
        filters: int, decoder width (``fpn_dim``). Defaults to 128.
        context, fam_levels, kernel_size, upsampling, flow_estimator, alignment,
        final_fusion, bins, deep_supervision, dropout, levels: as in
            :class:`AlignedFPN`.

    Example:
    >>> decoder = ConfigurableFPN(filters=16, fam_levels=("P5",), context="aspp")
    >>> pyramid = {f"P{i}": keras.ops.zeros((1, 64 // 2**i, 64 // 2**i, 8)) for i in range(2, 6)}
    >>> out = decoder(pyramid)
    >>> tuple(out["features"].shape), sorted(out)
    ((1, 16, 16, 16), ['features', 'flow_p4'])
    """

    _context_head_layout = True
    # The positional order of this class's arguments after `filters`: the switches
    # first. Defaults, checks and config are :class:`AlignedFPN`'s.
    _positional_arguments = (
        "context", "fam_levels", "kernel_size", "upsampling", "flow_estimator", "alignment",
        "final_fusion", "bins", "deep_supervision", "dropout", "levels",
    )  # fmt: skip

    def __init__(self, filters: int = 128, *args, **kwargs):
        if len(args) > len(self._positional_arguments):
            raise TypeError(
                f"ConfigurableFPN takes at most {len(self._positional_arguments) + 1} "
                f"positional arguments. Received: {len(args) + 1}"
            )
        for name, value in zip(self._positional_arguments, args):
            if name in kwargs:
                raise TypeError(f"ConfigurableFPN got multiple values for argument {name!r}")
            kwargs[name] = value
        super().__init__(filters, **kwargs)
