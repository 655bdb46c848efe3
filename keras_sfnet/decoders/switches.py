"""SFNet's decoder switches (the paper's ablations): validation and comparison.

:func:`check_switches` completes and checks the switches :class:`keras_sfnet.SFNet`
takes; :func:`keras_sfnet.decoders.build_decoder` turns them into a decoder layer.
No Keras import: the rules are plain Python.

Example:
>>> changed_switches(check_switches({"context": "aspp"}))
{'context': 'aspp'}
"""

from __future__ import annotations

from typing import Any

from keras_sfnet.decoders.argument_checks import (
    check_choice,
    check_fam_options,
    check_odd_kernel,
    select_levels,
)
from keras_sfnet.names import (
    ALIGNMENTS,
    CONTEXT_HEADS,
    DECODERS,
    FAM_LEVELS,
    FINAL_FUSIONS,
    FLOW_ESTIMATORS,
    SINGLE_LEVEL_DECODERS,
    UPSAMPLINGS,
)

__all__ = [
    "DECODERS",
    "DEFAULT_SWITCHES",
    "SINGLE_LEVEL_DECODERS",
    "changed_switches",
    "check_switches",
    "is_released",
]

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
        check_choice(name, values[name], choices)
    check_odd_kernel("flow_kernel_size", values["flow_kernel_size"])
    check_fam_options(
        values["alignment"],
        {
            "fam_upsampling": (values["fam_upsampling"], "bilinear"),
            "flow_estimator": (values["flow_estimator"], "conv"),
        },
    )
    decoder = values["decoder"]
    levels = values["fam_levels"]
    if levels is None and decoder != "aligned_fpn":
        levels = ()
    values["fam_levels"] = select_levels("fam_levels", levels, FAM_LEVELS)
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
