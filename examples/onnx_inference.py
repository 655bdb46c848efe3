"""Segments one image with an ONNX SFNet on ONNX Runtime.

    python tools/export.py --model sfnet.keras --format onnx --output sfnet.onnx \
        --include-preprocessing
    python examples/onnx_inference.py --model sfnet.onnx --image street.png --output classes.png

With ``--include-preprocessing`` the model takes ``image``: uint8 RGB, NHWC
``(B, H, W, 3)``; without it, float32 normalised RGB (``keras_sfnet.layers.ImageConverter``).
It returns ``logits`` ``(B, H, W, C)``. Use ``--provider CUDAExecutionProvider`` (or
``TensorrtExecutionProvider``) where onnxruntime-gpu is installed.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import cv2
import numpy as np
import onnxruntime as ort


def segment(session: ort.InferenceSession, rgb: np.ndarray) -> np.ndarray:
    """Class ids (H, W) of a uint8 RGB image, at the image's size."""
    height, width = rgb.shape[:2]
    _, model_h, model_w, _ = session.get_inputs()[0].shape
    size = (model_h, model_w) if isinstance(model_h, int) else (height, width)
    image = cv2.resize(rgb, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)[None]
    if session.get_inputs()[0].type == "tensor(uint8)":
        x = image  # the model includes its preprocessing: uint8 RGB in
    else:  # normalise as the model was trained (needs keras_sfnet, i.e. TensorFlow)
        from keras_sfnet.layers import ImageConverter

        x = np.asarray(ImageConverter()(image))
    (logits,) = session.run(["logits"], {"image": x})
    classes = logits[0].argmax(-1).astype(np.uint8)
    return cv2.resize(classes, (width, height), interpolation=cv2.INTER_NEAREST)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument(
        "--output", default=None, help="class-id PNG (default: classes.png in a new temp folder)"
    )
    parser.add_argument("--provider", default="CPUExecutionProvider")
    args = parser.parse_args()
    session = ort.InferenceSession(args.model, providers=[args.provider])
    bgr = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {args.image}")
    classes = segment(session, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    output = args.output or os.path.join(tempfile.mkdtemp(prefix="sfnet_"), "classes.png")
    cv2.imwrite(output, classes)
    print(f"wrote {output}: classes {np.unique(classes).tolist()}")


if __name__ == "__main__":
    main()
