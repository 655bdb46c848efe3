"""Training and costing a set of ablation rows: the comparison table and plot."""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from keras_sfnet.ablation.paper import paper_delta
from keras_sfnet.ablation.ranking import kendall_tau, rank_descending
from keras_sfnet.ablation.rows import AblationRow, get_rows

__all__ = [
    "AblationResult",
    "RankAgreement",
    "build_row_model",
    "format_ablation_table",
    "plot_ablation",
    "rank_agreement",
    "row_cost",
    "run_ablation",
    "write_ablation_report",
]

logger = logging.getLogger(__name__)

PAPER_FLOP_OFFSET = 123.5 / 121.5
"""The paper's "GFLOPs" over our counter's GMACs on the released ResNet-18 (~1.6%)."""


@dataclasses.dataclass
class AblationResult:
    """What one row measured.

    Attributes:
        row: the :class:`AblationRow`.
        params: trainable parameters of the inference network (BN statistics excluded).
        gmacs: GMACs per image at ``cost_size`` (``keras_sfnet.benchmark.count_macs``).
        cost_size: ``(H, W)`` of the cost count.
        miou: validation mean IoU after training, or None (not trained / no validation).
        losses: mean training loss of each epoch, or ``()`` when not trained.
        latency_ms: median Keras inference latency at ``latency_size``, or None.
        latency_size: ``(H, W)`` of the latency, or None.
        steps: training steps done.
    """

    row: AblationRow
    params: int
    gmacs: float
    cost_size: tuple[int, int]
    miou: float | None = None
    losses: tuple[float, ...] = ()
    latency_ms: float | None = None
    latency_size: tuple[int, int] | None = None
    steps: int = 0

    @property
    def loss_fell(self) -> bool | None:
        """Whether the last epoch's mean loss is below the first's (None if untrained)."""
        if len(self.losses) < 2:
            return None
        return self.losses[-1] < self.losses[0]


def build_row_model(row: AblationRow, num_classes: int = 19, **kwargs: Any):
    """The :class:`keras_sfnet.SFNet` of a row (``kwargs`` go to ``SFNet``).

    Example:
    >>> model = build_row_model(get_rows(["2b_k5"])[0], num_classes=4)  # doctest: +SKIP
    """
    from keras_sfnet.models import SFNet

    return SFNet(
        backbone=row.backbone, num_classes=num_classes, **dict(row.decoder_options), **kwargs
    )


def row_cost(
    row: AblationRow, size=(1024, 1024), num_classes: int = 19, model=None
) -> tuple[int, float]:
    """``(parameters, GMACs per image at size)`` of a row's inference network.

    Parameters are the trainable weights (what PyTorch's ``parameters()`` counts:
    BatchNorm statistics excluded), so the released ResNet-18 gives 12,869,715.

    Example:
    >>> params, gmacs = row_cost(get_rows(["1a_fcn"])[0], size=(64, 64))  # doctest: +SKIP
    """
    from keras_sfnet.benchmark.flops import count_macs

    if model is None:
        model = build_row_model(row, num_classes)
    if getattr(model, "deep_supervision", False):
        model = model.inference_model()
    macs = count_macs(model, (1, int(size[0]), int(size[1]), 3))
    params = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return params, float(macs.gmacs)


def _latency_ms(model, size, repeats: int) -> float:
    import tensorflow as tf

    from keras_sfnet.benchmark.timing import time_function

    if getattr(model, "deep_supervision", False):
        model = model.inference_model()
    x = tf.random.stateless_normal((1, int(size[0]), int(size[1]), 3), seed=(0, 0))
    fn = tf.function(lambda t: model(t, training=False))
    stats = time_function(lambda: fn(x).numpy(), warmup=1, repeats=repeats)
    return 1000.0 * stats.median_s


