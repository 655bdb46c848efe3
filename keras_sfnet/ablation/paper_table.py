"""The docs' row table: every ablation row, the paper's figures beside our costs.

``docs/ablations.md`` holds the output of :func:`format_rows_table` (costs from
``benchmarks/ablation_costs.json``) and :func:`format_paper_notes` between
``<!-- name:begin -->`` / ``<!-- name:end -->`` markers; ``tools/ablation_docs.py``
rewrites them and a test checks they are current.

Example:
>>> costs = {"1a_fcn": {"params": 11541075, "gmacs_1024x1024": 68.05}}
>>> format_rows_table(costs, ["1a_fcn"]).splitlines()[2].split(" | ")[3]
'71.5'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping

from keras_sfnet.ablation.paper import PAPER_INCONSISTENCIES, baseline_of, paper_delta
from keras_sfnet.ablation.rows import get_rows

__all__ = [
    "COST_KEY",
    "format_paper_notes",
    "format_rows_table",
    "load_costs",
    "replace_section",
]

COST_KEY = "gmacs_1024x1024"
RELEASED_OFFSET = 123.5 / 121.49
"""The paper's 123.5 GFLOPs over our 121.49 GMACs for the released ResNet-18 (x1.0165)."""


def load_costs(path: str | os.PathLike) -> dict:
    """``{row key: {"params", "gmacs_1024x1024"}}`` as ``benchmarks/ablation_costs.py``
    writes it.

    Example:
    >>> costs = load_costs("benchmarks/ablation_costs.json")  # doctest: +SKIP
    """
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _switches(row) -> str:
    items = [] if row.backbone == "resnet18" else [f"backbone={row.backbone}"]
    items += [f"{k}={v}" for k, v in row.decoder_options.items()]
    return ", ".join(items) or "(defaults)"


def format_rows_table(costs: Mapping[str, Mapping], keys: Iterable[str] | None = None) -> str:
    """A Markdown table, one line per row: switches, the paper's mIoU, its delta to the
    table's baseline row, the paper's GFLOPs, our parameters and GMACs, our GMACs times
    the released network's offset, and the gap to the paper's cost.

    Args:
        costs: ``{row key: {"params": int, "gmacs_1024x1024": float}}``.
        keys: rows (keys or table prefixes); all when None.

    Raises:
        ValueError: if a row has no cost.
    """
    rows = get_rows(None if keys is None else list(keys))
    missing = [r.key for r in rows if r.key not in costs]
    if missing:
        raise ValueError(
            f"No cost for rows {missing}; run benchmarks/ablation_costs.py --rows {' '.join(missing)}"
        )
    lines = [
        "| table | row (config) | switches | paper mIoU | paper delta (vs) | paper GFLOPs "
        f"| params | GMACs @1024² | x{RELEASED_OFFSET:.4f} | vs paper | reproduced mIoU |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cost = costs[row.key]
        gmacs = float(cost[COST_KEY])
        scaled = gmacs * RELEASED_OFFSET
        miou = "not in paper" if row.paper_miou is None else f"{row.paper_miou:.1f}"
        delta = paper_delta(row.key)
        delta = "-" if delta is None else f"{delta:+.1f} (`{baseline_of(row.key)}`)"
        gflops = "-" if row.paper_gflops is None else f"{row.paper_gflops:.1f}"
        gap = "-" if row.paper_gflops is None else f"{100 * (scaled / row.paper_gflops - 1):+.1f}%"
        lines.append(
            f"| {row.table} | {row.label} (`{row.key}`) | {_switches(row)} | {miou} | {delta} "
            f"| {gflops} | {int(cost['params']):,} | {gmacs:.2f} | {scaled:.1f} | {gap} | |"
        )
    return "\n".join(lines) + "\n"


def format_paper_notes(keys: Iterable[str] | None = None) -> str:
    """Markdown: what the paper's text says about single rows, then where the paper
    disagrees with itself (:data:`PAPER_INCONSISTENCIES`)."""
    rows = get_rows(None if keys is None else list(keys))
    lines = ["Per row (the paper's text, or why a row has no figure):", ""]
    lines += [f"- `{r.key}`: {r.paper.note}." for r in rows if r.paper.note]
    lines += ["", "Where the paper disagrees with itself:", ""]
    lines += [f"- {item}" for item in PAPER_INCONSISTENCIES]
    return "\n".join(lines) + "\n"


def replace_section(text: str, name: str, body: str) -> str:
    """``text`` with the part between ``<!-- name:begin -->`` and ``<!-- name:end -->``
    replaced by ``body``.

    Raises:
        ValueError: if the markers are missing.

    Example:
    >>> replace_section("a\\n<!-- t:begin -->\\nold\\n<!-- t:end -->\\n", "t", "new\\n")
    'a\\n<!-- t:begin -->\\nnew\\n<!-- t:end -->\\n'
    """
    pattern = re.compile(
        rf"(<!-- {re.escape(name)}:begin -->\n).*?(<!-- {re.escape(name)}:end -->)", re.S
    )
    if not pattern.search(text):
        raise ValueError(
            f"No `<!-- {name}:begin -->` ... `<!-- {name}:end -->` markers in the text."
        )
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text, count=1)
