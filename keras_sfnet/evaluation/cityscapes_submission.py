"""Cityscapes benchmark output: labelId PNGs named as the benchmark expects.

The test server (and `cityscapesscripts`' `evalPixelLevelSemanticLabeling`) reads
one 8-bit PNG per image holding Cityscapes *labelIds* (road = 7, ..., bicycle =
33), whose file name contains `<city>_<seq>_<frame>`. The network predicts
*trainIds* (0..18); `train_ids_to_label_ids` maps them back.
"""

from __future__ import annotations

import io
import logging
import os
import re
import struct
import zipfile
from collections.abc import Sequence

import cv2
import keras
import numpy as np
import tensorflow as tf

from keras_sfnet.data.dataset_info import CITYSCAPES_LABELS

__all__ = [
    "SUBMISSION_ZIP_NAME",
    "TRAIN_ID_TO_LABEL_ID",
    "check_cityscapes_submission",
    "cityscapes_prediction_name",
    "predict_cityscapes_submission",
    "write_cityscapes_submission_zip",
    "train_ids_to_label_ids",
    "write_cityscapes_prediction",
]

logger = logging.getLogger(__name__)

_SUFFIX = "_leftImg8bit.png"

#: File name of the zip `write_cityscapes_submission_zip` writes by default.
SUBMISSION_ZIP_NAME = "cityscapes_submission.zip"

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


_STEM = re.compile(r"([A-Za-z]+_\d{6}_\d{6})")
_VALID_LABEL_IDS = frozenset(int(v) for v in TRAIN_ID_TO_LABEL_ID[:19]) | {0}


def _png_header(data: bytes) -> tuple[int, int, int, int] | None:
    """(height, width, bit depth, colour type) of a PNG, or None if it is not one."""
    if len(data) < 26 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return height, width, data[24], data[25]


def _test_images(data_root: str | os.PathLike, split: str) -> list[str]:
    pattern = os.path.join(os.fspath(data_root), "leftImg8bit", split, "*", "*" + _SUFFIX)
    images = sorted(tf.io.gfile.glob(pattern))
    if not images:
        raise FileNotFoundError(f"No Cityscapes images match '{pattern}'.")
    return images


def check_cityscapes_submission(
    data_root: str | os.PathLike,
    predictions: str | os.PathLike | Sequence[str],
    split: str = "test",
    *,
    check_values: bool = True,
) -> dict[str, str]:
    """Checks that every image of a split has exactly one valid prediction PNG.

    Each `leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png`
    needs one prediction whose name contains `<city>_<seq>_<frame>` (the
    benchmark's matching rule): an 8-bit single-channel PNG of the image's size
    holding Cityscapes labelIds of the 19 evaluated classes (or 0).

    Args:
        data_root: str or path. Cityscapes root (holding `leftImg8bit/`).
        predictions: a folder of PNGs, or a list of PNG paths.
        split: str, defaults to `"test"`.
        check_values: bool, defaults to `True`. Also decode each PNG and check
            its values.

    Returns:
        `{"<city>_<seq>_<frame>": prediction path}` for every image.

    Raises:
        ValueError: listing the images without a prediction, duplicated or
            stray predictions, and malformed PNGs (up to 10 of each).

    Example:
    >>> check_cityscapes_submission("/data/cityscapes", "submission/")  # doctest: +SKIP
    """
    images = _test_images(data_root, split)
    if isinstance(predictions, (str, os.PathLike)):
        folder = os.fspath(predictions)
        if not tf.io.gfile.isdir(folder):
            raise FileNotFoundError(f"Prediction folder '{folder}' does not exist.")
        paths = sorted(
            os.path.join(folder, n) for n in tf.io.gfile.listdir(folder) if n.endswith(".png")
        )
    else:
        paths = [os.fspath(p) for p in predictions]
    wanted = {_STEM.search(os.path.basename(p)).group(1): p for p in images}
    found: dict[str, str] = {}
    problems: dict[str, list[str]] = {"missing": [], "duplicate": [], "stray": [], "bad": []}
    for path in paths:
        match = _STEM.search(os.path.basename(path))
        stem = match.group(1) if match else None
        if stem not in wanted:
            problems["stray"].append(path)
            continue
        if stem in found:
            problems["duplicate"].append(path)
            continue
        found[stem] = path
        with tf.io.gfile.GFile(path, "rb") as f:
            data = f.read()
        header = _png_header(data)
        with tf.io.gfile.GFile(wanted[stem], "rb") as f:
            image_header = _png_header(f.read(32))
        if header is None or header[2:] != (8, 0):
            problems["bad"].append(f"{path} (not an 8-bit single-channel PNG)")
        elif image_header is not None and header[:2] != image_header[:2]:
            problems["bad"].append(
                f"{path} (size {header[0]}x{header[1]}, image {image_header[0]}x{image_header[1]})"
            )
        elif check_values:
            values = set(np.unique(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)).tolist())
            if not values <= _VALID_LABEL_IDS:
                problems["bad"].append(
                    f"{path} (values {sorted(values - _VALID_LABEL_IDS)[:5]} are not labelIds of "
                    "the 19 evaluated classes: write labelIds, not trainIds)"
                )
    problems["missing"] = [wanted[s] for s in sorted(set(wanted) - set(found))]
    if any(problems.values()):
        lines = [
            f"{kind}: {len(items)} (" + ", ".join(items[:10]) + (", ..." if len(items) > 10 else "") + ")"
            for kind, items in problems.items()
            if items
        ]
        raise ValueError(
            f"The Cityscapes {split} submission is not complete and valid ({len(images)} images, "
            f"{len(paths)} predictions): " + "; ".join(lines)
        )
    return found


def write_cityscapes_submission_zip(
    data_root: str | os.PathLike,
    predictions_dir: str | os.PathLike,
    zip_path: str | os.PathLike | None = None,
    split: str = "test",
) -> str:
    """Checks a prediction folder (`check_cityscapes_submission`) and zips it for upload.

    The zip holds one `<city>_<seq>_<frame>_leftImg8bit.png` labelId PNG per
    image at its top level, the layout the benchmark server reads.

    Args:
        data_root: str or path. Cityscapes root.
        predictions_dir: str or path. Folder of the labelId PNGs.
        zip_path: str, path or `None` (`{predictions_dir}/cityscapes_submission.zip`).
        split: str, defaults to `"test"`.

    Returns:
        The path of the zip.

    Example:
    >>> write_cityscapes_submission_zip("/data/cityscapes", "submission/")  # doctest: +SKIP
    'submission/cityscapes_submission.zip'
    """
    found = check_cityscapes_submission(data_root, predictions_dir, split)
    zip_path = os.fspath(zip_path or os.path.join(os.fspath(predictions_dir), SUBMISSION_ZIP_NAME))
    buffer = io.BytesIO()  # built in memory: GFile targets (gs://...) are not seekable
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for stem in sorted(found):
            with tf.io.gfile.GFile(found[stem], "rb") as png:
                z.writestr(os.path.basename(found[stem]), png.read())
    with tf.io.gfile.GFile(zip_path, "wb") as f:
        f.write(buffer.getvalue())
    logger.info("Wrote %s (%d predictions).", zip_path, len(found))
    return zip_path