def run_ablation(
    rows: Iterable[AblationRow | str] | None,
    output: str | os.PathLike,
    steps: int = 100,
    *,
    epochs: int = 2,
    dataset: str = "synthetic",
    data_root: str | None = None,
    crop_size=(128, 128),
    batch_size: int = 4,
    learning_rate: float = 0.01,
    loss: str = "cross_entropy",
    val_steps: int | None = 8,
    cost_size=(1024, 1024),
    latency_size=(256, 512),
    latency_repeats: int = 3,
    seed: int = 0,
    train_overrides: Mapping[str, Any] | None = None,
) -> list[AblationResult]:
    """Trains each row for ``steps`` steps on one dataset, then costs and times it.

    Every row gets the same recipe (``keras_sfnet.training.train`` with a
    :class:`keras_sfnet.training.TrainConfig`): the row's backbone and decoder
    switches, no deep supervision, ``steps`` steps in ``epochs`` logging epochs,
    validation (``val_steps`` images) after the last epoch only. The default dataset
    is the bundled synthetic street scenes, generated once into ``output/data``.
    Results are measurements of this budget only; a small budget shows that each row
    trains, not which row is best.

    Args:
        rows: rows or row keys/table prefixes (``None``: all rows).
        output: folder; each row trains in ``output/<row key>``.
        steps: int, training steps per row. Defaults to 100.
        epochs: int, logging epochs the steps are split into (>= 2 to see the loss
            fall). Defaults to 2.
        dataset, data_root: as in ``TrainConfig``.
        crop_size, batch_size, learning_rate, loss, val_steps, seed: the recipe.
        cost_size: ``(H, W)`` of the GMAC count. Defaults to 1024x1024 (the paper's).
        latency_size: ``(H, W)`` of the latency, or None to skip it.
        latency_repeats: int, timed runs (median reported).
        train_overrides: other ``TrainConfig`` settings.

    Returns:
        One :class:`AblationResult` per row, in order.

    Example:
    >>> results = run_ablation(["2b"], "runs/ablate", steps=20)  # doctest: +SKIP
    """
    from keras_sfnet.training import TrainConfig, train

    rows = [r for r in (get_rows(None) if rows is None else _resolve(rows))]
    if int(epochs) < 1 or int(steps) < int(epochs):
        raise ValueError(
            f"`steps` must be >= `epochs` >= 1. Received: steps={steps}, epochs={epochs}"
        )
    output = os.fspath(output)
    if dataset == "synthetic" and data_root is None:
        data_root = os.path.join(output, "data")
    results = []
    for row in rows:
        values = {
            "dataset": dataset,
            "data_root": data_root,
            "backbone": row.backbone,
            "decoder_options": dict(row.decoder_options),
            "deep_supervision": False,
            "crop_size": tuple(crop_size),
            "batch_size": batch_size,
            "steps": int(steps),
            "steps_per_epoch": max(1, int(steps) // int(epochs)),
            "validate_every": int(epochs),
            "val_steps": val_steps,
            "learning_rate": learning_rate,
            "loss": loss,
            "augmentation": "crop_only",
            "jit_compile": False,
            "tensorboard": False,
            "verbose": 0,
            "seed": seed,
            "output": os.path.join(output, row.key),
            **dict(train_overrides or {}),
        }
        logger.info("ablation row %s: training %d steps", row.key, steps)
        result = train(TrainConfig(**values))
        history = result.history
        losses = tuple(float(v) for v in history.get("loss", []))
        miou = None
        if result.monitor and result.monitor != "loss":
            scores = [v for v in history.get(result.monitor, []) if v is not None]
            miou = float(scores[-1]) if scores else None
        params, gmacs = row_cost(row, cost_size, model=result.model)
        latency = None
        if latency_size is not None:
            latency = _latency_ms(result.model, latency_size, latency_repeats)
        results.append(
            AblationResult(
                row,
                params,
                gmacs,
                tuple(int(s) for s in cost_size),
                miou,
                losses,
                latency,
                None if latency_size is None else tuple(int(s) for s in latency_size),
                result.step,
            )  # fmt: skip
        )
    return results


def _resolve(rows) -> list[AblationRow]:
    resolved = []
    for row in rows:
        for r in [row] if isinstance(row, AblationRow) else get_rows([row]):
            if r not in resolved:
                resolved.append(r)
    return resolved


def _fmt(value, spec="{:.1f}", missing="-") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return spec.format(value)


@dataclasses.dataclass(frozen=True)
class RankAgreement:
    """The paper's ranking of the trained rows against the ranking measured here.

    Attributes:
        keys: the rows ranked: trained with an mIoU here and given one by the paper.
        paper_ranks, ranks_here: 1-based ranks (best first, ties share a rank).
        tau: Kendall's tau-b of the two mIoU lists, or None if undefined (fewer than
            2 rows, or all tied).
        steps: the training steps of those rows (the budget the ranking is of).

    Example:
    >>> rank_agreement([]).tau is None
    True
    """

    keys: tuple[str, ...]
    paper_ranks: tuple[int, ...]
    ranks_here: tuple[int, ...]
    tau: float | None
    steps: tuple[int, ...]

    def rank_of(self, key: str) -> tuple[int, int] | None:
        """``(paper rank, rank here)`` of a row key, or None if it is not ranked."""
        if key not in self.keys:
            return None
        i = self.keys.index(key)
        return self.paper_ranks[i], self.ranks_here[i]

    def summary(self) -> str:
        """One paragraph: tau, over which rows, and what it does not show."""
        n = len(self.keys)
        if self.tau is None:
            return (
                f"Kendall tau-b of the paper's mIoU against the mIoU measured here: undefined "
                f"({n} row(s) with both figures; it needs 2 or more, not all tied)."
            )
        steps = sorted(set(self.steps))
        budget = ", ".join(str(v) for v in steps)
        return (
            f"Kendall tau-b of the paper's mIoU against the mIoU measured here: "
            f"{self.tau:+.2f} over the {n} trained rows that have both. This compares "
            f"rankings after {budget} training step(s) per row on this run's data, not the "
            "paper's 50K iterations on Cityscapes: it shows whether this run orders the "
            "rows as the paper does, not whether the paper's ranking reproduces."
        )


def rank_agreement(results: Iterable[AblationResult]) -> RankAgreement:
    """Ranks the results that have both a measured and a paper mIoU, and their tau-b.

    Example:
    >>> agreement = rank_agreement(results)  # doctest: +SKIP
    >>> agreement.tau, agreement.rank_of("2b_k5")  # doctest: +SKIP
    """
    ranked = [r for r in results if r.miou is not None and r.row.paper_miou is not None]
    paper = [r.row.paper_miou for r in ranked]
    here = [100.0 * r.miou for r in ranked]
    return RankAgreement(
        tuple(r.row.key for r in ranked),
        tuple(rank_descending(paper)),
        tuple(rank_descending(here)),
        kendall_tau(paper, here),
        tuple(r.steps for r in ranked),
    )


def format_ablation_table(results: Iterable[AblationResult]) -> str:
    """A Markdown table of results (paper columns beside ours), then the rank agreement.

    Columns: table, row, paper mIoU, the paper's delta to its table's baseline, paper
    GFLOPs, our params (M), our GMACs, GMACs x 1.016 (the paper's offset on the
    released network), mIoU measured here, the paper's rank and ours among the rows
    that have both mIoUs, first/last epoch loss, latency. The paragraph below gives
    Kendall's tau-b of the two rankings (:func:`rank_agreement`).

    Example:
    >>> print(format_ablation_table([]).splitlines()[0])  # doctest: +ELLIPSIS
    | table | row | paper mIoU | ...
    """
    results = list(results)
    size = results[0].cost_size if results else (1024, 1024)
    latency_size = next((r.latency_size for r in results if r.latency_size), None)
    latency_head = (
        "latency (ms)"
        if latency_size is None
        else f"latency @{latency_size[0]}x{latency_size[1]} (ms)"
    )
    agreement = rank_agreement(results)
    lines = [
        f"| table | row | paper mIoU | paper delta | paper GFLOPs | params (M) "
        f"| GMACs @{size[0]}x{size[1]} | GMACs x {PAPER_FLOP_OFFSET:.3f} | mIoU here "
        f"| rank: paper / here | loss first -> last | {latency_head} |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        loss = "-" if not r.losses else f"{r.losses[0]:.3f} -> {r.losses[-1]:.3f}"
        ranks = agreement.rank_of(r.row.key)
        lines.append(
            f"| {r.row.table} | {r.row.label} (`{r.row.key}`) "
            f"| {_fmt(r.row.paper_miou, missing='not in paper')} "
            f"| {_fmt(paper_delta(r.row.key), '{:+.1f}')} | {_fmt(r.row.paper_gflops)} "
            f"| {r.params / 1e6:.3f} | {r.gmacs:.1f} | {r.gmacs * PAPER_FLOP_OFFSET:.1f} "
            f"| {_fmt(None if r.miou is None else 100 * r.miou, '{:.2f}')} "
            f"| {'-' if ranks is None else f'{ranks[0]} / {ranks[1]}'} | {loss} "
            f"| {_fmt(r.latency_ms)} |"
        )
    return "\n".join(lines) + "\n\n" + agreement.summary() + "\n"


def plot_ablation(results: Iterable[AblationResult], path: str | os.PathLike) -> str:
    """Plots the measured mIoU against GMACs and against the paper's mIoU; PNG.

    Left: mIoU measured here vs GMACs, one labelled point per row. Right (matplotlib
    only): mIoU measured here vs the paper's mIoU for the rows that have both, titled
    with Kendall's tau-b (:func:`rank_agreement`). Uses matplotlib when installed,
    else OpenCV (left panel only). Rows without a measured mIoU are skipped.

    Example:
    >>> plot_ablation(results, "runs/ablate/miou_vs_gmacs.png")  # doctest: +SKIP
    """
    results = list(results)
    points = [(r.gmacs, 100.0 * r.miou, r.row.key) for r in results if r.miou is not None]
    if not points:
        raise ValueError("No result has an mIoU to plot; train with validation first.")
    path = os.fspath(path)
    try:
        # A Figure of its own (no pyplot): no process-wide backend or figure state.
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - depends on the environment
        return _plot_opencv(points, path)
    fig = Figure(figsize=(13, 5.5), dpi=110)
    ax, ax_paper = fig.subplots(1, 2)
    for gmacs, miou, key in points:
        ax.scatter([gmacs], [miou], s=28)
        ax.annotate(key, (gmacs, miou), textcoords="offset points", xytext=(4, 3), fontsize=7)
    ax.set_xlabel(f"GMACs per image @{results_size(results)}")
    ax.set_ylabel("mIoU (%) measured here")
    ax.set_title("SFNet ablation rows: mIoU vs cost")
    ax.grid(True, alpha=0.3)
    agreement = rank_agreement(results)
    by_key = {r.row.key: r for r in results}
    for key in agreement.keys:
        x, y = by_key[key].row.paper_miou, 100.0 * by_key[key].miou
        ax_paper.scatter([x], [y], s=28)
        ax_paper.annotate(key, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=7)
    tau = "undefined" if agreement.tau is None else f"{agreement.tau:+.2f}"
    ax_paper.set_title(f"vs the paper: Kendall tau-b {tau} over {len(agreement.keys)} rows")
    ax_paper.set_xlabel("paper mIoU (%), Cityscapes val, 50K iterations")
    ax_paper.set_ylabel("mIoU (%) measured here")
    if not agreement.keys:
        ax_paper.text(0.5, 0.5, "no trained row has a paper mIoU", ha="center",
                      transform=ax_paper.transAxes)  # fmt: skip
    ax_paper.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    return path


def results_size(results) -> str:
    sizes = {r.cost_size for r in results}
    return ", ".join(f"{h}x{w}" for h, w in sorted(sizes))


def _plot_opencv(points, path: str) -> str:  # pragma: no cover - fallback
    import cv2

    width, height, margin = 900, 600, 70
    image = np.full((height, width, 3), 255, np.uint8)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs) + 1e-6
    y0, y1 = min(ys), max(ys) + 1e-6

    def to_px(x, y):
        px = margin + (x - x0) / (x1 - x0) * (width - 2 * margin)
        py = height - margin - (y - y0) / (y1 - y0) * (height - 2 * margin)
        return int(px), int(py)

    cv2.rectangle(image, (margin, margin), (width - margin, height - margin), (0, 0, 0), 1)
    for x, y, key in points:
        p = to_px(x, y)
        cv2.circle(image, p, 4, (200, 80, 0), -1)
        cv2.putText(image, key, (p[0] + 5, p[1] - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    cv2.putText(
        image, "GMACs", (width // 2, height - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1
    )
    cv2.putText(image, "mIoU (%)", (5, margin - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
    cv2.imwrite(path, image)
    return path


def write_ablation_report(results: Iterable[AblationResult], output: str | os.PathLike) -> dict:
    """Writes ``ablation.md`` (table, rank agreement), ``ablation.json`` and
    ``miou_vs_gmacs.png``.

    Each JSON record is an :class:`AblationResult` with its row, ``loss_fell``,
    ``paper_delta``, and ``paper_rank`` / ``rank_here`` (None if not ranked).

    The plot is skipped (no ``"plot"`` key) when no row has an mIoU.

    Returns:
        dict of the written paths: ``"table"``, ``"json"`` and maybe ``"plot"``.

    Example:
    >>> write_ablation_report(results, "runs/ablate")  # doctest: +SKIP
    """
    import json

    results = list(results)
    output = os.fspath(output)
    os.makedirs(output, exist_ok=True)
    paths = {
        "table": os.path.join(output, "ablation.md"),
        "json": os.path.join(output, "ablation.json"),
    }
    with open(paths["table"], "w", encoding="utf-8") as f:
        f.write(format_ablation_table(results))
    agreement = rank_agreement(results)
    records = []
    for r in results:
        record = dataclasses.asdict(r)
        record["row"] = {**dataclasses.asdict(r.row), "key": r.row.key}
        record["loss_fell"] = r.loss_fell
        record["paper_delta"] = paper_delta(r.row.key)
        ranks = agreement.rank_of(r.row.key)
        record["paper_rank"], record["rank_here"] = ranks if ranks else (None, None)
        records.append(record)
    with open(paths["json"], "w", encoding="utf-8") as f:
        json.dump(records, f, indent=2, default=list)
    if any(r.miou is not None for r in results):
        paths["plot"] = plot_ablation(results, os.path.join(output, "miou_vs_gmacs.png"))
    return paths
