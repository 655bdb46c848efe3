"""Pictures SFNet's semantic flow (paper Figures 2 and 5) on the bundled synthetic data.

Writes one figure: the image, its ground truth, the prediction, and for each Flow
Alignment Module the flow as a colour image (Middlebury wheel: hue = direction,
saturation = length) and as arrows. Without `--model`, a small SFNet is first
trained for `--train-steps` steps on synthetic Cityscapes-layout street scenes (a
few minutes on a CPU), so that the flows are those of a network that has learnt
something.

Writes to --output, by default semantic_flow.png in a new temporary folder
(printed); the synthetic data goes to --data-root, by default into that folder.
Regenerating the documentation's picture is explicit:

    python examples/visualize_flow.py --output docs/images/semantic_flow.png
    python examples/visualize_flow.py --model sfnet_r18.keras --image street.png
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import cv2
import keras
import numpy as np

import keras_sfnet
from keras_sfnet.data import get_dataset_info, list_files, load_dataset, read_example
from keras_sfnet.inference import Segmenter, flow_pictures, load_segmentation_model
from keras_sfnet.losses import SegmentationCrossEntropy
from keras_sfnet.synthetic import generate_synthetic_cityscapes
from keras_sfnet.visualize import colorize, legend


def train_small_model(root: str, steps: int, size: tuple[int, int], seed: int) -> keras.Model:
    """A ResNet-18 SFNet (narrow decoder) briefly trained on the synthetic data."""
    keras.utils.set_random_seed(seed)
    model = keras_sfnet.SFNet("resnet18", num_classes=19, decoder_filters=32)
    if steps > 0:
        train = load_dataset(
            "cityscapes", root, "train", training=True, crop_size=size, batch_size=4, seed=seed
        )
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=SegmentationCrossEntropy(ignore_index=255),
        )
        model.fit(train, steps_per_epoch=steps, epochs=1, verbose=2)
    return model


def _titled(picture: np.ndarray, title: str) -> np.ndarray:
    bar = np.full((20, picture.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, title, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, picture], axis=0)


def make_figure(image: np.ndarray, label: np.ndarray | None, segmenter: Segmenter) -> np.ndarray:
    """Row 1: image, ground truth, prediction; rows 2-3: flow colours and arrows; legend."""
    info = get_dataset_info("cityscapes")
    out = segmenter.predict_flows(image)
    pictures = flow_pictures(image, out, step=12, arrow_scale=None)
    blank = np.full_like(image, 255)
    top = [
        _titled(image, "image"),
        _titled(blank if label is None else colorize(label, info.palette), "ground truth"),
        _titled(colorize(out["class_map"], info.palette), "SFNet prediction"),
    ]
    levels = (("p4", 16), ("p3", 8), ("p2", 4))
    colours = [
        _titled(pictures[f"flow_{k}_color"], f"semantic flow {k} (stride {s})") for k, s in levels
    ]
    arrows = [
        _titled(pictures[f"flow_{k}_arrows"], f"flow {k} as arrows (scaled)") for k, s in levels
    ]
    grid = np.concatenate([np.concatenate(row, axis=1) for row in (top, colours, arrows)], axis=0)
    key = legend(info.class_names, info.palette, swatch_size=12, font_scale=0.4, padding=3)
    key = key[: grid.shape[0]]
    key = np.pad(key, ((0, grid.shape[0] - key.shape[0]), (4, 4), (0, 0)), constant_values=255)
    return np.concatenate([grid, key], axis=1)


def save_png(path: str, figure: np.ndarray, max_bytes: int = 300_000) -> None:
    """Writes an RGB figure as PNG; above `max_bytes`, as a 256-colour PNG."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    cv2.imwrite(path, figure[..., ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if os.path.getsize(path) > max_bytes:
        from PIL import Image

        Image.fromarray(figure).quantize(colors=256).save(path, optimize=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--output", default=None, help="PNG file (default: in a new temporary folder)"
    )
    parser.add_argument(
        "--model", default=None, help=".keras or .pth model (default: train a small one)"
    )
    parser.add_argument(
        "--image", default=None, help="image to show (default: a synthetic val image)"
    )
    parser.add_argument(
        "--data-root", default=None, help="synthetic data folder (default: beside the output)"
    )
    parser.add_argument("--train-steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-model", default=None, help="save the trained model (.keras)")
    args = parser.parse_args(argv)

    output = args.output or os.path.join(
        tempfile.mkdtemp(prefix="sfnet_flow_"), "semantic_flow.png"
    )
    data_root = args.data_root or os.path.join(os.path.dirname(output), "synthetic_data")
    size = (128, 256)
    root = generate_synthetic_cityscapes(data_root, num_train=64, num_val=2, image_size=size)
    if args.model:
        model = load_segmentation_model(args.model)
    else:
        model = train_small_model(root, args.train_steps, size, args.seed)
        if args.save_model:
            model.save(args.save_model)
    if args.image:
        image = cv2.imread(args.image, cv2.IMREAD_COLOR)
        if image is None:
            parser.error(f"could not read image '{args.image}'")
        image, label = np.ascontiguousarray(image[..., ::-1]), None
    else:
        image_path, label_path = list_files("cityscapes", root, "val")[1]
        image, label = read_example(image_path, label_path, get_dataset_info("cityscapes"))
    figure = make_figure(image, label, Segmenter(model))
    save_png(output, figure)
    print(f"Wrote {output} ({os.path.getsize(output) / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
