"""Parameters and GMACs of every named SFNet configuration (``keras_sfnet.list_models``).

Builds each configuration with 19 classes, counts its trainable parameters and its
multiply-accumulates with ``keras_sfnet.benchmark.flops.count_macs`` (convolutions and
matmuls, traced, not run) at 1024x1024 and 1024x2048, and writes a JSON list. Also
counts ShuffleNetV2 with ``conv5`` as P5, to choose P5 by the paper's cost.

    python benchmarks/family_costs.py --json benchmarks/family_costs.json
"""

from __future__ import annotations

import argparse
import json
import math


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", required=True, help="where to write the results")
    parser.add_argument("--names", nargs="*", help="configurations (default: all)")
    args = parser.parse_args()

    import keras

    from keras_sfnet import SFNet, list_models
    from keras_sfnet.backbones import ShuffleNetV2Backbone
    from keras_sfnet.benchmark.flops import count_macs

    def measure(model):
        row = {"params": int(sum(math.prod(w.shape) for w in model.trainable_weights))}
        for h, w in ((1024, 1024), (1024, 2048)):
            macs = count_macs(model, (1, h, w, 3))
            row[f"gmacs_{h}x{w}"] = round(macs.gmacs, 2)
            row[f"interpolation_gmacs_{h}x{w}"] = round(macs.interpolation / 1e9, 2)
        return row

    rows = []
    for config in list_models():
        if args.names and config.name not in args.names:
            continue
        model = SFNet.from_name(config.name, num_classes=19)
        rows.append({"name": config.name, "source": config.source, **measure(model)})
        print(json.dumps(rows[-1]), flush=True)
        keras.backend.clear_session()
    if not args.names or "sfnet_shufflenetv2_conv5" in args.names:
        model = SFNet(ShuffleNetV2Backbone(p5="conv5"), num_classes=19, decoder_filters=64)
        rows.append(
            {"name": "sfnet_shufflenetv2_conv5", "source": "P5 = conv5 (1024 ch)", **measure(model)}
        )
        print(json.dumps(rows[-1]), flush=True)
    with open(args.json, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
