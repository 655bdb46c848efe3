"""GPU-delegate compatibility of every family member's TFLite export, per quantisation.

Converts each configuration (random weights: the op set does not depend on them) at
``--size`` to float32, float16 and full int8 TFLite (int8 calibrated on 4 rendered
scenes), plus any selective int8 artifacts passed with ``--artifact NAME=PATH``, and
records :func:`keras_sfnet.export.delegates.gpu_delegate_compatibility` of each (the
model analyzer's verdict, whether it checks at all, the op counts). No parity check:
compatibility only.

    nice -n 5 python benchmarks/gpu_delegate_family.py --size 128 256 \\
        --artifact "shufflenetv2 v1 selective int8=runs/shf/int8.tflite" \\
        --json benchmarks/gpu_delegate_family.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json

#: (backbone, head, dilated) of the edge family (the paper's and SFNet-Lite's);
#: ``dilated`` is passed to the ResNet backbones only (the demo's plain ResNet-18).
CONFIGS = [
    ("dfnet1", "v1", False),
    ("dfnet2", "v1", False),
    ("stdc1", "v1", True),
    ("stdc2", "v1", True),
    ("shufflenetv2", "v1", True),
    ("resnet18", "v1", False),
    ("stdc1", "lite", True),
    ("stdc2", "lite", True),
    ("resnet18", "lite", False),
]
QUANTIZATIONS = ("none", "float16", "int8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", nargs=2, type=int, default=(128, 256))
    parser.add_argument("--artifact", action="append", default=[], help="NAME=PATH")
    parser.add_argument("--json", default=None)
    parser.add_argument("--only", default=None, help="backbone,head of one configuration")
    args = parser.parse_args(argv)

    import keras_sfnet
    from keras_sfnet.export.calibration import calibration_samples
    from keras_sfnet.export.delegates import gpu_delegate_compatibility
    from keras_sfnet.export.tflite import _convert
    from keras_sfnet.export.tracing import image_spec, trace_logits

    size = tuple(args.size)
    rows = []

    def record(name, content):
        report = gpu_delegate_compatibility(content)
        row = {"name": name, "kib": len(content) / 1024, **dataclasses.asdict(report)}
        rows.append(row)
        print(f"{name}: {report.summary()}; ops {sorted(report.operators)}", flush=True)

    for backbone, head, dilated in CONFIGS:
        if args.only and args.only != f"{backbone},{head}":
            continue
        extra = {"dilated": dilated} if backbone.startswith("resnet") else {}
        model = keras_sfnet.SFNet(
            backbone, num_classes=19, head=head, decoder_filters=None, **extra
        )
        function = trace_logits(model, image_spec(size, batch_size=1), resize="op", warp="gather")
        for quantization in QUANTIZATIONS:
            calibration = calibration_samples(None, size, 4) if quantization == "int8" else None
            content = _convert(function, quantization, "float32", calibration)
            record(f"{backbone} {head} {quantization}", content)
    for item in args.artifact:
        name, path = item.split("=", 1)
        with open(path, "rb") as f:
            record(name, f.read())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"size": list(size), "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
