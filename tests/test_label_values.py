"""Label values that are not labels of their dataset are errors, never silently ignored.

For every layout whose masks are mapped (Cityscapes labelIds, ADE20K, Pascal Context,
CamVid, a folder with a `label_mapping`), a mask holding one stray value must fail the
pipeline and `read_example` with the file and the value named, and `validate_dataset`
must count it; valid values without a training class still become 255.
"""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet import data

H, W = 16, 24
BAD_PIXELS = 9  # a 3x3 patch


def _write(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    array = np.asarray(array)
    assert cv2.imwrite(str(path), array[..., ::-1] if array.ndim == 3 else array)


def _image(seed=0):
    return np.random.default_rng(seed).integers(0, 256, (H, W, 3), dtype=np.uint8)


def _mask(fill, bad=None):
    mask = np.full((H, W), fill, np.uint8)
    mask[:, :3] = 255 if fill != 255 else 0  # some ignore pixels too
    if bad is not None:
        mask[5:8, 10:13] = bad
    return mask


def _cityscapes(root, mask):
    stem = "aachen_000000_000019"
    _write(root / "leftImg8bit/train/aachen" / f"{stem}_leftImg8bit.png", _image())
    _write(root / "gtFine/train/aachen" / f"{stem}_gtFine_labelIds.png", mask)
    return data.list_files("cityscapes", root, "train"), data.get_dataset_info("cityscapes")


def _ade20k(root, mask):
    _write(root / "images/training/ADE_train_00000001.jpg", _image())
    _write(root / "annotations/training/ADE_train_00000001.png", mask)
    return data.list_files("ade20k", root, "train"), data.get_dataset_info("ade20k")


def _pascal_context(root, mask):
    _write(root / "JPEGImages/2008_000002.jpg", _image())
    _write(root / "SegmentationClassContext/2008_000002.png", mask)
    os.makedirs(root / "ImageSets/SegmentationContext")
    (root / "ImageSets/SegmentationContext/train.txt").write_text("2008_000002\n")
    return data.list_files("pascal_context", root, "train"), data.get_dataset_info("pascal_context")


def _camvid(root, mask):
    _write(root / "train/0001TP_006690.png", _image())
    _write(root / "trainannot/0001TP_006690.png", mask)
    return data.list_files("camvid", root, "train"), data.get_dataset_info("camvid")


def _folder(root, mask):
    _write(root / "images/a.png", _image())
    _write(root / "masks/a.png", mask)
    info = data.DatasetInfo(name="roads", num_classes=2, label_mapping={0: 0, 1: 1, 5: 255})
    return data.list_folder(root / "images", root / "masks"), info


# layout: (builder, a valid training value and its class, a valid value without a
# class (-> 255), a value that is not a label of the dataset)
LAYOUTS = {
    "cityscapes": (_cityscapes, (7, 0), 4, 200),
    "ade20k": (_ade20k, (150, 149), 0, 200),
    "pascal_context": (_pascal_context, (59, 58), 0, 60),
    "camvid": (_camvid, (3, 3), 11, 12),
    "folder": (_folder, (1, 1), 5, 7),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_valid_values_map_and_ignored_values_become_255(tmp_path, layout):
    build, (value, class_index), ignored, _ = LAYOUTS[layout]
    mask = _mask(value)
    mask[0, 5:8] = ignored
    files, info = build(tmp_path, mask)
    ((_, label),) = [(x, y.numpy()) for x, y in data.examples_dataset(files, info)]
    assert label[0, 5:8].tolist() == [255, 255, 255]
    assert label[0, :3].tolist() == [255] * 3  # 255 on disk is the ignore value
    assert label[H - 1, W - 1] == class_index
    report = data.validate_dataset(files, info)
    assert report["invalid_values"] == {} and report["problems"] == []
    assert report["class_pixels"][class_index] == H * W - 3 * H - 3


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_value_that_is_not_a_label_is_an_error(tmp_path, layout):
    build, (value, _), _, bad = LAYOUTS[layout]
    files, info = build(tmp_path, _mask(value, bad=bad))
    ((image_path, label_path),) = files
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        list(data.examples_dataset(files, info))
    message = str(error.value).replace("\\'", "'")
    assert label_path in message and f"[{bad}]" in message
    assert f"not labels of '{info.name}'" in message
    with pytest.raises(ValueError) as error:
        data.read_example(image_path, label_path, info)
    first_line = str(error.value).splitlines()[0]
    assert label_path in first_line and first_line.endswith(f"Values: {bad}")
    report = data.validate_dataset(files, info, raise_errors=False)
    assert report["invalid_values"] == {bad: BAD_PIXELS}
    (problem,) = report["problems"]
    assert label_path in problem and f"{bad} ({BAD_PIXELS} pixels)" in problem
    if layout == "cityscapes":
        with pytest.raises(ValueError, match=f"200 \\({BAD_PIXELS} pixels\\)"):
            data.validate_dataset(files, info)


def test_cityscapes_train_ids_file_with_stray_value_is_refused(tmp_path):
    # The *_labelTrainIds.png path was already strict; it must stay so.
    stem = "aachen_000000_000019"
    _write(tmp_path / "leftImg8bit/val/aachen" / f"{stem}_leftImg8bit.png", _image())
    _write(tmp_path / "gtFine/val/aachen" / f"{stem}_gtFine_labelIds.png", _mask(7))
    _write(tmp_path / "gtFine/val/aachen" / f"{stem}_gtFine_labelTrainIds.png", _mask(0, bad=200))
    files = data.list_files("cityscapes", tmp_path, "val")
    assert files[0][1].endswith("_labelTrainIds.png")
    report = data.validate_dataset(files, data.get_dataset_info("cityscapes"), raise_errors=False)
    assert report["invalid_values"] == {200: BAD_PIXELS}


def test_unmapped_to_ignore_still_hides_values_when_asked():
    info = data.DatasetInfo(name="lenient", num_classes=2, label_mapping={0: 0, 1: 1},
                            unmapped_to_ignore=True)  # fmt: skip
    label = data.map_label(tf.constant([[0, 1, 200]]), info)
    assert label.numpy().tolist() == [[0, 1, 255]]
