"""The rows of the SFNet paper's ablation tables as model settings.

"Semantic Flow for Fast and Accurate Scene Parsing" (Li et al., ECCV 2020),
section 4.1: every row of Tables 1(a)-(d) and 2(a)-(d) (ResNet-18 unless the row
says otherwise, Cityscapes val; each table's baseline row included, so one
configuration may appear in several tables) and the FAM final fusion of section 3.3.
Each row is a set of :class:`keras_sfnet.SFNet` decoder switches;
``configs/ablations/<file>.json`` holds one training config per row. The paper's
figures are :data:`keras_sfnet.ablation.paper.PAPER_RESULTS`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from keras_sfnet.ablation.paper import PAPER_RESULTS, PaperResult

__all__ = ["ABLATION_ROWS", "AblationRow", "ablation_config", "get_rows", "write_ablation_configs"]


@dataclasses.dataclass(frozen=True)
class AblationRow:
    """One row of an ablation table.

    Attributes:
        name: short identifier (also the config file's stem after the table prefix).
        table: the paper's table, e.g. ``"1(a)"``.
        label: the row as the paper labels it.
        decoder_options: the :class:`keras_sfnet.SFNet` decoder switches.
        backbone: encoder name. Defaults to ``"resnet18"``.
        paper_gflops: the paper's cost at 1024x1024 (its "GFLOPs"), or None if the
            paper gives none (from ``PAPER_RESULTS``).
        paper_miou: the paper's Cityscapes val mIoU (%), or None where the paper has
            no such row (from ``PAPER_RESULTS``).

    Example:
    >>> get_rows(["1a_fcn"])[0].decoder_options
    {'decoder': 'fcn', 'context': 'none'}
    """

    name: str
    table: str
    label: str
    decoder_options: Mapping[str, Any]
    backbone: str = "resnet18"
    paper_gflops: float | None = None
    paper_miou: float | None = None

    @property
    def key(self) -> str:
        """``"<table>_<name>"`` without punctuation, e.g. ``"1a_fcn"`` (section 3.3: ``"s33"``)."""
        prefix = self.table.replace("(", "").replace(")", "")
        if "." in prefix:
            prefix = "s" + prefix.replace(".", "")
        return f"{prefix}_{self.name}"

    @property
    def paper(self) -> PaperResult:
        """The paper's :class:`PaperResult` of this row (mIoU, GFLOPs, delta, note)."""
        return PAPER_RESULTS[self.key]


def _row(table, name, label, backbone="resnet18", **options):
    key = AblationRow(name, table, label, {}).key
    paper = PAPER_RESULTS[key]
    return AblationRow(name, table, label, dict(options), backbone, paper.gflops, paper.miou)


_R18_F5 = {"fam_levels": ["P5"]}
_ROWS = [
    # Table 1(a): decoders and context (the last row is the released network).
    _row("1(a)", "fcn", "FCN (stride 32)", decoder="fcn", context="none"),
    _row("1(a)", "dilated_fcn", "Dilated FCN (stride 8)", decoder="dilated_fcn", context="none"),
    _row("1(a)", "fpn", "+FPN", decoder="fpn", context="none"),
    _row("1(a)", "fpn_fam", "+FAM", decoder="aligned_fpn", context="none"),
    _row("1(a)", "fpn_ppm", "+FPN +PPM", decoder="fpn", context="ppm"),
    _row("1(a)", "fam_ppm", "+FAM +PPM (SFNet, released)"),
    # Table 1(b): where the FAMs sit (PPM on; "P5" = the FAM upsampling P5 onto P4,
    # the paper's F5).
    _row("1(b)", "fpn_ppm", "none (FPN + PPM)", decoder="fpn"),
    _row("1(b)", "fam_p3", "FAM at P3 only", fam_levels=["P3"]),
    _row("1(b)", "fam_p4", "FAM at P4 only", fam_levels=["P4"]),
    _row("1(b)", "fam_p5", "FAM at P5 only", **_R18_F5),
    _row("1(b)", "fam_p3_p4", "FAM at P3, P4", fam_levels=["P3", "P4"]),
    _row("1(b)", "fam_p3_p5", "FAM at P3, P5", fam_levels=["P3", "P5"]),
    _row("1(b)", "fam_p4_p5", "FAM at P4, P5", fam_levels=["P4", "P5"]),
    _row("1(b)", "fam_p3_p4_p5", "FAM at P3, P4, P5 (released)"),
    # Table 1(c): context heads on P5, with FAM.
    _row("1(c)", "fam", "FAM (no context)", context="none"),
    _row("1(c)", "fam_ppm", "FAM +PPM (released)", context="ppm"),
    _row("1(c)", "fam_non_local", "FAM +NL", context="non_local"),
    _row("1(c)", "fam_aspp", "FAM +ASPP", context="aspp"),
    _row("1(c)", "fam_dense_aspp", "FAM +DenseASPP", context="dense_aspp"),
    # Table 1(d): backbones, FPN + PPM vs SFNet (FPN + PPM + FAMs).
    _row("1(d)", "r50_fpn_ppm", "ResNet-50 FPN+PPM", "resnet50", decoder="fpn"),
    _row("1(d)", "r50_sfnet", "ResNet-50 w/ FAM", "resnet50"),
    _row("1(d)", "r101_fpn_ppm", "ResNet-101 FPN+PPM", "resnet101", decoder="fpn"),
    _row("1(d)", "r101_sfnet", "ResNet-101 w/ FAM", "resnet101"),
    _row("1(d)", "shufflenetv2_fpn_ppm", "ShuffleNetV2 FPN+PPM", "shufflenetv2", decoder="fpn"),
    _row("1(d)", "shufflenetv2_sfnet", "ShuffleNetV2 w/ FAM", "shufflenetv2"),
    _row("1(d)", "df1_fpn_ppm", "DF1 FPN+PPM", "dfnet1", decoder="fpn"),
    _row("1(d)", "df1_sfnet", "DF1 w/ FAM", "dfnet1"),
    _row("1(d)", "df2_fpn_ppm", "DF2 FPN+PPM", "dfnet2", decoder="fpn"),
    _row("1(d)", "df2_sfnet", "DF2 w/ FAM", "dfnet2"),
    # Table 2(a): upsampling inside FAM before the flow conv.
    _row("2(a)", "up_bilinear", "bilinear (released)", fam_upsampling="bilinear"),
    _row("2(a)", "up_deconvolution", "deconvolution", fam_upsampling="deconvolution"),
    _row("2(a)", "up_nearest", "nearest", fam_upsampling="nearest"),
    # Table 2(b): flow conv kernel size.
    _row("2(b)", "k1", "k = 1", flow_kernel_size=1),
    _row("2(b)", "k3", "k = 3 (released)", flow_kernel_size=3),
    _row("2(b)", "k5", "k = 5", flow_kernel_size=5),
    _row("2(b)", "k7", "k = 7", flow_kernel_size=7),
    # Table 2(c): flow estimator of a single FAM at F5 (the paper's "ours" = 1(b)'s F5 row).
    _row("2(c)", "fpn_ppm", "FPN + PPM", decoder="fpn"),
    _row("2(c)", "flownet_c", "FlowNet-C correlation, FAM at P5", flow_estimator="correlation", **_R18_F5),
    _row("2(c)", "flownet_s", "FlowNet-S style conv, FAM at P5", flow_estimator="conv", **_R18_F5),
    # Table 2(d): alignment module, at F5 only and at F3-F5.
    _row("2(d)", "fpn_ppm", "FPN + PPM", decoder="fpn"),
    _row("2(d)", "dcn_p5", "DCN v2 at P5", alignment="dcn", **_R18_F5),
    _row("2(d)", "fam_p5", "FAM at P5", alignment="fam", **_R18_F5),
    _row("2(d)", "dcn", "DCN v2 at P3, P4, P5", alignment="dcn"),
    _row("2(d)", "fam", "FAM at P3, P4, P5 (released)", alignment="fam"),
    # Section 3.3: FAMs in the final fusion too (the paper's text).
    _row("3.3", "fusion_fam", "FAM final fusion", final_fusion="fam"),
]

ABLATION_ROWS: dict[str, AblationRow] = {row.key: row for row in _ROWS}
"""Every row, keyed ``"<table>_<name>"`` (``"1a_fcn"``, ``"2b_k5"``, ...), paper order."""


def get_rows(names: Iterable[str] | None = None) -> list[AblationRow]:
    """Rows by key (all rows in paper order when ``names`` is None).

    A name may also be a table prefix (``"1a"``, ``"2b"``) for all its rows.

    Example:
    >>> [row.key for row in get_rows(["2b"])]
    ['2b_k1', '2b_k3', '2b_k5', '2b_k7']
    """
    if names is None:
        return list(ABLATION_ROWS.values())
    rows = []
    for name in names:
        matched = [r for k, r in ABLATION_ROWS.items() if k == name or k.startswith(f"{name}_")]
        if name in ABLATION_ROWS:
            matched = [ABLATION_ROWS[name]]
        if not matched:
            raise ValueError(
                f"Unknown ablation row {name!r}. Known rows: {list(ABLATION_ROWS)} "
                "(or a table prefix such as '1a')"
            )
        rows += [r for r in matched if r not in rows]
    return rows


def ablation_config(row: AblationRow, recipe: Mapping[str, Any] | None = None) -> dict:
    """The training config (a `TrainConfig` dict) of one row: a recipe plus its switches.

    Args:
        row: an :class:`AblationRow`.
        recipe: the base settings (the paper's Cityscapes recipe,
            ``configs/cityscapes_r18.json``, when None is given by the caller that
            reads it); keys starting with ``_`` are comments.

    Example:
    >>> ablation_config(get_rows(["2b_k5"])[0], {"dataset": "synthetic"})["decoder_options"]
    {'flow_kernel_size': 5}
    """
    values = {k: v for k, v in dict(recipe or {}).items() if not k.startswith("_")}
    config = {
        "_table": f"Table {row.table}" if row.table != "3.3" else "Section 3.3",
        "_row": row.label,
        "_paper_gflops_1024": row.paper_gflops,
        "_paper_miou": row.paper_miou if row.paper_miou is not None else "not in the paper",
        "_paper_note": row.paper.note or None,
        "_recipe": "SFNet paper section 4.1 (configs/cityscapes_r18.json), ResNet-18 "
        "unless the row says otherwise; only the decoder switches change.",
        **values,
        "backbone": row.backbone,
        "decoder_options": dict(row.decoder_options),
        "output": f"runs/ablations/{row.key}",
    }
    if row.backbone != "resnet18":
        config["decoder_filters"] = None
    if row.decoder_options.get("decoder") in ("fcn", "dilated_fcn"):
        config["deep_supervision"] = False  # a single-level head has no auxiliary levels
    return config


def write_ablation_configs(directory: str | os.PathLike, recipe: Mapping[str, Any]) -> list[str]:
    """Writes ``<directory>/<row key>.json`` for every row; returns the paths.

    Example:
    >>> write_ablation_configs("configs/ablations", recipe)  # doctest: +SKIP
    """
    os.makedirs(directory, exist_ok=True)
    paths = []
    for row in get_rows():
        path = os.path.join(os.fspath(directory), f"{row.key}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(ablation_config(row, recipe), f, indent=2)
            f.write("\n")
        paths.append(path)
    return paths
