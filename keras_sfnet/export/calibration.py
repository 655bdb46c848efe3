"""Calibration samples for full-integer quantisation."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "calibration_samples",
    "run_training_images",
    "run_validation_pairs",
    "synthetic_calibration_images",
]

DEFAULT_CALIBRATION_SIZE = (256, 512)


def synthetic_calibration_images(
    num_samples: int = 32, image_size: tuple[int, int] = DEFAULT_CALIBRATION_SIZE, seed: int = 0
) -> Iterator[np.ndarray]:
    """uint8 RGB ``(H, W, 3)`` street scenes from the bundled synthetic data.

    Rendered on the fly by ``keras_sfnet.synthetic.render_street_scene`` (no files);
    :func:`calibration_samples` normalises them with the export's ``ImageConverter``.

    Example:
    >>> image = next(synthetic_calibration_images(1, (64, 128)))
    >>> image.shape, image.dtype
    ((64, 128, 3), dtype('uint8'))
    """
    from keras_sfnet.synthetic.renderer import render_street_scene

    for i in range(num_samples):
        yield np.asarray(render_street_scene((seed, 7919, i), image_size)[0], np.uint8)


def _as_images(item) -> np.ndarray:
    if isinstance(item, dict):
        for key in ("image", "images"):
            if key in item:
                return _as_images(item[key])
        raise ValueError(
            "Calibration dicts must hold the images under 'image' or 'images'. "
            f"Received keys: {sorted(item)}"
        )
    if isinstance(item, (tuple, list)):
        item = item[0]  # (image, label) pairs
    array = np.asarray(item)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[-1] != 3:
        raise ValueError(
            "Calibration data must yield uint8 RGB or normalised float32 images (H, W, 3) "
            f"or batches (B, H, W, 3), optionally with labels. Received shape: {array.shape}"
        )
    return array if array.dtype == np.uint8 else array.astype(np.float32)


def calibration_samples(
    data: Iterable | None,
    input_size: tuple[int, int] | None,
    num_samples: int = 32,
    preprocessor=None,
    raw: bool = False,
) -> Callable[[], Iterator[list[np.ndarray]]]:
    """A ``representative_dataset`` callable yielding ``[float32 (1, H, W, 3)]``.

    Args:
        data: a ``tf.data.Dataset`` or iterable of uint8 RGB images or normalised
            float32 images ``(H, W, 3)`` / batches ``(B, H, W, 3)``, optionally
            ``(image, label)`` pairs or dicts with ``"image"``. None: synthetic street
            scenes. uint8 images are normalised with ``preprocessor``.
        input_size: ``(height, width)`` samples are resized to, or None to keep them.
        num_samples: int, how many images to use at most. Defaults to 32.
        preprocessor: the ``keras_sfnet.layers.ImageConverter`` of the export; None:
            the default one.
        raw: bool, defaults to False. Yield uint8 images (``[uint8 (1, H, W, 3)]``,
            float samples turned back with ``preprocessor.invert``): what a model
            that includes its preprocessing takes.

    Returns:
        A callable returning a fresh iterator each time (what converters expect).

    Example:
    >>> rep = calibration_samples(None, (64, 96), num_samples=4)
    >>> next(rep())[0].shape
    (1, 64, 96, 3)
    """
    if num_samples < 1:
        raise ValueError(f"`num_samples` must be >= 1. Received: num_samples={num_samples!r}")

    from keras_sfnet.layers.image_converter import ImageConverter

    converter = preprocessor if preprocessor is not None else ImageConverter()

    def generate():
        import cv2

        source = data
        if source is None:
            size = input_size or DEFAULT_CALIBRATION_SIZE
            source = synthetic_calibration_images(num_samples, size)
        elif hasattr(source, "as_numpy_iterator"):
            source = source.as_numpy_iterator()
        count = 0
        for item in source:
            for image in _as_images(item):
                if input_size is not None and image.shape[:2] != tuple(input_size):
                    image = cv2.resize(image, (input_size[1], input_size[0]))
                if raw:
                    image = (
                        image if image.dtype == np.uint8 else np.asarray(converter.invert(image))
                    )
                    yield [image[None]]
                else:
                    if image.dtype == np.uint8:
                        image = np.asarray(converter(image))
                    yield [image[None].astype(np.float32)]
                count += 1
                if count >= num_samples:
                    return
        if count == 0:
            raise ValueError("The calibration data yielded no images.")

    return generate


def _run_files(model_path, split_key: str, default_split: str, count: int):
    """`(files, info, root)`: `count` files spread over a split of the run that wrote
    `model_path`; `([], None, None)` when there is no such run or data."""
    import json

    from keras_sfnet.data import DatasetInfo, get_dataset_info, list_files

    folder = os.path.dirname(os.path.abspath(os.fspath(model_path)))
    config_path = os.path.join(folder, "config.json")
    if not os.path.isfile(config_path):
        return [], None, None
    try:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
        dataset = config.get("dataset", "")
        root = config.get("data_root")
        if dataset == "synthetic":
            dataset, root = "cityscapes", root or os.path.join(folder, "data")
        kwargs = {}
        if dataset == "folder":
            keys = ("images_dir", "masks_dir", "mask_suffix")
            kwargs = {k: config[k] for k in keys if k in config}
            info = DatasetInfo(
                name="folder",
                num_classes=config["num_classes"],
                ignore_index=config.get("ignore_index", 255),
            )
        else:
            info = get_dataset_info(dataset)
        split = config.get(split_key, default_split)
        files = list_files(dataset, root, split, **kwargs) if split else []
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.info("No %s files of the run in %s: %s", split_key, config_path, error)
        return [], None, None
    picks = np.linspace(0, len(files) - 1, min(count, len(files))).round().astype(int)
    return [files[i] for i in sorted(set(picks.tolist()))], info, root


def run_validation_pairs(
    model_path: str | os.PathLike, num_samples: int = 16
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Labelled validation images of the run that wrote ``model_path``, or None.

    ``(uint8 RGB image, label)`` pairs (labels mapped to class indices, 255 =
    ignore) from the validation split named in the ``config.json`` beside the
    model: the ``eval_data`` with which an export's mIoU drop is measured against
    real labels instead of against Keras's own class map.

    Example:
    >>> pairs = run_validation_pairs("runs/demo/model.keras")  # doctest: +SKIP
    """
    from keras_sfnet.data import load_pair

    files, info, _ = _run_files(model_path, "val_split", "val", num_samples)
    pairs = [load_pair(image_path, label_path, info) for image_path, label_path in files]
    return [(np.asarray(image, np.uint8), np.asarray(label)) for image, label in pairs] or None


def run_training_images(
    model_path: str | os.PathLike, num_samples: int = 32
) -> list[np.ndarray] | None:
    """uint8 RGB training images of the run that wrote ``model_path``, or None.

    A training run (``keras_sfnet.training.train``, ``tools/train.py``,
    ``tools/run_demo.py``) writes ``config.json`` beside its ``model.keras``; its
    dataset's training split is the natural int8 calibration set (the activation
    ranges the model saw). ``num_samples`` images evenly spread over the split are
    read. Returns None when there is no such config or its data is missing.

    Example:
    >>> images = run_training_images("runs/demo/model.keras", 32)  # doctest: +SKIP
    >>> images[0].dtype  # doctest: +SKIP
    dtype('uint8')
    """
    import cv2

    files, _, root = _run_files(model_path, "train_split", "train", num_samples)
    images = []
    for image_path, _ in files:
        image = cv2.imread(image_path, cv2.IMREAD_COLOR)
        if image is not None:
            images.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    if images:
        logger.info("int8 calibration: %d training images of %s", len(images), root)
    return images or None
