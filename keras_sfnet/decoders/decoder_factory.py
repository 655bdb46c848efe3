"""`build_decoder`: SFNet's decoder switches -> the decoder layer."""

from __future__ import annotations

from typing import Any

import keras

from keras_sfnet.decoders.aligned_fpn import AlignedFPN
from keras_sfnet.decoders.configurable_fpn import ConfigurableFPN
from keras_sfnet.decoders.fcn_decoder import FCNHead
from keras_sfnet.decoders.switches import is_released
from keras_sfnet.names import FAM_LEVELS, LEVELS, SINGLE_LEVEL_DECODERS

__all__ = ["build_decoder"]


def build_decoder(
    switches: dict[str, Any],
    filters: int,
    deep_supervision: bool,
    dropout: float,
    name: str,
    levels=LEVELS,
) -> keras.layers.Layer:
    """The decoder layer for normalised switches (see :func:`check_switches`).

    The released switches give :class:`AlignedFPN` (so checkpoints convert); the
    FCN baselines give :class:`FCNHead`; everything else :class:`ConfigurableFPN`.

    ``levels`` are the pyramid keys the encoder hands the decoder, fine to coarse; the
    released decoder takes any number (DFNet has three). So do the ablation decoders,
    except that ``fam_levels`` (named ``P3``..``P5``) must then be all levels or none
    (the FPN baseline on DFNet: Table 1(d)); a subset needs ``("P2", "P3", "P4", "P5")``.

    Example:
    >>> decoder = build_decoder(check_switches({"decoder": "fpn"}), 16, False, 0.1, "decoder")
    """
    levels = tuple(levels)
    if is_released(switches):
        return AlignedFPN(
            filters, deep_supervision=deep_supervision, dropout=dropout, levels=levels, name=name
        )
    if switches["decoder"] in SINGLE_LEVEL_DECODERS:
        return FCNHead(filters, context=switches["context"], dropout=dropout, name=name)
    fam_levels = switches["fam_levels"]
    if levels != tuple(LEVELS):
        if fam_levels not in ((), FAM_LEVELS):
            raise ValueError(
                f"`fam_levels` {list(fam_levels)} names levels of the P2..P5 pyramid; this "
                f"encoder's pyramid is {list(levels)}, where only all levels (None) or none "
                "(decoder='fpn') can be aligned."
            )
        fam_levels = levels[1:] if fam_levels else ()
    return ConfigurableFPN(
        filters,
        context=switches["context"],
        fam_levels=fam_levels,
        levels=levels,
        kernel_size=switches["flow_kernel_size"],
        upsampling=switches["fam_upsampling"],
        flow_estimator=switches["flow_estimator"],
        alignment=switches["alignment"],
        final_fusion=switches["final_fusion"],
        deep_supervision=deep_supervision,
        dropout=dropout,
        name=name,
    )
