"""Renders a benchmark report (the dict of :func:`run_benchmark`) as Markdown."""

from __future__ import annotations

__all__ = ["format_report"]


def _num(value, fmt="{:.3f}") -> str:
    return "-" if value is None else fmt.format(value)


def _percent(row: dict) -> str:
    fraction = row.get("fraction_of_matmul")
    if fraction is None or "int8" in row.get("runtime", ""):
        return "- (int8)"
    return f"{100 * fraction:.0f}%"


def format_report(report: dict) -> str:
    """The report as Markdown: header, one row per runtime, warp/training/pipeline lines.

    Example:
    >>> text = format_report({"machine": {}, "versions": {}, "config": {}, "rows": []})
    >>> text.startswith("##")
    True
    """
    config = report.get("config", {})
    machine = report.get("machine", {})
    versions = ", ".join(f"{k} {v}" for k, v in report.get("versions", {}).items())
    size = config.get("input_size", ("?", "?"))
    lines = [
        f"## SFNet {config.get('backbone', '?')} {size[0]}x{size[1]}, batch "
        f"{config.get('batch', '?')}, {machine.get('threads', '?')} threads",
        "",
        f"- machine: {machine.get('cpu', '?')} ({machine.get('cores', '?')} cores); {versions}",
        f"- fused warp kernel: {report.get('fused_kernel') or 'not loaded (pure-TF gathers)'}",
    ]
    if "params" in report:
        fs = config.get("flops_size", ("?", "?"))
        lines.append(
            f"- parameters: {report['params']:,}; {report['gmacs_at_flops_size']:.1f} GMACs "
            f"({report['gflops_at_flops_size']:.1f} GFLOPs at 2 per MAC) at {fs[0]}x{fs[1]}; "
            f"{report['gmacs_per_image']:.1f} GMACs per {size[0]}x{size[1]} image"
        )
    if "matmul_gflops" in report:
        by_library = ", ".join(
            f"{k} {v:.1f}" for k, v in report.get("matmul_gflops_by_library", {}).items()
        )
        lines.append(
            f"- matmul ceiling (float32 2048^3, same threads, timed in the same rounds): "
            f"{report['matmul_gflops']:.1f} GFLOP/s ({by_library})"
        )
    lines += [
        "",
        "| runtime | median s | p90 s | img/s | vs authors' PyTorch | GFLOP/s | % of matmul "
        "| peak MiB | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report.get("rows", []):
        lines.append(
            f"| {row['runtime']} | {row['median_s']:.3f} | {row['p90_s']:.3f} | "
            f"{row['fps']:.2f} | {_num(row['ratio_vs_torch'], '{:.2f}x')} | "
            f"{row['gflops_achieved']:.1f} | {_percent(row)} | "
            f"{row['peak_memory_mib']:.0f} | {row['note']} |"
        )
    for name, error in report.get("errors", {}).items():
        lines.append(f"| {name} | failed | | | | | | | {error} |")
    if report.get("rows"):
        lines += [
            "",
            "GFLOP/s counts the float model's MACs (2 FLOPs each) per second for every row; "
            "% of matmul compares it with the float32 matmul ceiling above and is left out for "
            "int8 rows, whose integer kernels (VNNI / AMX int8) have a different peak.",
        ]
    warp = report.get("warp")
    if warp:
        lines += ["", "Flow warp (the three FAM warps of one batch):"]
        for key in ("forward_s", "forward_backward_s"):
            parts = ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in warp[key].items())
            lines.append(f"- {key.replace('_s', '').replace('_', ' + ')}: {parts}")
        if "speedup_forward" in warp:
            lines.append(
                f"- fused kernel speed-up, warp alone: {warp['speedup_forward']:.2f}x forward, "
                f"{warp['speedup_forward_backward']:.2f}x forward + backward"
            )
        if "end_to_end_speedup" in warp:
            lines.append(
                f"- end to end (keras-graph-gather / keras-graph): "
                f"{warp['end_to_end_speedup']:.3f}x"
            )
        if "share_of_keras_graph" in warp:
            lines.append(
                f"- warp share of keras-graph inference: "
                f"{100 * warp['share_of_keras_graph']:.1f}% "
                f"(pure-TF gathers: {100 * warp['gather_share_of_keras_graph']:.1f}%)"
            )
    training = report.get("training")
    if training:
        parts = ", ".join(
            f"{k.replace('_step_s', '')} {v:.2f} s" for k, v in training.items() if k.endswith("_s")
        )
        ratio = training.get("ratio_vs_torch")
        lines += [
            "",
            f"Training step (batch {training['batch']}, forward + backward + SGD): {parts}"
            + (f"; Keras / authors' PyTorch = {ratio:.2f}x" if ratio else ""),
        ]
    if "pipeline_images_per_s" in report:
        ps, pc = config.get("pipeline_size"), config.get("pipeline_crop")
        lines += [
            "",
            f"Input pipeline ({ps[0]}x{ps[1]} PNGs, paper augmentation, {pc[0]}x{pc[1]} crops):"
            f" {report['pipeline_images_per_s']:.2f} images/s",
        ]
    return "\n".join(lines) + "\n"
