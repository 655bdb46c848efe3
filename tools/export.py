"""Exports an SFNet model to SavedModel, TFLite, ONNX or TensorRT, checked against Keras.

Every export reloads the artifact in its runtime and compares it with the Keras model
on random and rendered street images; if parity fails nothing is written and the exit
status is 1.

    python tools/export.py --model sfnet_r18.keras --format saved_model --output serving/sfnet/1
    python tools/export.py --model sfnet_r18.keras --format tflite --output sfnet.tflite \
        --input-size 512 1024 --quantization int8 --calibration-data "val/*.png"
    python tools/export.py --model sfnet_r18.keras --format onnx --output sfnet.onnx \
        --onnx-warp grid_sample
    python tools/export.py --model sfnet_r18.keras --format tensorrt --output sfnet.engine \
        --input-size 1024 2048 --quantization float16
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_sfnet.export import (  # noqa: E402
    FORMATS,
    ExportParityError,
    ParityCheck,
    TensorRTUnavailableError,
    export_model,
)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help=".keras file or authors' .pth checkpoint")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--output", required=True, help="artifact path (directory for saved_model)")
    parser.add_argument("--input-size", nargs=2, type=int, metavar=("H", "W"), default=None)
    parser.add_argument(
        "--quantization", default="none", choices=("none", "float16", "dynamic", "int8")
    )
    parser.add_argument(
        "--calibration-data",
        nargs="+",
        default=None,
        help="images, folders or globs for int8 calibration (default: synthetic street scenes)",
    )
    parser.add_argument("--calibration-samples", type=int, default=32)
    parser.add_argument("--io-dtype", default="float32", choices=("float32", "int8", "uint8"))
    parser.add_argument("--include-probabilities", action="store_true", help="saved_model")
    parser.add_argument("--include-logits", action="store_true", help="saved_model")
    parser.add_argument(
        "--include-preprocessing",
        action="store_true",
        help="tflite/onnx: the model takes uint8 RGB images (normalisation inside)",
    )
    parser.add_argument("--opset", type=int, default=17, help="onnx")
    parser.add_argument("--onnx-resize", default="resize", choices=("resize", "matmul"))
    parser.add_argument("--onnx-warp", default=None, choices=("gather", "grid_sample"))
    parser.add_argument("--rtol", type=float, default=None, help="float parity tolerance")
    parser.add_argument("--min-agreement", type=float, default=0.95)
    parser.add_argument("--max-miou-drop", type=float, default=0.1)
    parser.add_argument("--parity-images", nargs="+", default=None, help="extra images, globs")
    parser.add_argument("--keep-rejected", action="store_true")
    parser.add_argument("--report", default=None, help="write the parity report as JSON here")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def _image_paths(patterns) -> list[str]:
    paths = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            for root, _, names in os.walk(pattern):
                paths += [
                    os.path.join(root, n) for n in names if n.lower().endswith(IMAGE_EXTENSIONS)
                ]
        else:
            paths += glob.glob(pattern)
    if not paths:
        raise FileNotFoundError(f"No images found in {patterns}")
    return sorted(paths)


def _read_rgb(path: str):
    import cv2

    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"Cannot read image '{path}'")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _calibration_images(patterns, limit: int) -> list:
    """uint8 RGB images; the export normalises them with its ImageConverter."""
    return [_read_rgb(path) for path in _image_paths(patterns)[:limit]]


def _options(args) -> dict:
    if args.format == "saved_model":
        return {
            "include_probabilities": args.include_probabilities,
            "include_logits": args.include_logits,
        }
    if args.format == "tflite":
        return {
            "io_dtype": args.io_dtype,
            "num_calibration_samples": args.calibration_samples,
            "include_preprocessing": args.include_preprocessing,
        }
    if args.format == "onnx":
        return {
            "opset": args.opset,
            "resize": args.onnx_resize,
            "warp": args.onnx_warp or "gather",
            "include_preprocessing": args.include_preprocessing,
        }
    return {
        "warp": args.onnx_warp or "grid_sample",
        "num_calibration_samples": args.calibration_samples,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    images = None
    if args.parity_images:
        images = [_read_rgb(p) for p in _image_paths(args.parity_images)]
    parity = ParityCheck(
        rtol=args.rtol,
        min_agreement=args.min_agreement,
        max_miou_drop=args.max_miou_drop,
        images=images,
    )
    calibration = None
    if args.calibration_data:
        calibration = _calibration_images(args.calibration_data, args.calibration_samples)
    try:
        report = export_model(
            args.model,
            args.output,
            args.format,
            input_size=args.input_size,
            quantization=args.quantization,
            calibration_data=calibration,
            parity=parity,
            keep_rejected=args.keep_rejected,
            **_options(args),
        )
    except ExportParityError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (TensorRTUnavailableError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {report.path} ({report.size_bytes / 2**20:.1f} MiB)")
    print(f"parity: {report.summary()}")
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report.__dict__, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
