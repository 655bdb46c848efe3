"""Cityscapes benchmark output: labelId PNGs named as the benchmark expects.

The test server (and `cityscapesscripts`' `evalPixelLevelSemanticLabeling`) reads
one 8-bit PNG per image holding Cityscapes *labelIds* (road = 7, ..., bicycle =
33), whose file name contains `<city>_<seq>_<frame>`. The network predicts
*trainIds* (0..18); `train_ids_to_label_ids` maps them back.
"""

from __future__ import annotations

import logging
import os

import cv2
import keras
import numpy as np
import tensorflow as tf

from keras_sfnet.data.dataset_info import CITYSCAPES_LABELS

__all__ = [
    "TRAIN_ID_TO_LABEL_ID",
    "cityscapes_prediction_name",
    "predict_cityscapes_submission",
    "train_ids_to_label_ids",
    "write_cityscapes_prediction",
]

logger = logging.getLogger(__name__)

_SUFFIX = "_leftImg8bit.png"

#: `TRAIN_ID_TO_LABEL_ID[train_id]` is the Cityscapes labelId (0 = "unlabeled"
#: for 255 and any other non-trainId value).
TRAIN_ID_TO_LABEL_ID: np.ndarray = np.zeros(256, np.uint8)
for _name, _label_id, _train_id, _ in CITYSCAPES_LABELS:
    if _train_id != 255:
        TRAIN_ID_TO_LABEL_ID[_train_id] = _label_id
TRAIN_ID_TO_LABEL_ID.setflags(write=False)


def train_ids_to_label_ids(class_map: np.ndarray) -> np.ndarray:
    """Maps a Cityscapes trainId map (0..18) to labelIds (uint8).

    Values that are not trainIds (e.g. 255) become labelId 0 ("unlabeled").

    Example:
    >>> train_ids_to_label_ids(np.array([[0, 18, 255]])).tolist()
    [[7, 33, 0]]
    """
    class_map = np.asarray(class_map)
    if not np.issubdtype(class_map.dtype, np.integer):
        raise TypeError(
            f"`class_map` must hold integer trainIds. Received: dtype={class_map.dtype}"
        )
    index = np.where((class_map >= 0) & (class_map < 256), class_map, 255).astype(np.int64)
    return TRAIN_ID_TO_LABEL_ID[index]


def cityscapes_prediction_name(image_path: str | os.PathLike) -> str:
    """The benchmark's file name for the prediction of an image.

    `<city>_<seq>_<frame>_leftImg8bit.png` keeps its name (the benchmark matches
    predictions by the `<city>_<seq>_<frame>` part); other names get `.png`.

    Example:
    >>> cityscapes_prediction_name("val/lindau/lindau_000001_000019_leftImg8bit.png")
    'lindau_000001_000019_leftImg8bit.png'
    """
    name = os.path.basename(os.fspath(image_path))
    if name.endswith(_SUFFIX):
        return name
    return os.path.splitext(name)[0] + ".png"


def write_cityscapes_prediction(
    class_map: np.ndarray, image_path: str | os.PathLike, output_dir: str | os.PathLike
) -> str:
    """Writes a trainId class map as the benchmark's labelId PNG.

    Args:
        class_map: int `(H, W)` trainIds at the image's full resolution.
        image_path: str or path of the Cityscapes image (gives the file name).
        output_dir: str or path. Folder to write to (created).

    Returns:
        The path written.

    Example:
    >>> write_cityscapes_prediction(class_map, image_path, "results/")  # doctest: +SKIP
    'results/frankfurt_000000_000294_leftImg8bit.png'
    """
    output_dir = os.fspath(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, cityscapes_prediction_name(image_path))
    if not cv2.imwrite(path, train_ids_to_label_ids(class_map)):
        raise OSError(f"Could not write '{path}'.")
    return path


def predict_cityscapes_submission(
    segmenter,
    data_root: str | os.PathLike,
    output_dir: str | os.PathLike,
    split: str = "test",
    *,
    verbose: int = 1,
) -> list[str]:
    """Predicts every `leftImg8bit/<split>` image and writes the benchmark's PNGs.

    Args:
        segmenter: `keras_sfnet.inference.Segmenter` (its mode decides single-
            or multi-scale).
        data_root: str or path. Cityscapes root (holding `leftImg8bit/`).
        output_dir: str or path. Folder for the labelId PNGs (flat, zip it for
            the server).
        split: str, defaults to `"test"`.
        verbose: int, defaults to 1. 1 shows a progress bar.

    Returns:
        The list of files written.

    Example:
    >>> from keras_sfnet.inference import Segmenter
    >>> predict_cityscapes_submission(Segmenter(model, scales=(0.75, 1.0, 1.25), flip=True),
    ...                               "/data/cityscapes", "submission/")  # doctest: +SKIP
    """
    pattern = os.path.join(os.fspath(data_root), "leftImg8bit", split, "*", "*" + _SUFFIX)
    images = sorted(tf.io.gfile.glob(pattern))
    if not images:
        raise FileNotFoundError(f"No Cityscapes images match '{pattern}'.")
    progbar = keras.utils.Progbar(len(images), verbose=verbose, unit_name="image")
    written = []
    for i, image_path in enumerate(images):
        with tf.io.gfile.GFile(image_path, "rb") as f:
            data = np.frombuffer(f.read(), np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"Could not decode image '{image_path}'.")
        written.append(
            write_cityscapes_prediction(segmenter.predict(image, bgr=True), image_path, output_dir)
        )
        progbar.update(i + 1)
    logger.info("Wrote %d Cityscapes prediction PNGs to %s", len(written), output_dir)
    return written
