"""Bad data gives clear errors that name the file and the problem."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet import data

H, W = 16, 32


def write_png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), np.asarray(array))
    return str(path)


def make_camvid(root, n=2, label_value=3, size=(H, W)):
    for split in ("train", "val"):
        for i in range(n):
            write_png(root / split / f"f{i}.png", np.full((H, W, 3), 100, np.uint8))
            write_png(root / f"{split}annot" / f"f{i}.png", np.full(size, label_value, np.uint8))
    return root


def iterate(name, root, split="train", **kwargs):
    ds = data.load_dataset(name, root, split, training=False, **kwargs)
    return list(ds)


def test_missing_root_shows_layout(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as error:
        data.load_dataset("cityscapes", missing, "train", training=True)
    message = str(error.value)
    assert f"root='{missing}'" in message and "leftImg8bit/{split}/{city}" in message


def test_missing_split_folder_names_it(tmp_path):
    make_camvid(tmp_path)
    with pytest.raises(FileNotFoundError) as error:
        data.list_camvid(tmp_path, "test")
    assert str(tmp_path / "test") in str(error.value) and "trainannot" in str(error.value)
    with pytest.raises(FileNotFoundError, match="SegmentationContext"):
        data.list_pascal_context(tmp_path, "train")
    with pytest.raises(ValueError, match="`split` must be one of"):
        data.list_cityscapes(tmp_path, "training")


def test_no_images_found(tmp_path):
    os.makedirs(tmp_path / "leftImg8bit" / "train" / "aachen")
    os.makedirs(tmp_path / "gtFine" / "train")
    with pytest.raises(FileNotFoundError, match="No '\\*_leftImg8bit.png' images"):
        data.list_cityscapes(tmp_path, "train")


def test_image_without_label(tmp_path):
    make_camvid(tmp_path)
    write_png(tmp_path / "train" / "orphan.png", np.zeros((H, W, 3), np.uint8))
    with pytest.raises(FileNotFoundError) as error:
        data.list_camvid(tmp_path, "train")
    assert "orphan.png" in str(error.value) and "no matching label" in str(error.value)


def test_size_mismatch_names_both_files(tmp_path):
    make_camvid(tmp_path, size=(H, W + 2))
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        iterate("camvid", tmp_path)
    message = str(error.value)
    assert str(tmp_path / "train" / "f0.png") in message
    assert str(tmp_path / "trainannot" / "f0.png") in message and "sizes must match" in message


def test_label_value_out_of_range_names_file_and_values(tmp_path):
    make_camvid(tmp_path, label_value=12)  # 11 is void, 12 is nothing
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        iterate("camvid", tmp_path)
    message = str(error.value)
    assert str(tmp_path / "trainannot" / "f0.png") in message and "[12]" in message
    with pytest.raises(ValueError, match="f0.png.*Values: 12$"):
        data.read_example(tmp_path / "train/f0.png", tmp_path / "trainannot/f0.png",
                          data.get_dataset_info("camvid"))  # fmt: skip


def test_corrupt_image_names_file(tmp_path):
    make_camvid(tmp_path)
    (tmp_path / "train" / "f1.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        iterate("camvid", tmp_path)
    message = str(error.value)
    assert str(tmp_path / "train" / "f1.png") in message and "corrupt" in message


def test_colour_mask_is_rejected(tmp_path):
    make_camvid(tmp_path)
    mask = np.zeros((H, W, 3), np.uint8)
    mask[..., 2] = 3
    write_png(tmp_path / "trainannot" / "f0.png", mask)
    with pytest.raises(tf.errors.InvalidArgumentError, match="single-channel"):
        iterate("camvid", tmp_path)


def test_validate_dataset_reports_every_problem(tmp_path):
    make_camvid(tmp_path, n=4)
    write_png(tmp_path / "trainannot" / "f1.png", np.full((H, W), 40, np.uint8))
    (tmp_path / "train" / "f2.png").write_bytes(b"not an image")
    write_png(tmp_path / "trainannot" / "f3.png", np.zeros((H + 1, W), np.uint8))
    files = data.list_camvid(tmp_path, "train")
    info = data.get_dataset_info("camvid")
    with pytest.raises(ValueError) as error:
        data.validate_dataset(files, info)
    message = str(error.value)
    assert message.startswith("3 of 4 examples of 'camvid' are invalid")
    for name in ("trainannot/f1.png", "train/f2.png", "trainannot/f3.png"):
        assert str(tmp_path / name) in message
    report = data.validate_dataset(files, info, raise_errors=False)
    assert len(report["problems"]) == 3 and report["class_pixels"][3] == H * W
    good = data.validate_dataset(data.list_camvid(tmp_path, "val"), info)
    assert good["sizes"] == {(H, W): 4} and good["problems"] == []


@pytest.mark.parametrize("check_images", [True, False])
def test_validate_dataset_names_each_real_problem(tmp_path, check_images):
    """Each file's own reason, in one report: sizes, colour masks, values and counts."""
    make_camvid(tmp_path, n=5)
    annot = tmp_path / "trainannot"
    write_png(annot / "f0.png", np.zeros((H - 2, W), np.uint8))  # another size
    colour = np.zeros((H, W, 3), np.uint8)
    colour[..., 0] = 3
    write_png(annot / "f1.png", colour)  # RGB colour mask
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[..., 1], rgba[..., 3] = 2, 255
    write_png(annot / "f2.png", rgba)  # RGBA colour mask
    bad = np.zeros((H, W), np.uint8)
    bad[0, :3] = 200
    write_png(annot / "f3.png", bad)  # 3 pixels of 200
    files = data.list_camvid(tmp_path, "train")
    with pytest.raises(ValueError) as error:
        data.validate_dataset(files, data.get_dataset_info("camvid"), check_images=check_images)
    message = str(error.value)
    assert "Graph execution error" not in message
    assert message.startswith("4 of 5 examples of 'camvid' are invalid")
    assert f"has size (HxW) {H}x{W} but its label {annot / 'f0.png'} has size {H - 2}x{W}" in (
        message
    )
    for name in ("f1.png", "f2.png"):
        assert f"Label file {annot / name} is a colour mask (RGB/RGBA" in message
    assert f"Label file {annot / 'f3.png'} has values" in message
    assert "Values: 200 (3 pixels)" in message
    assert message.endswith("over all files: 200 (3 pixels)")
