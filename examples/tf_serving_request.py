"""Sketch: query an SFNet SavedModel served by TF Serving over REST.

Export and serve (TF Serving wants ``<base>/<version>/``):

    python tools/export.py --model sfnet.keras --format saved_model \
        --output serving/sfnet/1 --include-probabilities
    docker run -p 8501:8501 -v "$PWD/serving/sfnet:/models/sfnet" \
        -e MODEL_NAME=sfnet tensorflow/serving

Then:

    python examples/tf_serving_request.py --image street.png --url http://localhost:8501

``serving_default`` takes uint8 RGB images ``(B, H, W, 3)`` of any size (normalised
inside) and returns ``class_ids`` int32 ``(B, H, W)`` (+ ``probabilities`` /
``logits`` if exported). ``serving_float`` takes normalised float32 images and returns
``logits``. For large images prefer gRPC (tensorflow-serving-api) over JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import urllib.request

import cv2
import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--url", default="http://localhost:8501")
    parser.add_argument("--model-name", default="sfnet")
    parser.add_argument(
        "--output", default=None, help="class-id PNG (default: classes.png in a new temp folder)"
    )
    args = parser.parse_args()
    bgr = cv2.imread(args.image, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {args.image}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    body = json.dumps(
        {"signature_name": "serving_default", "inputs": {"images": [rgb.tolist()]}}
    ).encode()
    request = urllib.request.Request(
        f"{args.url}/v1/models/{args.model_name}:predict",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        outputs = json.loads(response.read())["outputs"]
    classes = np.asarray(outputs["class_ids"] if isinstance(outputs, dict) else outputs)[0]
    output = args.output or os.path.join(tempfile.mkdtemp(prefix="sfnet_"), "classes.png")
    cv2.imwrite(output, classes.astype(np.uint8))
    print(f"wrote {output}: classes {np.unique(classes).tolist()}")


if __name__ == "__main__":
    main()
