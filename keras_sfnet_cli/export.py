"""Exports an SFNet model to SavedModel, TFLite, ONNX or TensorRT, checked against Keras.

Every export reloads the artifact in its runtime and compares it with the Keras model
on random and rendered street images; if parity fails nothing is written and the exit
status is 1. The output location (and TensorRT, for engines) is checked before the
model loads.

    sfnet-export --model sfnet_r18.keras --format saved_model --output serving/sfnet/1
    sfnet-export --model sfnet_r18.keras --format tflite --output sfnet.tflite \\
        --input-size 512 1024 --quantization int8 --calibration-data "val/*.png"
    sfnet-export --model sfnet_r18.keras --format onnx --output sfnet.onnx \\
        --onnx-warp grid_sample
    sfnet-export --model sfnet_r18.keras --format tensorrt --output sfnet.engine \\
        --input-size 1024 2048 --quantization float16
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os

from keras_sfnet_cli.argument_types import existing_path
from keras_sfnet_cli.command import UsageError, new_parser, run_command
from keras_sfnet_cli.output_checks import check_writable

__all__ = ["build_parser", "check", "main", "run"]

from keras_sfnet.names import EXPORT_FORMATS as FORMATS  # noqa: F401 (re-exported)
from keras_sfnet.names import IMAGE_EXTENSIONS


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    add = parser.add_argument
    add("--model", required=True, type=existing_path, help=".keras file or authors' .pth")
    add("--format", required=True, choices=FORMATS, help="artifact format")
    add("--output", required=True, help="artifact path (a folder for saved_model)")
    add("--input-size", nargs=2, type=int, metavar=("H", "W"), default=None,
        help="fixed input size (default: dynamic where the format allows)")  # fmt: skip
    add("--quantization", default="none", choices=("none", "float16", "dynamic", "int8"),
        help="weights/compute precision")  # fmt: skip
    add("--calibration-data", nargs="+", default=None,
        help="images, folders or globs for int8 calibration (default: the training images "
        "of the run that wrote --model, else synthetic street scenes)")  # fmt: skip
    add("--calibration-samples", type=int, default=32, help="int8 calibration images")
    add("--io-dtype", default="float32", choices=("float32", "int8", "uint8"),
        help="tflite input/output type")  # fmt: skip
    add("--float-fallback", default="auto", choices=("auto", "none"),
        help="tflite int8: keep the ops a measured sensitivity pass finds sensitive in "
        "float when full int8 agrees less than --fallback-agreement on the calibration "
        "images (auto), or always full int8 (none)")  # fmt: skip
    add("--fallback-agreement", type=float, default=0.99,
        help="tflite int8: calibration pixel agreement --float-fallback auto aims at")  # fmt: skip
    add("--include-probabilities", action="store_true", help="saved_model: add a softmax output")
    add("--include-logits", action="store_true", help="saved_model: add a logits output")
    add("--include-preprocessing", action="store_true",
        help="tflite/onnx: the model takes uint8 RGB images (normalisation inside)")  # fmt: skip
    add("--opset", type=int, default=17, help="onnx opset")
    add("--onnx-resize", default="resize", choices=("resize", "matmul"), help="onnx resize ops")
    add("--onnx-warp", default=None, choices=("gather", "grid_sample"),
        help="warp ops (default: gather for onnx, grid_sample for tensorrt)")  # fmt: skip
    add("--rtol", type=float, default=None,
        help="float parity tolerance (default: 1e-4, float16 2e-2)")  # fmt: skip
    add("--min-agreement", type=float, default=0.95, help="quantised: pixel agreement")
    add("--max-miou-drop", type=float, default=0.1, help="quantised: largest mIoU drop")
    add("--parity-images", nargs="+", default=None, help="extra parity images, folders, globs")
    add("--keep-rejected", action="store_true", help="keep a refused artifact as .rejected")
    add("--report", default=None, help="write the parity report as JSON here")
    return parser


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
            "float_fallback": args.float_fallback,
            "fallback_agreement": args.fallback_agreement,
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


def check(args: argparse.Namespace) -> None:
    """Output locations and flag combinations (before TensorFlow loads)."""
    if args.calibration_data and args.quantization != "int8":
        raise UsageError("--calibration-data is only used with --quantization int8")
    check_writable(args.output, directory=args.format == "saved_model")
    if args.report:
        check_writable(args.report)


def _check_before_loading(args) -> None:
    """What can fail in seconds is checked before the model loads (20-50 s)."""
    from keras_sfnet.export.export_model import SUPPORTED_QUANTIZATIONS

    supported = SUPPORTED_QUANTIZATIONS[args.format]
    if args.quantization not in supported:
        raise UsageError(
            f"--format {args.format} supports --quantization {', '.join(supported)}; "
            f"got {args.quantization}"
        )
    if args.format == "tensorrt":
        from keras_sfnet.export import TensorRTUnavailableError
        from keras_sfnet.export.tensorrt import tensorrt_status

        status = tensorrt_status()
        if not status["available"]:
            raise TensorRTUnavailableError(status["reason"])
        if args.input_size is None:
            raise UsageError("TensorRT engines are built for one size: pass --input-size H W")


def run(args: argparse.Namespace) -> int:
    _check_before_loading(args)
    from keras_sfnet.export import ParityCheck, export_model

    images = None
    if args.parity_images:
        images = [_read_rgb(p) for p in _image_paths(args.parity_images)]
    eval_data = None
    if args.quantization in ("dynamic", "int8"):
        from keras_sfnet.export.calibration import run_validation_pairs

        # The mIoU drop against real labels (the run's validation split), when known.
        eval_data = run_validation_pairs(args.model)
        if eval_data:
            print(f"mIoU drop measured on {len(eval_data)} labelled validation images of the run")
    parity = ParityCheck(
        rtol=args.rtol,
        min_agreement=args.min_agreement,
        max_miou_drop=args.max_miou_drop,
        images=images,
        eval_data=eval_data,
    )
    calibration = None
    if args.calibration_data:
        calibration = _calibration_images(args.calibration_data, args.calibration_samples)
    elif args.quantization == "int8":
        from keras_sfnet.export.calibration import run_training_images

        # The training images of the run that wrote the model (its config.json).
        calibration = run_training_images(args.model, args.calibration_samples)
        print(
            f"int8 calibration: {len(calibration)} training images of the run"
            if calibration
            else "int8 calibration: rendered street scenes (no training run beside the model)"
        )
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
    print(f"wrote {report.path} ({report.size_bytes / 2**20:.1f} MiB)")
    print(f"parity: {report.summary()}")
    if report.float_ops:
        selection = report.selection
        kinds: dict[str, int] = {}
        for op in report.float_ops:
            kinds[op["op"]] = kinds.get(op["op"], 0) + 1
        print(
            f"int8: {len(report.float_ops)} ops kept float by the sensitivity pass "
            f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))})"
            f"; calibration agreement {100 * selection['calibration_agreement_full_int8']:.2f}% "
            f"full int8 -> {100 * selection['calibration_agreement']:.2f}%; "
            f"{selection['latency_vs_full_int8']:.2f}x the latency of full int8 "
            "(the tensors are in --report)"
        )
    elif report.selection:
        agreement = report.selection["calibration_agreement_full_int8"]
        print(f"int8: full integer ({100 * agreement:.2f}% calibration agreement)")
    if report.gpu_delegate:
        from keras_sfnet.export.delegates import DelegateCompatibility

        fields = {f.name for f in dataclasses.fields(DelegateCompatibility)}
        if fields <= set(report.gpu_delegate):
            print(DelegateCompatibility(**report.gpu_delegate).summary())
        else:
            print(f"GPU delegate: not checked ({report.gpu_delegate.get('reason', '')})")
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report.__dict__, f, indent=2, default=str)
        print(f"wrote the parity report to {args.report}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`sfnet-export`: see the module docstring."""
    return run_command(build_parser(), run, argv, check=check)
