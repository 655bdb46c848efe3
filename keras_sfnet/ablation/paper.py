"""The SFNet paper's own figures for every ablation row, keyed by row key.

Li et al., "Semantic Flow for Fast and Accurate Scene Parsing" (ECCV 2020,
arXiv 2002.10120), Tables 1 and 2 (ResNet-18 unless stated, Cityscapes val, GFLOPs
at 1024x1024), as transcribed in ``../shared/docs/paper_tables.md``. This module is
the one place these numbers live: the rows (:mod:`keras_sfnet.ablation.rows`), the
ablation tool's table and plot, the docs tables and the tests read them from here.

Example:
>>> PAPER_RESULTS["2b_k5"].miou, PAPER_RESULTS["2b_k5"].gflops
(78.1, 131.6)
>>> paper_delta("1b_fam_p5")
0.9
"""

from __future__ import annotations

import dataclasses

__all__ = [
    "PAPER_INCONSISTENCIES",
    "PAPER_RESULTS",
    "PaperResult",
    "baseline_of",
    "paper_delta",
]

RELEASED_GFLOPS_NOTE = (
    "123.5 GFLOPs: the released network's cost as Tables 1(c), 2(b) and 4 give it; "
    "this row's table prints no cost"
)


@dataclasses.dataclass(frozen=True)
class PaperResult:
    """What the paper prints for one ablation row.

    Attributes:
        miou: Cityscapes val mIoU (%), or None where the paper has no such row.
        gflops: the paper's "GFLOPs" (MACs) at 1024x1024, or None where not given.
        delta: the delta column as printed (mIoU points over the table's baseline), or
            None where the row is the baseline or the table prints none.
        baseline: key of the row the delta is measured from (None: no baseline).
        note: what the text says about the row beyond its numbers ("" if nothing).

    Example:
    >>> PAPER_RESULTS["1c_fam_aspp"].baseline
    '1c_fam'
    """

    miou: float | None
    gflops: float | None = None
    delta: float | None = None
    baseline: str | None = None
    note: str = ""


def _r(miou, gflops=None, delta=None, baseline=None, note=""):
    return PaperResult(miou, gflops, delta, baseline, note)


_RELEASED = dict(gflops=123.5, note=RELEASED_GFLOPS_NOTE)
_NOT_IN_PAPER_1B = (
    "not in the paper: Table 1(b) has one two-level row (77.8), most likely F4 + F5 "
    "(`1b_fam_p4_p5`)"
)

