"""SFNet's decoder switches (the paper's ablations): validation and decoder factory."""

from __future__ import annotations

from typing import Any

import keras

from keras_sfnet.layers.aligned_fpn import LEVELS, AlignedFPN
from keras_sfnet.layers.configurable_fpn import (
    ALIGNMENTS,
    FAM_LEVELS,
    FINAL_FUSIONS,
    ConfigurableFPN,
)
from keras_sfnet.layers.context_head import CONTEXT_HEADS
from keras_sfnet.layers.fcn_head import FCNHead
from keras_sfnet.layers.flow_alignment import FLOW_ESTIMATORS, UPSAMPLINGS

__all__ = [
    "DECODERS",
    "DEFAULT_SWITCHES",
    "build_decoder",
    "changed_switches",
    "check_switches",
    "is_released",
]

from keras_sfnet.names import DECODERS, SINGLE_LEVEL_DECODERS  # noqa: F401 (re-exported)

DEFAULT_SWITCHES: dict[str, Any] = {
    "decoder": "aligned_fpn",
    "context": "ppm",
    "fam_levels": None,
    "flow_kernel_size": 3,
    "fam_upsampling": "bilinear",
    "flow_estimator": "conv",
    "alignment": "fam",
    "final_fusion": "resize",
}
"""The released network's switches (``fam_levels=None``: all levels for
``"aligned_fpn"``, none for ``"fpn"``)."""
_FAM_SWITCHES = ("fam_levels", "flow_kernel_size", "fam_upsampling", "flow_estimator", "alignment")


def check_switches(switches: dict[str, Any], deep_supervision: bool = False) -> dict[str, Any]:
    """Validates decoder switches; returns them complete and normalised.

    Raises:
        ValueError: naming the bad switch and its allowed values.

    Example:
    >>> check_switches({"decoder": "fpn"})["fam_levels"]
    ()
    """
    unknown = sorted(set(switches) - set(DEFAULT_SWITCHES))
    if unknown:
        raise ValueError(f"Unknown decoder switches {unknown}. Known: {list(DEFAULT_SWITCHES)}")
    values = {**DEFAULT_SWITCHES, **switches}
    for name, choices in (
        ("decoder", DECODERS),
        ("context", CONTEXT_HEADS),
        ("fam_upsampling", UPSAMPLINGS),
        ("flow_estimator", FLOW_ESTIMATORS),
        ("alignment", ALIGNMENTS),
        ("final_fusion", FINAL_FUSIONS),
    ):
        if values[name] not in choices:
            raise ValueError(
                f"`{name}` must be one of {list(choices)}. Received: {name}={values[name]!r}"
            )
    kernel = values["flow_kernel_size"]
    if isinstance(kernel, bool) or not isinstance(kernel, int) or kernel < 1 or kernel % 2 != 1:
        raise ValueError(
            "`flow_kernel_size` must be a positive odd integer (symmetric padding). "
            f"Received: flow_kernel_size={kernel!r}"
        )
    if values["alignment"] == "dcn" and (values["fam_upsampling"], values["flow_estimator"]) != (
        "bilinear",
        "conv",
    ):
        raise ValueError(
            "`fam_upsampling` and `flow_estimator` are FAM options; with alignment='dcn' leave "
            f"them at their defaults. Received: fam_upsampling={values['fam_upsampling']!r}, "
            f"flow_estimator={values['flow_estimator']!r}"
        )
    decoder = values["decoder"]
    levels = values["fam_levels"]
    if levels is None:
        levels = FAM_LEVELS if decoder == "aligned_fpn" else ()
    if isinstance(levels, str):
        levels = (levels,)
    levels = tuple(str(level).upper() for level in levels)
    if any(level not in FAM_LEVELS for level in levels):
        raise ValueError(
            f"`fam_levels` must be a subset of {list(FAM_LEVELS)}. Received: fam_levels={levels}"
        )
    values["fam_levels"] = tuple(level for level in FAM_LEVELS if level in levels)
    if decoder == "fpn" and values["fam_levels"]:
        raise ValueError(
            "decoder='fpn' is the plain bilinear top-down path; use decoder='aligned_fpn' "
            f"for FAMs. Received: fam_levels={values['fam_levels']}"
        )
    if decoder in SINGLE_LEVEL_DECODERS:
        changed = [
            k
            for k in _FAM_SWITCHES + ("final_fusion",)
            if k != "fam_levels" and values[k] != DEFAULT_SWITCHES[k]
        ]
        if values["fam_levels"] or changed:
            raise ValueError(
                f"decoder={decoder!r} has no FAM or fusion; drop {changed or ['fam_levels']}."
            )
        if deep_supervision:
            raise ValueError(
                f"decoder={decoder!r} has no intermediate levels for deep supervision. "
                "Received: deep_supervision=True; set it to False."
            )
    return values


def is_released(switches: dict[str, Any]) -> bool:
    """Whether normalised switches describe the released network (:class:`AlignedFPN`)."""
    released = check_switches({})
    return all(switches[k] == released[k] for k in released)


def changed_switches(switches: dict[str, Any]) -> dict[str, Any]:
    """The switches that differ from the released network's, e.g. for error messages."""
    released = check_switches({})
    return {k: v for k, v in switches.items() if v != released[k]}


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
