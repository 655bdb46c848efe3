"""Segments one image and writes its colour mask, overlay and legend.

    python examples/predict_image.py --model sfnet_r18_cityscapes.keras --image street.jpg
    python examples/predict_image.py   # an untrained model on a synthetic street scene

Writes into --output-dir, by default a new temporary folder (printed). Shows the Python API that `tools/predict.py` wraps: `Segmenter` takes the image
as OpenCV reads it (uint8 BGR, `bgr=True`), at any size, and returns the class
map at that size.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import cv2

import keras_sfnet
from keras_sfnet.data import get_dataset_info, list_files
from keras_sfnet.inference import Segmenter, load_segmentation_model
from keras_sfnet.synthetic import generate_synthetic_cityscapes
from keras_sfnet.visualize import colorize, legend, overlay


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=None, help=".keras or .pth (default: untrained SFNet)")
    parser.add_argument("--image", default=None, help="image file (default: a synthetic scene)")
    parser.add_argument("--dataset", default="cityscapes", help="palette and class names")
    parser.add_argument("--output-dir", default=None, help="(default: a new temporary folder)")
    parser.add_argument("--scales", default="1.0", help="e.g. 0.75,1.0,1.25")
    parser.add_argument("--flip", action="store_true")
    args = parser.parse_args(argv)

    info = get_dataset_info(args.dataset)
    if args.model:
        model = load_segmentation_model(args.model)
    else:
        model = keras_sfnet.SFNet("resnet18", num_classes=info.num_classes)
    output_dir = args.output_dir or tempfile.mkdtemp(prefix="sfnet_predict_")
    image_path = args.image
    if image_path is None:
        root = generate_synthetic_cityscapes(
            os.path.join(output_dir, "synthetic_data"), num_train=0, num_val=1
        )
        image_path = list_files("cityscapes", root, "val")[0][0]

    bgr = cv2.imread(image_path, cv2.IMREAD_COLOR)
    if bgr is None:
        parser.error(f"could not read image '{image_path}'")
    segmenter = Segmenter(
        model, bgr=True, scales=[float(s) for s in args.scales.split(",")], flip=args.flip
    )
    class_map, probabilities = segmenter.predict(bgr, return_probabilities=True)

    os.makedirs(output_dir, exist_ok=True)
    stem = os.path.join(output_dir, os.path.splitext(os.path.basename(image_path))[0])
    rgb = bgr[..., ::-1]
    outputs = {
        f"{stem}_color.png": colorize(class_map, info.palette),
        f"{stem}_overlay.png": overlay(rgb, class_map, info.palette, alpha=0.5),
        os.path.join(output_dir, "legend.png"): legend(info.class_names, info.palette),
    }
    for path, picture in outputs.items():
        cv2.imwrite(path, picture[..., ::-1])
        print("wrote", path)
    confidence = probabilities.max(axis=-1).mean()
    print(f"{class_map.shape[1]}x{class_map.shape[0]} image, mean confidence {confidence:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
