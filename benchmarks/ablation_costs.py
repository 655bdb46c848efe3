"""Parameters and GMACs of every ablation row (``keras_sfnet.ablation.ABLATION_ROWS``).

Builds each row's inference network with 19 classes and counts its trainable parameters
and multiply-accumulates (``keras_sfnet.ablation.row_cost``: convolutions and matmuls,
traced, not run) at 1024x1024, the paper's size. Rows already in ``--json`` are kept
unless named in ``--rows``; the file is rewritten after each row.

    python benchmarks/ablation_costs.py --json benchmarks/ablation_costs.json
    python benchmarks/ablation_costs.py --json benchmarks/ablation_costs.json --rows 1d
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", required=True, help="where to write the results")
    parser.add_argument("--rows", nargs="*", help="row keys or table prefixes (default: all)")
    parser.add_argument("--size", type=int, nargs=2, default=(1024, 1024), metavar=("H", "W"))
    args = parser.parse_args()

    import keras

    from keras_sfnet.ablation import get_rows, row_cost

    results = {}
    if os.path.exists(args.json):
        with open(args.json, encoding="utf-8") as f:
            results = json.load(f)
    named = get_rows(args.rows or None)
    for row in named:
        if row.key in results and not args.rows:
            continue
        start = time.perf_counter()
        params, gmacs = row_cost(row, tuple(args.size))
        results[row.key] = {
            "params": params,
            f"gmacs_{args.size[0]}x{args.size[1]}": round(gmacs, 2),
        }
        print(row.key, json.dumps(results[row.key]), f"{time.perf_counter() - start:.0f} s")
        keras.backend.clear_session()
        order = [r.key for r in get_rows() if r.key in results]
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({k: results[k] for k in order}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