PAPER_RESULTS: dict[str, PaperResult] = {
    # Table 1(a): baselines, deltas over FCN.
    "1a_fcn": _r(71.5),
    "1a_dilated_fcn": _r(72.6, None, 1.1, "1a_fcn"),
    "1a_fpn": _r(74.8, None, 3.3, "1a_fcn"),
    "1a_fpn_fam": _r(77.2, None, 5.7, "1a_fcn"),
    "1a_fpn_ppm": _r(76.6, None, 5.1, "1a_fcn"),
    "1a_fam_ppm": _r(
        78.7, 123.5, 7.2, "1a_fcn",
        "78.7 here; the same network is 78.3 in Tables 1(b), 1(c), 2(a)-(d). " + RELEASED_GFLOPS_NOTE,
    ),  # fmt: skip
    # Table 1(b): where the FAMs sit, deltas over FPN + PPM.
    "1b_fpn_ppm": _r(76.6),
    "1b_fam_p3": _r(76.9, None, 0.3, "1b_fpn_ppm"),
    "1b_fam_p4": _r(77.0, None, 0.4, "1b_fpn_ppm"),
    "1b_fam_p5": _r(77.5, None, 0.9, "1b_fpn_ppm", "FAM \"gets the greatest improvement at the last stage\""),
    "1b_fam_p3_p4": _r(None, note=_NOT_IN_PAPER_1B),
    "1b_fam_p3_p5": _r(None, note=_NOT_IN_PAPER_1B),
    "1b_fam_p4_p5": _r(
        77.8, None, 1.2, "1b_fpn_ppm",
        "the paper's two-level row; the transcription lost its levels, the column layout "
        "points to F4 + F5, so most likely this row",
    ),  # fmt: skip
    "1b_fam_p3_p4_p5": _r(78.3, 123.5, 1.7, "1b_fpn_ppm", RELEASED_GFLOPS_NOTE),
    # Table 1(c): context modules on the FAM decoder, deltas over FAM alone.
    "1c_fam": _r(76.4, note="76.4 here; Table 1(a)'s +FAM row (no context either) is 77.2"),
    "1c_fam_ppm": _r(78.3, 123.5, 1.9, "1c_fam"),
    "1c_fam_non_local": _r(76.8, 148.0, 0.4, "1c_fam"),
    "1c_fam_aspp": _r(77.6, 138.6, 1.2, "1c_fam"),
    "1c_fam_dense_aspp": _r(77.5, 141.5, 1.1, "1c_fam"),
    # Table 1(d): backbones, FPN + PPM then with FAM (delta over the backbone's FPN + PPM).
    "1d_r50_fpn_ppm": _r(76.8, 332.6),
    "1d_r50_sfnet": _r(79.2, 337.1, 2.4, "1d_r50_fpn_ppm"),
    "1d_r101_fpn_ppm": _r(77.6, 412.7),
    "1d_r101_sfnet": _r(79.8, 417.5, 2.2, "1d_r101_fpn_ppm"),
    "1d_shufflenetv2_fpn_ppm": _r(69.8, 17.8),
    "1d_shufflenetv2_sfnet": _r(72.1, 18.1, 2.3, "1d_shufflenetv2_fpn_ppm"),
    "1d_df1_fpn_ppm": _r(72.1, 18.6),
    "1d_df1_sfnet": _r(74.3, 18.7, 2.2, "1d_df1_fpn_ppm"),
    "1d_df2_fpn_ppm": _r(73.2, 48.2),
    "1d_df2_sfnet": _r(75.8, 48.5, 2.6, "1d_df2_fpn_ppm"),
    # Table 2(a): upsampling inside FAM (no delta column; the released bilinear is the
    # reference).
    "2a_up_bilinear": _r(78.3, **_RELEASED),
    "2a_up_deconvolution": _r(77.9, baseline="2a_up_bilinear"),
    "2a_up_nearest": _r(78.2, baseline="2a_up_bilinear"),
    # Table 2(b): flow kernel size (no delta column; the released k = 3 is the reference).
    "2b_k1": _r(77.8, 120.4, baseline="2b_k3"),
    "2b_k3": _r(78.3, 123.5),
    "2b_k5": _r(78.1, 131.6, baseline="2b_k3", note="78.1 in the table, 78.2 in the text"),
    "2b_k7": _r(78.0, 140.5, baseline="2b_k3"),
    # Table 2(c): one FAM at F5, conv vs correlation flow, deltas over FPN + PPM.
    "2c_fpn_ppm": _r(76.6),
    "2c_flownet_c": _r(77.2, None, 0.6, "2c_fpn_ppm"),
    "2c_flownet_s": _r(
        77.5, None, 0.9, "2c_fpn_ppm", "77.5 = Table 1(b)'s F5-only row: a single FAM at F5"
    ),
    # Table 2(d): DCN instead of FAM, at F5 and at F3-F5, deltas over FPN + PPM.
    "2d_fpn_ppm": _r(76.6),
    "2d_dcn_p5": _r(76.9, None, 0.3, "2d_fpn_ppm"),
    "2d_fam_p5": _r(77.5, None, 0.9, "2d_fpn_ppm"),
    "2d_dcn": _r(
        77.2, None, 0.6, "2d_fpn_ppm",
        "DCN \"on the concatenated feature map of bilinear upsampled feature map and the "
        "feature map of next level\"",
    ),  # fmt: skip
    "2d_fam": _r(78.3, 123.5, 1.7, "2d_fpn_ppm", RELEASED_GFLOPS_NOTE),
    # Section 3.3: the text proposes FAMs in the final fusion too; no table row.
    "s33_fusion_fam": _r(None, note="section 3.3's text only; no table gives its mIoU"),
}
"""Row key -> :class:`PaperResult`, for every row of :data:`ABLATION_ROWS` (tested)."""

PAPER_INCONSISTENCIES: tuple[str, ...] = (
    "The full network (three FAMs + PPM, ResNet-18) is 78.7 in Table 1(a) but 78.3 in "
    "Tables 1(b), 1(c), 2(a), 2(b) and 2(d); the paper does not explain the difference "
    "(likely separate runs).",
    "k = 5 in Table 2(b) is 78.1 in the table and 78.2 (\"a similar (78.2)\") in the text.",
    "The FAM decoder without a context module is 77.2 in Table 1(a) (+FAM) but 76.4 in "
    "Table 1(c) (FAM); the text describes no difference between the two settings.",
    "Table 1(b)'s two-level row (77.8) does not say which two levels (the transcription "
    "lost them; the layout points to F4 + F5).",
)
"""Where the paper disagrees with itself (``docs/ablations.md`` lists these)."""


def baseline_of(key: str) -> str | None:
    """The key of the row the paper measures ``key``'s delta from (None: none).

    Example:
    >>> baseline_of("1d_df1_sfnet")
    '1d_df1_fpn_ppm'
    """
    if key not in PAPER_RESULTS:
        raise ValueError(
            f"Unknown ablation row {key!r}. Known rows: {list(PAPER_RESULTS)}"
        )
    return PAPER_RESULTS[key].baseline


def paper_delta(key: str) -> float | None:
    """The paper's mIoU of ``key`` minus its baseline's, rounded to 0.1 (None if either
    is missing).

    Example:
    >>> paper_delta("1c_fam_ppm")
    1.9
    """
    base = baseline_of(key)
    miou = PAPER_RESULTS[key].miou
    if base is None or miou is None or PAPER_RESULTS[base].miou is None:
        return None
    return round(miou - PAPER_RESULTS[base].miou, 1)
