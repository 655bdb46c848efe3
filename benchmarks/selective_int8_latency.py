"""Latency of selective int8 against full int8 and float32 TFLite, timed in the same rounds.

Takes a trained ``model.keras`` and the parity report of its selective int8 export
(``tools/export.py ... --quantization int8 --report report.json``), exports full int8
(``float_fallback="none"``), selective int8 (the report's ``float_ops``) and float32 at
``--size``, and times them interleaved with LiteRT (XNNPACK, ``--threads``): the order
is reversed every round, each timed call follows one untimed call. Ratios, not seconds,
are the result (the machine is shared).

    nice -n 10 python benchmarks/selective_int8_latency.py --model runs/lite/model.keras \\
        --report runs/lite/int8.json --size 512 1024 --json benchmarks/selective_int8.json
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
        times = {name: [] for name in runners}
        order = list(runners)
        for round_index in range(args.rounds):
            for name in order if round_index % 2 == 0 else order[::-1]:
                interpreter = runners[name]
                index = interpreter.get_input_details()[0]["index"]
                interpreter.set_tensor(index, x)
                interpreter.invoke()  # untimed
                start = time.perf_counter()
                interpreter.set_tensor(index, x)
                interpreter.invoke()
                times[name].append(time.perf_counter() - start)
    full = float(np.median(times["int8 full"]))
    for name, values in times.items():
        median = float(np.median(values))
        result["variants"][name].update(median_s=median, vs_full_int8=median / full)
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
