"""Markdown latency table of the family from `tools/benchmark.py --json` reports.

Each report is one configuration at one size (keras-graph, TFLite float32, TFLite int8
and, where the authors have the network, their PyTorch network timed in the same
rounds). This script only reads and tabulates; it times nothing.

    python benchmarks/family_latency.py benchmarks/family_*_512x1024.json
    python benchmarks/family_latency.py --check benchmarks/family_*_1024x2048.json

With ``--check`` it exits 1 when a configuration the authors have misses a target
(Keras graph <= 1.0x, TFLite int8 <= 0.4x the authors' PyTorch).
"""

from __future__ import annotations

import argparse
import json
import re
import sys

TARGETS = {"keras-graph": 1.0, "tflite-int8": 0.4}
_SIZE = re.compile(r"([0-9.]+) MiB")


def load_rows(paths: list[str]) -> list[dict]:
    """One dict per report: configuration, size, seconds, ratios and file sizes."""
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        config = report["config"]
        by_runtime = {row["runtime"]: row for row in report["rows"]}
        entry = {
            "backbone": config["backbone"],
            "head": config["head"],
            "size": "x".join(str(v) for v in config["input_size"]),
            "gmacs": report["gmacs_per_image"],
            "seconds": {name: row["median_s"] for name, row in by_runtime.items()},
            "ratios": {name: row["ratio_vs_torch"] for name, row in by_runtime.items()},
            "mib": {},
        }
        for name in ("tflite-float32", "tflite-int8"):
            match = _SIZE.search(by_runtime.get(name, {}).get("note", ""))
            if match:
                entry["mib"][name] = float(match.group(1))
        rows.append(entry)
    return rows


def _ratio(entry: dict, runtime: str) -> str:
    ratio = entry["ratios"].get(runtime)
    seconds = entry["seconds"].get(runtime)
    if seconds is None:
        return "failed"
    if ratio is None:
        return f"{seconds:.3f} s"
    return f"{ratio:.2f}x"


def format_table(rows: list[dict]) -> str:
    """The Markdown table (one line per report, in the order given)."""
    lines = [
        "| configuration | size | GMACs | Keras graph | TFLite fp32 | TFLite int8 "
        "| authors' PyTorch (s) | TFLite fp32 / int8 MiB |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for entry in rows:
        torch_s = entry["seconds"].get("authors-pytorch")
        mib = entry["mib"]
        lines.append(
            f"| {entry['backbone']}, {entry['head']} | {entry['size']} | {entry['gmacs']:.1f} "
            f"| {_ratio(entry, 'keras-graph')} | {_ratio(entry, 'tflite-float32')} "
            f"| {_ratio(entry, 'tflite-int8')} "
            f"| {'-' if torch_s is None else f'{torch_s:.3f}'} "
            f"| {mib.get('tflite-float32', '-')} / {mib.get('tflite-int8', '-')} |"
        )
    return "\n".join(lines)


def misses(rows: list[dict]) -> list[str]:
    """Targets missed by configurations that have an authors' reference."""
    found = []
    for entry in rows:
        for runtime, limit in TARGETS.items():
            ratio = entry["ratios"].get(runtime)
            if ratio is not None and ratio > limit:
                found.append(
                    f"{entry['backbone']}/{entry['head']} {entry['size']}: {runtime} "
                    f"{ratio:.2f}x > {limit}x"
                )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="benchmark JSON reports")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    rows = load_rows(args.reports)
    print(format_table(rows))
    missed = misses(rows)
    for line in missed:
        print(f"missed: {line}", file=sys.stderr)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
