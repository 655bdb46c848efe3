"""Synthetic datasets in the on-disk layouts of the driving datasets.

`generate_synthetic_layout` saves the scenes of `render_street_scene` in the
layout and native label space of Cityscapes, Mapillary Vistas (v1.2, v2.0),
BDD100K, IDD or KITTI, so that each dataset's own loader and label mapping run
without downloading anything.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence

import cv2
import numpy as np

from keras_sfnet.data.dataset_info import CITYSCAPES_LABEL_ID_TO_TRAIN_ID, make_palette
from keras_sfnet.data.mapillary import MAPILLARY_V12_CLASS_NAMES, MAPILLARY_V20_CLASS_NAMES
from keras_sfnet.names import SYNTHETIC_LAYOUTS
from keras_sfnet.synthetic.cityscapes_writer import generate_synthetic_cityscapes
from keras_sfnet.synthetic.label_ids import (
    BICYCLE,
    BUILDING,
    BUS,
    CAR,
    EGO,
    FENCE,
    GROUND,
    LIGHT,
    PARKING,
    PERSON,
    POLE,
    RIDER,
    ROAD,
    SIDEWALK,
    SIGN,
    SKY,
    TERRAIN,
    VEGETATION,
    WALL,
)
from keras_sfnet.synthetic.renderer import render_street_scene

__all__ = ["SYNTHETIC_LAYOUTS", "generate_synthetic_layout"]

logger = logging.getLogger(__name__)

# Cityscapes labelIds drawn by the renderer -> the label (readable name) that
# each native label space uses for it.
_MAPILLARY_NAMES = {
    EGO: "Ego Vehicle", GROUND: "Pedestrian Area", ROAD: "Road", SIDEWALK: "Sidewalk",
    PARKING: "Parking", BUILDING: "Building", WALL: "Wall", FENCE: "Fence", POLE: "Pole",
    LIGHT: ("Traffic Light", "Traffic Light - General (Upright)"),
    SIGN: "Traffic Sign (Front)", VEGETATION: "Vegetation", TERRAIN: "Terrain", SKY: "Sky",
    PERSON: "Person", RIDER: "Bicyclist", CAR: "Car", BUS: "Bus", BICYCLE: "Bicycle",
}  # fmt: skip
_IDD_LEVEL3 = {
    EGO: 255, GROUND: 3, ROAD: 0, SIDEWALK: 2, PARKING: 1, BUILDING: 22, WALL: 14,
    FENCE: 15, POLE: 20, LIGHT: 19, SIGN: 18, VEGETATION: 24, TERRAIN: 3, SKY: 25,
    PERSON: 4, RIDER: 5, CAR: 9, BUS: 11, BICYCLE: 7,
}  # fmt: skip


def _lookup(table: dict[int, int]) -> np.ndarray:
    lut = np.full(256, 255, np.uint8)
    for key, value in table.items():
        lut[key] = value
    return lut


def _mapillary_lut(class_names: Sequence[str]) -> np.ndarray:
    index = {name: i for i, name in enumerate(class_names)}
    table = {}
    for label_id, names in _MAPILLARY_NAMES.items():
        names = (names,) if isinstance(names, str) else names
        table[label_id] = next(index[n] for n in names if n in index)
    return _lookup(table)


def _write_palette_png(path: str, values: np.ndarray, palette: np.ndarray) -> None:
    from PIL import Image

    image = Image.fromarray(values.astype(np.uint8), mode="P")
    flat = np.zeros((256, 3), np.uint8)
    flat[: len(palette)] = palette
    image.putpalette(flat.reshape(-1).tolist())
    image.save(path)


def generate_synthetic_layout(
    root: str | os.PathLike,
    layout: str = "cityscapes",
    num_train: int = 80,
    num_val: int = 20,
    image_size: Sequence[int] = (256, 512),
    seed: int = 0,
) -> str:
    """Writes a small synthetic dataset in the on-disk layout of a driving dataset.

    The scenes are those of `render_street_scene`, their labels converted to
    the dataset's native label space, so that each dataset's own loader and
    label mapping run without downloading anything:

    - `"cityscapes"`: `generate_synthetic_cityscapes`.
    - `"mapillary"` / `"mapillary_v2"`: `config.json` (v1.2 release) or
      `config_v2.0.json` listing every label of the version, JPEG images of
      varied sizes (up to 1.5 x `image_size`) in `{training,validation}/images`,
      palette-PNG labels (index = label value) in `{split}/labels` (v1.2) or
      `{split}/v2.0/labels`.
    - `"bdd100k"`: `images/{train,val}/*.jpg`, `labels/{split}/*_train_id.png`
      (Cityscapes trainIds).
    - `"idd"`: `leftImg8bit/{split}/{seq}/{frame}_leftImg8bit.png` and
      `gtFine/{split}/{seq}/{frame}_gtFine_labellevel3Ids.png` (level-3 ids).
    - `"kitti"`: `training/image_2/{i:06d}_10.png` and `training/semantic/`
      (Cityscapes labelIds): always the 200 training images the authors'
      90/10 splits index (`num_train`, `num_val` are not used).

    Args:
        root: str or path. Output folder (created if needed).
        layout: str, defaults to `"cityscapes"`. One of `SYNTHETIC_LAYOUTS`.
        num_train: int, defaults to 80. Training images.
        num_val: int, defaults to 20. Validation images.
        image_size: (height, width), defaults to `(256, 512)`.
        seed: int, defaults to 0. Same arguments, same files.

    Returns:
        `root` as a str.

    Example:
    >>> from keras_sfnet.data import load_dataset
    >>> import tempfile
    >>> root = generate_synthetic_layout(tempfile.mkdtemp(), "idd", num_train=4,
    ...                                  num_val=2, image_size=(64, 128))
    >>> ds = load_dataset("idd", root, "val", training=False)
    """
    key = str(layout).lower().replace("-", "_")
    if key not in SYNTHETIC_LAYOUTS:
        raise ValueError(
            f"`layout` must be one of {list(SYNTHETIC_LAYOUTS)}. Received: layout={layout!r}"
        )
    if key == "cityscapes":
        return generate_synthetic_cityscapes(
            root, num_train=num_train, num_val=num_val, image_size=image_size, seed=seed
        )
    root = os.fspath(root)
    height, width = (int(v) for v in image_size)
    counts = {"train": int(num_train), "val": int(num_val)}
    if key == "kitti":
        counts = {"train": 200}
    for split, count in counts.items():
        if count < 0:
            raise ValueError(f"`num_{split}` must be >= 0. Received: num_{split}={count!r}")
    layout_id = SYNTHETIC_LAYOUTS.index(key)

    if key.startswith("mapillary"):
        v2 = key == "mapillary_v2"
        names = MAPILLARY_V20_CLASS_NAMES if v2 else MAPILLARY_V12_CLASS_NAMES
        palette = make_palette(len(names))
        labels = [
            {"name": name.lower().replace(" ", "-"), "readable": name,
             "color": palette[i].tolist(), "instances": False, "evaluate": name != "Unlabeled"}
            for i, name in enumerate(names)
        ]  # fmt: skip
        os.makedirs(root, exist_ok=True)
        config_name = "config_v2.0.json" if v2 else "config.json"
        with open(os.path.join(root, config_name), "w", encoding="utf-8") as f:
            json.dump({"labels": labels, "version": "2.0" if v2 else "1.2"}, f, indent=1)
        lut = _mapillary_lut(names)
    elif key == "bdd100k":
        lut = _lookup(dict(CITYSCAPES_LABEL_ID_TO_TRAIN_ID))
    elif key == "idd":
        lut = _lookup(_IDD_LEVEL3)
    else:
        lut = np.arange(256, dtype=np.uint8)

    for split_id, (split, count) in enumerate(counts.items()):
        rng = np.random.default_rng((int(seed), layout_id, split_id))
        for i in range(count):
            size = (height, width)
            if key.startswith("mapillary"):  # varied sizes and aspect ratios
                size = (int(height * rng.uniform(1.0, 1.5)), int(width * rng.uniform(1.0, 1.5)))
            image, label_ids = render_street_scene((int(seed), 100 + layout_id, split_id, i), size)
            values = lut[label_ids]
            if key.startswith("mapillary"):
                folder = {"train": "training", "val": "validation"}[split]
                image_dir = os.path.join(root, folder, "images")
                label_dir = os.path.join(root, folder, *(("v2.0",) if v2 else ()), "labels")
                image_path = os.path.join(image_dir, f"synth{split_id}{i:05d}.jpg")
                label_path = os.path.join(label_dir, f"synth{split_id}{i:05d}.png")
            elif key == "bdd100k":
                stem = f"{int(seed):04x}{split_id:02x}{i:02x}-synth{i:05d}"
                image_path = os.path.join(root, "images", split, f"{stem}.jpg")
                label_path = os.path.join(root, "labels", split, f"{stem}_train_id.png")
            elif key == "idd":
                sequence = str(i % 3)
                frame = f"{i:06d}"
                image_path = os.path.join(root, "leftImg8bit", split, sequence, f"{frame}_leftImg8bit.png")
                label_path = os.path.join(root, "gtFine", split, sequence, f"{frame}_gtFine_labellevel3Ids.png")
            else:
                image_path = os.path.join(root, "training", "image_2", f"{i:06d}_10.png")
                label_path = os.path.join(root, "training", "semantic", f"{i:06d}_10.png")
            os.makedirs(os.path.dirname(image_path), exist_ok=True)
            os.makedirs(os.path.dirname(label_path), exist_ok=True)
            cv2.imwrite(image_path, image[..., ::-1])
            if key.startswith("mapillary"):
                _write_palette_png(label_path, values, palette)
            else:
                cv2.imwrite(label_path, values)
        logger.info("Wrote %d synthetic %s %s images to %s.", count, key, split, root)
    return root
