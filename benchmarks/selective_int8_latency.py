"""Latency of selective int8 against full int8 and float32 TFLite, timed in the same rounds.

Takes a trained ``model.keras`` and the parity report of its selective int8 export
(``tools/export.py ... --quantization int8 --report report.json``), exports full int8
(``float_fallback="none"``), selective int8 (the report's ``float_ops``) and float32 at
``--size``, and times them interleaved with LiteRT (XNNPACK, ``--threads``): the order
is reversed every round, each timed call follows a 0.5 s pause and one untimed call. Ratios, not seconds,
are the result (the machine is shared). With ``--torch-reference`` (a SFSegNets
checkout) the authors' PyTorch fp32 network of the same backbone and head (random
weights: latency only) is timed in the same rounds, and ``vs_authors`` is added.
Caveat (2026-12-04): in this script's process the authors' network timed 7x its
standalone time (STDC1 v1: 2.54 s against 0.36 s alone, pause or not), so
``vs_authors`` from it is not trusted; ``tools/benchmark.py`` is the reference for
ratios against the authors.

    nice -n 10 python benchmarks/selective_int8_latency.py --model runs/lite/model.keras \\
        --report runs/lite/int8.json --size 512 1024 --json benchmarks/selective_int8.json \
        --torch-reference /path/to/SFSegNets
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--size", nargs=2, type=int, default=(512, 1024))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--pause",
        type=float,
        default=0.5,
        help="idle seconds before each timed pair (as tools/benchmark.py)",
    )
    parser.add_argument(
        "--torch-reference",
        default=os.environ.get("SFSEGNETS_CHECKOUT"),
        help="a SFSegNets checkout: time the authors' PyTorch network in the same rounds",
    )
    args = parser.parse_args(argv)

    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    from keras_sfnet.export import ParityCheck, export_tflite
    from keras_sfnet.inference.model_loading import load_segmentation_model

    with open(args.report, encoding="utf-8") as f:
        float_nodes = [op["tensor"] for op in json.load(f)["float_ops"]]
    model = load_segmentation_model(args.model)
    size = tuple(args.size)
    lax = ParityCheck(min_agreement=0.0, max_miou_drop=1.0)  # latency only
    variants = {
        "float32": {"quantization": "none"},
        "int8 full": {"quantization": "int8", "float_fallback": "none", "parity": lax},
        "int8 selective": {"quantization": "int8", "float_fallback": float_nodes, "parity": lax},
    }
    runners, result = {}, {"size": list(size), "threads": args.threads, "variants": {}}
    with tempfile.TemporaryDirectory() as folder:
        for name, options in variants.items():
            path = os.path.join(folder, name.replace(" ", "_") + ".tflite")
            report = export_tflite(
                model, path, input_size=size, num_calibration_samples=8, **options
            )
            interpreter = Interpreter(model_path=path, num_threads=args.threads)
            interpreter.allocate_tensors()
            runners[name] = interpreter
            result["variants"][name] = {
                "mib": report.size_bytes / 2**20,
                "pixel_agreement": report.pixel_agreement,
                "float_ops": len(report.float_ops),
            }
        x = np.random.default_rng(0).normal(size=(1, *size, 3)).astype(np.float32)
        calls = {name: _litert_call(interpreter, x) for name, interpreter in runners.items()}
        authors = _authors_call(model, args.torch_reference, args.threads, x)
        if authors is not None:
            calls["authors pytorch fp32"], result["authors"] = authors
        times = {name: [] for name in calls}
        order = list(calls)
        for round_index in range(args.rounds):
            for name in order if round_index % 2 == 0 else order[::-1]:
                time.sleep(args.pause)  # the previous runtime's spinning threads release
                calls[name]()  # untimed
                start = time.perf_counter()
                calls[name]()
                times[name].append(time.perf_counter() - start)
    result["load_average_1_5_15"] = [round(v, 2) for v in os.getloadavg()]
    full = float(np.median(times["int8 full"]))
    torch_s = float(np.median(times["authors pytorch fp32"])) if authors is not None else None
    for name, values in times.items():
        median = float(np.median(values))
        entry = result["variants"].setdefault(name, {})
        entry.update(median_s=median, vs_full_int8=median / full)
        if torch_s is not None:
            entry["vs_authors"] = median / torch_s
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return 0


def _litert_call(interpreter, x):
    index = interpreter.get_input_details()[0]["index"]

    def call():
        interpreter.set_tensor(index, x)
        interpreter.invoke()

    return call


def _authors_call(model, checkout, threads, x):
    """``(call, description)`` timing the authors' network like ``model``, or None."""
    if not checkout:
        return None
    from keras_sfnet.benchmark.torch_reference import (
        BUILDERS,
        load_authors_network,
        torch_runtime,
    )

    config = model.get_config()
    backbone, head = config.get("backbone"), config.get("head", "v1")
    if (backbone, head, False) not in BUILDERS:
        print(f"no authors' network for backbone={backbone!r}, head={head!r}: not timed")
        return None
    net = load_authors_network(checkout, backbone, config.get("num_classes", 19), head=head)
    predict = torch_runtime(net, threads)
    return (lambda: predict(x)), f"SFSegNets {backbone} {head}, random weights, eval"


if __name__ == "__main__":
    raise SystemExit(main())
