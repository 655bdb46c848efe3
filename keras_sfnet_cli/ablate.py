"""Trains a set of the SFNet paper's ablation rows briefly and compares them.

`sfnet-ablate --rows 1a 2b --steps 200 --output runs/ablate` (or `python tools/ablate.py ...`)

Each row (see `--list`; a table prefix such as `1a` selects all its rows) trains
`--steps` steps with the same recipe on `--dataset` (default: the bundled synthetic
street scenes, generated into `OUTPUT/data`), then is costed (GMACs at
`--cost-size`, our counter) and timed. Writes `OUTPUT/ablation.md` (table),
`OUTPUT/ablation.json` and `OUTPUT/miou_vs_gmacs.png`. The table and plot put the
paper's mIoU (Cityscapes val, `keras_sfnet.ablation.PAPER_RESULTS`) beside the one
measured here, rank both, and give Kendall's tau-b of the two rankings over the rows
trained. A small budget shows that each row trains; it says nothing about which row
wins at the paper's budget, and the tau says how this run orders the rows, nothing more.
The library call is `keras_sfnet.ablation.run_ablation`.
"""

from __future__ import annotations

import argparse
import logging

from keras_sfnet_cli.command import new_parser, run_command

__all__ = ["build_parser", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument("--rows", nargs="+", help="row keys or table prefixes (default: all)")
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    parser.add_argument("--output", default="runs/ablate", help="output folder")
    parser.add_argument("--steps", type=int, default=100, help="training steps per row")
    parser.add_argument("--epochs", type=int, default=2, help="logging epochs per row")
    parser.add_argument("--dataset", default="synthetic", help="TrainConfig dataset")
    parser.add_argument("--data-root", help="dataset folder (synthetic: OUTPUT/data)")
    parser.add_argument("--crop-size", type=int, nargs=2, default=(128, 128), metavar=("H", "W"))
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--lr", type=float, default=0.01, help="initial learning rate")
    parser.add_argument("--loss", default="cross_entropy", choices=("cross_entropy", "ohem"))
    parser.add_argument("--val-steps", type=int, default=8, help="validation images")
    parser.add_argument("--cost-size", type=int, nargs=2, default=(1024, 1024), metavar=("H", "W"))
    parser.add_argument("--latency-size", type=int, nargs=2, default=(256, 512), metavar=("H", "W"))
    parser.add_argument("--no-latency", action="store_true", help="skip the latency")
    parser.add_argument(
        "--synthetic-images", type=int, default=80, help="synthetic training images (val: 1/4)"
    )
    parser.add_argument(
        "--synthetic-size", type=int, nargs=2, default=(256, 512), metavar=("H", "W"),
        help="synthetic image size",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    return parser


def run(args: argparse.Namespace) -> int:
    from keras_sfnet.ablation import get_rows, run_ablation, write_ablation_report

    rows = get_rows(args.rows)
    if args.list:
        for row in rows:
            miou = "-" if row.paper_miou is None else f"{row.paper_miou:.1f}"
            print(
                f"{row.key:26s} Table {row.table:5s} paper mIoU {miou:>4s}  {row.label} "
                f"[{row.backbone}]: {dict(row.decoder_options)}"
            )
        return 0
    results = run_ablation(
        rows,
        args.output,
        args.steps,
        epochs=args.epochs,
        dataset=args.dataset,
        data_root=args.data_root,
        crop_size=tuple(args.crop_size),
        batch_size=args.batch_size,
        learning_rate=args.lr,
        loss=args.loss,
        val_steps=args.val_steps,
        cost_size=tuple(args.cost_size),
        latency_size=None if args.no_latency else tuple(args.latency_size),
        seed=args.seed,
        train_overrides={
            "synthetic_num_train": args.synthetic_images,
            "synthetic_num_val": max(1, args.synthetic_images // 4),
            "synthetic_image_size": tuple(args.synthetic_size),
        },
    )
    paths = write_ablation_report(results, args.output)
    with open(paths["table"], encoding="utf-8") as table:
        print(table.read())
    print("Wrote " + ", ".join(paths.values()))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`sfnet-ablate`: see the module docstring."""
    return run_command(
        build_parser(),
        run,
        argv,
        log_level=logging.INFO,
        log_format="%(asctime)s %(levelname)s %(message)s",
    )
