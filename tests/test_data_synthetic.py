"""Synthetic Cityscapes-layout dataset: deterministic, realistic labels, loadable."""

from __future__ import annotations

import glob
import os

import cv2
import numpy as np

from keras_sfnet import data


def file_bytes(root):
    paths = sorted(glob.glob(os.path.join(root, "**", "*.png"), recursive=True))
    return {os.path.relpath(p, root): open(p, "rb").read() for p in paths}


def test_same_seed_gives_identical_files(tmp_path):
    kwargs = dict(num_train=2, num_val=1, image_size=(64, 128), seed=3)
    a = data.generate_synthetic_cityscapes(tmp_path / "a", **kwargs)
    b = data.generate_synthetic_cityscapes(tmp_path / "b", **kwargs)
    files_a, files_b = file_bytes(a), file_bytes(b)
    assert len(files_a) == 6 and files_a == files_b
    c = data.generate_synthetic_cityscapes(tmp_path / "c", **{**kwargs, "seed": 4})
    assert file_bytes(c) != files_a
    city = data.synthetic.SYNTHETIC_CITIES["train"]
    assert f"gtFine/train/{city}/{city}_000000_000001_gtFine_labelIds.png" in files_a


def test_label_maps_hold_the_expected_cityscapes_classes():
    found = set()
    for i in range(6):
        image, label_ids = data.render_street_scene((0, 0, i), (128, 256))
        assert image.shape == (128, 256, 3) and image.dtype == np.uint8
        values = set(np.unique(label_ids).tolist())
        assert values <= set(data.CITYSCAPES_LABEL_ID_TO_TRAIN_ID)  # real labelIds only
        assert {7, 11, 23} <= values  # road, building, sky in every scene
        found |= values
    # sidewalk, pole, traffic light/sign, vegetation, terrain, person, car
    assert {8, 17, 21, 22, 24, 26} <= found and found & {19, 20}


def test_classes_are_not_separable_by_colour():
    # The mean colour of a class varies a lot between images.
    means = []
    for i in range(6):
        image, label_ids = data.render_street_scene((1, 0, i), (64, 128))
        means.append(image[label_ids == 7].mean(axis=0))
    assert np.ptp(np.array(means), axis=0).max() > 40


def test_loads_through_the_cityscapes_pipeline(tmp_path):
    root = data.generate_synthetic_cityscapes(
        tmp_path, num_train=2, num_val=1, image_size=(64, 128)
    )
    files = data.list_files("cityscapes", root, "val")
    info = data.get_dataset_info("cityscapes")
    report = data.validate_dataset(files, info)
    assert report["problems"] == [] and report["class_pixels"][0] > 0  # road as trainId 0
    images, labels = next(iter(data.load_dataset("cityscapes", root, "val", training=False)))
    assert images.shape == (1, 64, 128, 3)
    raw = cv2.imread(files[0][1], cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(labels[0].numpy(), info.lookup_table()[raw])
