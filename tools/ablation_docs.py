"""Rewrites the generated parts of docs/ablations.md: `python tools/ablation_docs.py`.

The row table (the paper's mIoU, delta and GFLOPs from `keras_sfnet.ablation.paper`,
our params and GMACs from `benchmarks/ablation_costs.json`) and the paper's notes go
between `<!-- ablation-rows:begin/end -->` and `<!-- paper-notes:begin/end -->`.
`--check` only reports whether the file is current (exit 1 if not).
"""

from __future__ import annotations

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def render(doc: str, costs_path: str) -> str:
    from keras_sfnet.ablation.paper_table import (
        format_paper_notes,
        format_rows_table,
        load_costs,
        replace_section,
    )

    doc = replace_section(doc, "ablation-rows", format_rows_table(load_costs(costs_path)))
    return replace_section(doc, "paper-notes", format_paper_notes())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", default=os.path.join(REPO, "docs", "ablations.md"))
    parser.add_argument(
        "--costs", default=os.path.join(REPO, "benchmarks", "ablation_costs.json")
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is stale")
    args = parser.parse_args(argv)
    with open(args.doc, encoding="utf-8") as f:
        doc = f.read()
    new = render(doc, args.costs)
    if args.check:
        print(f"{args.doc}: {'current' if new == doc else 'out of date'}")
        return 0 if new == doc else 1
    with open(args.doc, "w", encoding="utf-8") as f:
        f.write(new)
    print(f"Wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
