"""Segments one image with a TFLite SFNet on the LiteRT runtime (no TensorFlow needed).

    python tools/export.py --model sfnet.keras --format tflite --output sfnet.tflite \
        --input-size 512 1024 --include-preprocessing
    python examples/tflite_inference.py --model sfnet.tflite --image street.png --output classes.png

With ``--include-preprocessing`` the model takes the uint8 RGB image as it is. Without
it, the input is the normalised image (``keras_sfnet.layers.ImageConverter``), or for
full-integer models with int8/uint8 I/O the quantised normalised image.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter


def segment(interpreter: Interpreter, rgb: np.ndarray) -> np.ndarray:
    """Class ids (H, W) of a uint8 RGB image, at the image's size."""
    detail = interpreter.get_input_details()[0]
    height, width = rgb.shape[:2]
    fixed = detail["shape_signature"][1] > 0
    model_h, model_w = (detail["shape"][1], detail["shape"][2]) if fixed else (height, width)
    if not fixed:  # dynamic-size model: size the input tensor for this image
        interpreter.resize_tensor_input(detail["index"], [1, height, width, 3], strict=False)
    interpreter.allocate_tensors()
    image = cv2.resize(rgb, (model_w, model_h), interpolation=cv2.INTER_LINEAR)[None]
    if detail["dtype"] == np.uint8 and detail["quantization"] == (0.0, 0):
        x = image  # the model includes its preprocessing: uint8 RGB in
    else:  # normalise as the model was trained (needs keras_sfnet, i.e. TensorFlow)
        from keras_sfnet.layers import ImageConverter

        x = np.asarray(ImageConverter()(image))
    if x.dtype != detail["dtype"]:  # full-integer model with integer I/O
        scale, zero_point = detail["quantization"]
        info = np.iinfo(detail["dtype"])
        x = np.clip(np.round(x / scale + zero_point), info.min, info.max).astype(detail["dtype"])
    interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    output = interpreter.get_output_details()[0]
    logits = interpreter.get_tensor(output["index"])[0]  # argmax ignores the output scale
    classes = logits.argmax(-1).astype(np.uint8)
    return cv2.resize(classes, (width, height), interpolation=cv2.INTER_NEAREST)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument(
        "--output", default=None, help="class-id PNG (default: classes.png in a new temp folder)"
    )
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    interpreter = Interpreter(model_path=args.model, num_threads=args.threads)  # XNNPACK on CPU
    bgr = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {args.image}")
    classes = segment(interpreter, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    output = args.output or os.path.join(tempfile.mkdtemp(prefix="sfnet_"), "classes.png")
    cv2.imwrite(output, classes)
    print(f"wrote {output}: classes {np.unique(classes).tolist()}")


if __name__ == "__main__":
    main()
