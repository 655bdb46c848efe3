"""SFNet on an NVIDIA GPU with JAX and PyTorch (no TensorFlow needed): FPS and training.

Meant for a machine with CUDA builds of JAX and/or PyTorch and no TensorFlow. It
installs keras (from a wheel in ``--wheels`` if Keras is missing) and this tree
without dependencies, then, one worker process per measurement
(``keras_sfnet.benchmark.backend_speed``):

- steady-state inference at 1024x2048, batch 1, for R18, DF1, DF2 and Lite-STDC2 on
  JAX (float32 and bfloat16) and PyTorch (float32 and bfloat16), first call (jit /
  warm-up) timed apart;
- a bfloat16 training step on JAX (1024x1024 crops, batch 8, images/s);
- with ``--authors-checkout`` (an SFSegNets checkout carried beside it), the authors'
  PyTorch network on the same GPU in the same run (time ratios).

It writes ``gpu.md`` (a table) and ``gpu.json`` to ``--output`` (``$OUT`` if set).
Tiny sizes (``--size 64 128 --rounds 2 --train-size 64 64 --train-batch 2``) run the
same code on a CPU in a minute: the suite does that.

    python benchmarks/gpu/run.py --wheels wheels/ --output $OUT
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODELS = ("sfnet_r18", "sfnet_dfv1", "sfnet_dfv2", "sfnet_lite_stdc2")


def _install(wheels: Path | None) -> None:
    """keras (from ``wheels`` when missing) and keras_sfnet from this tree, no deps."""
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]
    if importlib.util.find_spec("keras") is None:
        found = sorted(wheels.glob("keras-*.whl")) if wheels else []
        if not found:
            raise SystemExit("error: Keras is not installed and no keras-*.whl in --wheels")
        subprocess.run([*pip, str(found[-1])], check=True)
        for extra in ("namex", "optree", "ml_dtypes", "h5py", "rich", "absl"):
            more = sorted(wheels.glob(f"{extra}-*.whl")) if wheels else []
            if more and importlib.util.find_spec(extra) is None:
                subprocess.run([*pip, str(more[-1])], check=True)
    subprocess.run([*pip, "-e", str(REPO)], check=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path(os.environ.get("OUT", "gpu_out")))
    parser.add_argument("--wheels", type=Path, default=None)
    parser.add_argument("--no-install", action="store_true", help="use what is installed")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--backends", nargs="+", default=["jax", "torch"])
    parser.add_argument("--size", nargs=2, type=int, default=(1024, 2048), metavar=("H", "W"))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--train-size", nargs=2, type=int, default=(1024, 1024))
    parser.add_argument("--train-batch", type=int, default=8)
    parser.add_argument("--train-rounds", type=int, default=5)
    parser.add_argument("--authors-checkout", default=os.environ.get("SFSEGNETS_CHECKOUT"))
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per worker")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.no_install:
        _install(args.wheels)
    sys.path.insert(0, str(REPO))
    # Keras' default backend is TensorFlow, which these machines lack; workers set their own.
    os.environ.setdefault("KERAS_BACKEND", args.backends[0])
    from keras_sfnet.benchmark.backend_speed import (
        SpeedConfig,
        compare_backends,
        format_comparison,
    )

    started = time.time()
    results = []
    common = dict(input_size=tuple(args.size), rounds=args.rounds)
    for model in args.models:
        authors = args.authors_checkout if "torch" in args.backends else None
        for precision in ("float32", "mixed_bfloat16"):
            config = SpeedConfig(model=model, precision=precision, **common)
            for backend in args.backends:
                # The authors' network is timed once per model, in the torch float32 run.
                use_authors = authors and backend == "torch" and precision == "float32"
                if use_authors:
                    config = SpeedConfig(
                        model=model, precision=precision, authors_checkout=authors, **common
                    )
                results += compare_backends([config], [backend], timeout=args.timeout)
    if "jax" in args.backends:
        train = SpeedConfig(
            model="sfnet_r18",
            precision="mixed_bfloat16",
            train=True,
            train_size=tuple(args.train_size),
            train_batch=args.train_batch,
            train_rounds=args.train_rounds,
            **common,
        )
        results += compare_backends([train], ["jax"], timeout=args.timeout)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "gpu.json").write_text(json.dumps(results, indent=1))
    table = format_comparison(results, baseline="jax")
    header = (
        f"# SFNet on {next((r['device'] for r in results if 'device' in r), 'unknown')}\n\n"
        f"Inference {args.size[0]}x{args.size[1]}, batch 1, {args.rounds} timed rounds after "
        "one untimed call; `x jax` is the time ratio to the JAX row of the same precision "
        "(float32 for bf16 rows without one), `x authors` to the authors' PyTorch network "
        f"(float32, same GPU). Whole run: {time.time() - started:.0f} s.\n\n"
    )
    (args.output / "gpu.md").write_text(header + table + "\n")
    print(header + table)
    return 1 if all("error" in r for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
