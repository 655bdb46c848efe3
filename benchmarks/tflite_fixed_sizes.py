"""Fixed-size TFLite export of every family graph at odd sizes, with the parity check.

Each configuration (random weights, 19 classes) is exported at each size with
``export_tflite`` and checked by the exporter's own parity pass in LiteRT; float32 and
float16 must pass the default tolerances, int8 (random weights, synthetic calibration)
reports its agreement without a threshold (random-weight logits are near ties).

    nice -n 10 python benchmarks/tflite_fixed_sizes.py --json benchmarks/tflite_fixed_sizes.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

SIZES = ((100, 150), (224, 224), (97, 131))
QUANTIZATIONS = ("none", "float16", "int8")
# One configuration per distinct inference graph (the _dsn variants deploy the same one).
NAMES = (
    "sfnet_dfv1",
    "sfnet_dfv2",
    "sfnet_stdc1",
    "sfnet_stdc2",
    "sfnet_shufflenetv2",
    "sfnet_lite_r18",
    "sfnet_lite_stdc1",
    "sfnet_lite_stdc2",
    "sfnet_r18",
    "sfnet_r50",
    "sfnet_r101",
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", nargs="+", default=list(NAMES))
    parser.add_argument("--sizes", nargs="+", default=[f"{h}x{w}" for h, w in SIZES])
    parser.add_argument("--quantizations", nargs="+", default=list(QUANTIZATIONS))
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    import keras

    import keras_sfnet
    from keras_sfnet.export import ParityCheck, export_tflite

    rows = []
    for name in args.names:
        keras.utils.set_random_seed(0)
        model = keras_sfnet.SFNet.from_name(name)
        for text in args.sizes:
            size = tuple(int(v) for v in text.split("x"))
            for quantization in args.quantizations:
                parity = None
                if quantization == "int8":
                    parity = ParityCheck(min_agreement=0.0, max_miou_drop=1.0)
                start = time.perf_counter()
                row = {"name": name, "size": text, "quantization": quantization}
                try:
                    with tempfile.TemporaryDirectory() as folder:
                        report = export_tflite(
                            model,
                            f"{folder}/m.tflite",
                            input_size=size,
                            quantization=quantization,
                            num_calibration_samples=4,
                            parity=parity,
                        )
                    row.update(
                        passed=report.passed,
                        max_rel_error=report.max_rel_error,
                        pixel_agreement=report.pixel_agreement,
                    )
                except Exception as error:  # noqa: BLE001 - recorded in the table
                    row.update(passed=False, error=f"{type(error).__name__}: {error}"[:300])
                row["seconds"] = round(time.perf_counter() - start, 1)
                rows.append(row)
                print(json.dumps(row), flush=True)
        del model
        keras.backend.clear_session()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)
    return 0 if all(row["passed"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
