"""`evaluate`: mIoU of a model on a dataset, in the paper's evaluation modes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence

import cv2
import keras
import numpy as np
import tensorflow as tf

from keras_sfnet.data.dataset_info import BUILTIN_DATASETS, DatasetInfo, get_dataset_info
from keras_sfnet.data.pipeline import resize_image_to_short_side
from keras_sfnet.data.reading import examples_dataset
from keras_sfnet.data.registry import list_files
from keras_sfnet.evaluation.cityscapes_submission import (
    cityscapes_prediction_name,
    write_cityscapes_prediction,
)
from keras_sfnet.evaluation.evaluation_result import EvaluationResult
from keras_sfnet.inference.segmenter import Segmenter
from keras_sfnet.metrics import ConfusionMatrix

__all__ = ["evaluate"]

logger = logging.getLogger(__name__)


def _text(value) -> str:
    if isinstance(value, tf.Tensor):
        value = value.numpy()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _examples(data) -> Iterable[tuple[np.ndarray, np.ndarray, str | None]]:
    """Yields `(uint8 RGB image, int label, path or None)` one image at a time."""
    if isinstance(data, tf.data.Dataset):
        data = data.as_numpy_iterator()
    for item in data:
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise ValueError(
                "`data` must yield (image, label) or (image, label, path). "
                f"Received an element of type {type(item).__name__}"
            )
        image, label = np.asarray(item[0]), np.asarray(item[1])
        path = item[2] if len(item) == 3 else None
        if image.ndim == 4:  # a batch
            paths = [None] * image.shape[0] if path is None else list(np.asarray(path).reshape(-1))
            for i in range(image.shape[0]):
                yield image[i], label[i], None if paths[i] is None else _text(paths[i])
        else:
            yield image, label, None if path is None else _text(path)


def _label_2d(label: np.ndarray) -> np.ndarray:
    if label.ndim == 3 and label.shape[-1] == 1:
        label = label[..., 0]
    if label.ndim != 2:
        raise ValueError(
            f"Labels must have shape (H, W) or (H, W, 1). Received: label.shape={label.shape}"
        )
    return label


def evaluate(
    model,
    data=None,
    *,
    dataset: str | None = "cityscapes",
    data_root: str | os.PathLike | None = None,
    split: str = "val",
    info: DatasetInfo | None = None,
    scales: Sequence[float] = (1.0,),
    flip: bool = False,
    window=None,
    overlap: float = 1 / 3,
    average: str = "logits",
    batch_size: int = 1,
    pad_to_multiple: int | None = None,
    max_images: int | None = None,
    predictions_dir: str | os.PathLike | None = None,
    short_side: int | None = None,
    verbose: int = 1,
) -> EvaluationResult:
    """Evaluates a segmentation model: per-class IoU, mIoU and pixel accuracy.

    Every image is predicted at its full resolution in the chosen mode (the
    paper's: whole image single scale, Table 3; multi-scale + flip, Table 4;
    sliding window for images larger than the model's input; see
    `keras_sfnet.inference.predict_logits`), the averaged float32 logits are
    argmax-ed and counted in a confusion matrix. The scores are defined as the
    Cityscapes benchmark's (`cityscapesscripts` pixel-level evaluation): for
    Cityscapes, the mIoU equals the benchmark's on the labelId PNGs that
    `predictions_dir` receives.

    Args:
        model: a `keras.Model` (e.g. `keras_sfnet.SFNet`), a path to a `.keras`
            or `.pth` file, or a `keras_sfnet.inference.Segmenter` (then the
            mode arguments below are taken from it).
        data: `None` (read `dataset` from `data_root`), or an iterable /
            `tf.data.Dataset` of `(image, label)` or `(image, label, path)`:
            uint8 RGB images `(H, W, 3)` (or batches of them) and class-index
            labels (`ignore_index` = ignore).
        dataset: str, defaults to `"cityscapes"`. A built-in dataset name
            (`"cityscapes"`, `"camvid"`, `"ade20k"`, `"pascal_context"`) or
            `"folder"` (see `keras_sfnet.data.list_files`). With `data`, it
            only names the classes (`None`: generic names, `"class_0"`...).
        data_root: str or path. Dataset folder (when `data` is `None`).
        split: str, defaults to `"val"`.
        info: `DatasetInfo` or `None` (the built-in one of `dataset`, or generic
            class names for `"folder"` and for `data`).
        scales: sequence of floats, defaults to `(1.0,)`.
        flip: bool, defaults to `False`.
        window: int, `(height, width)` or `None` (whole image).
        overlap: float, defaults to 1/3. Sliding-window overlap.
        average: `"logits"` (defaults, as the authors) or `"probabilities"`.
        batch_size: int, defaults to 1. Model inputs per call.
        pad_to_multiple: int or `None`. See `Segmenter`.
        max_images: int or `None`. Evaluate only the first images.
        predictions_dir: str, path or `None`. Also write the predictions: for
            Cityscapes labelId PNGs with the benchmark's names, otherwise PNGs of
            class indices.
        short_side: int or `None`. Predict on the image resized so that its
            shorter side has this many pixels (as training with `short_side`,
            e.g. Mapillary at 1080), then resize the prediction (nearest) back
            to the label's size: scores are always at the label's resolution.
        verbose: int, defaults to 1. 1 shows a progress bar with the running
            mIoU, 0 is silent.

    Returns:
        An `EvaluationResult` (`.miou`, `.per_class_iou`, `.pixel_accuracy`,
        `.num_images`, `.format_table()`, `.save_json(path)`).

    Example:
    >>> import keras_sfnet
    >>> result = keras_sfnet.evaluate("sfnet_r18.keras", data_root="/data/cityscapes",
    ...                               scales=(0.5, 0.75, 1.0, 1.25, 1.5, 1.75),
    ...                               flip=True)  # doctest: +SKIP
    >>> print(result.format_table())  # doctest: +SKIP
    """
    if isinstance(model, Segmenter):
        segmenter = model
    else:
        if isinstance(model, (str, os.PathLike)):
            from keras_sfnet.inference.model_loading import load_segmentation_model

            model = load_segmentation_model(model)
        segmenter = Segmenter(
            model,
            scales=scales,
            flip=flip,
            window=window,
            overlap=overlap,
            average=average,
            pad_to_multiple=pad_to_multiple,
            batch_size=batch_size,
        )
    if short_side is not None and (isinstance(short_side, bool) or int(short_side) < 1):
        raise ValueError(f"`short_side` must be a positive int. Received: short_side={short_side!r}")
    num_classes = segmenter.num_classes
    key = str(dataset).lower().replace("-", "_") if dataset else None

    if info is None:
        if key in BUILTIN_DATASETS or (data is None and key != "folder"):
            # Unknown names raise "must be one of ..."; Mapillary reads its config.
            info = get_dataset_info(key, data_root if data is None else None)
        else:
            info = DatasetInfo(name=key or "dataset", num_classes=num_classes)
    if info.num_classes != num_classes:
        raise ValueError(
            f"The model predicts {num_classes} classes but dataset '{info.name}' has "
            f"{info.num_classes}. Received: a model with {num_classes} output channels"
        )

    total = None
    if data is None:
        if data_root is None:
            raise ValueError("`data_root` is required when `data` is None.")
        files = list_files(key, data_root, split)
        if max_images is not None:
            files = files[: int(max_images)]
        total = len(files)
        data = examples_dataset(files, info, with_paths=True)

    is_cityscapes = info.name == "cityscapes"
    confusion = ConfusionMatrix(num_classes, ignore_index=info.ignore_index)
    progbar = keras.utils.Progbar(
        total, verbose=verbose, unit_name="image", stateful_metrics=["mIoU"]
    )
    count = 0
    for image, label, path in _examples(data):
        if max_images is not None and count >= int(max_images):
            break
        label = _label_2d(label)
        if image.shape[:2] != label.shape:
            raise ValueError(
                f"Image and label sizes differ{f' for {path!r}' if path else ''}: "
                f"image {image.shape[:2]}, label {label.shape}"
            )
        if short_side is None:
            prediction = segmenter.predict(image, bgr=False)
        else:
            prediction = _predict_at_short_side(segmenter, image, int(short_side))
        confusion.update(label, prediction)
        count += 1
        if predictions_dir is not None:
            name = path or f"image_{count - 1:06d}.png"
            if is_cityscapes:
                write_cityscapes_prediction(prediction, name, predictions_dir)
            else:
                os.makedirs(predictions_dir, exist_ok=True)
                out = os.path.join(os.fspath(predictions_dir), cityscapes_prediction_name(name))
                dtype = np.uint8 if num_classes <= 256 else np.uint16
                if not cv2.imwrite(out, prediction.astype(dtype)):
                    raise OSError(f"Could not write '{out}'.")
        progbar.update(count, values=[("mIoU", confusion.mean_iou())])
    if count == 0:
        raise ValueError("`data` yielded no images.")

    settings = {
        "dataset": info.name,
        "split": split,
        "scales": list(segmenter.scales),
        "flip": segmenter.flip,
        "window": None
        if segmenter.window is None
        else list(np.broadcast_to(segmenter.window, (2,)).tolist()),
        "overlap": segmenter.overlap,
        "average": segmenter.average,
        "ignore_index": info.ignore_index,
        "short_side": short_side,
    }
    result = EvaluationResult(confusion.counts, info.class_names, count, settings)
    logger.info("Evaluated %d images: mIoU %.4f", count, result.miou)
    return result


def _predict_at_short_side(segmenter, image: np.ndarray, short_side: int) -> np.ndarray:
    """Class map at `image`'s size, predicted on it resized to `short_side`."""
    height, width = image.shape[:2]
    resized = resize_image_to_short_side(image, short_side).numpy()
    size = resized.shape[:2]
    prediction = segmenter.predict(resized, bgr=False)
    # Nearest neighbour back to the label grid (pixel centres), for any integer dtype.
    rows = np.minimum(((np.arange(height) + 0.5) * size[0] / height).astype(np.int64), size[0] - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * size[1] / width).astype(np.int64), size[1] - 1)
    return prediction[rows[:, None], cols[None, :]]
