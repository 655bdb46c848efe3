"""The TensorFlow-free input path (`keras_sfnet.data.array_pipeline`) against tf.data."""

from __future__ import annotations

import numpy as np
import pytest

from keras_sfnet.data import (
    AugmentationConfig,
    get_dataset_info,
    list_files,
    make_dataset,
    synthetic,
)
from keras_sfnet.data.array_pipeline import augment_arrays, make_array_dataset, read_example_arrays
from keras_sfnet.data.local_listing import list_files_anywhere
from keras_sfnet.losses import replicate_labels


@pytest.fixture(scope="module")
def cityscapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("array_pipeline")
    synthetic.generate_synthetic_cityscapes(
        str(root), num_train=4, num_val=3, image_size=(64, 128), seed=0
    )
    return str(root), get_dataset_info("cityscapes")


def test_listing_is_the_tf_listing(cityscapes):
    root, _ = cityscapes
    for split in ("train", "val"):
        assert list_files_anywhere("cityscapes", root, split) == list_files("cityscapes", root, split)


def test_evaluation_batches_equal_tf_data(cityscapes):
    root, info = cityscapes
    files = list_files("cityscapes", root, "val")
    expected = list(make_dataset(files, info, training=False))
    arrays = make_array_dataset(files, info, training=False)
    assert len(arrays) == len(expected) == 3
    for index, (images, labels) in enumerate(expected):
        got_images, got_labels = arrays[index]
        assert got_images.dtype == np.float32 and got_labels.dtype == np.int32
        np.testing.assert_array_equal(got_images, images.numpy())
        np.testing.assert_array_equal(got_labels, labels.numpy())


def test_training_batches_match_tf_data_in_kind(cityscapes):
    root, info = cityscapes
    files = list_files("cityscapes", root, "train")
    kwargs = dict(training=True, crop_size=(48, 80), batch_size=2, seed=5, class_uniform=0.5)
    images, labels = next(iter(make_dataset(files, info, **kwargs)))
    got_images, got_labels = make_array_dataset(files, info, **kwargs)[0]
    assert got_images.shape == tuple(images.shape) and got_labels.shape == tuple(labels.shape)
    assert got_images.dtype == np.float32 and got_labels.dtype == np.int32
    allowed = set(range(info.num_classes)) | {info.ignore_index}
    assert set(np.unique(got_labels).tolist()) <= allowed
    # Normalised like tf.data's: inside the converter's image of [0, 255].
    mean, std = np.float32([0.485, 0.456, 0.406]), np.float32([0.229, 0.224, 0.225])
    assert ((got_images >= -mean / std - 1e-6) & (got_images <= (1 - mean) / std + 1e-6)).all()


def test_training_stream_is_a_function_of_the_seed(cityscapes):
    root, info = cityscapes
    files = list_files("cityscapes", root, "train")
    kwargs = dict(training=True, crop_size=(32, 32), batch_size=2)
    first = make_array_dataset(files, info, seed=1, **kwargs)
    again = make_array_dataset(files, info, seed=1, **kwargs)
    other = make_array_dataset(files, info, seed=2, **kwargs)
    for index in (0, 3, 1):  # any order: batch i depends on (seed, i) only
        np.testing.assert_array_equal(first[index][0], again[index][0])
        np.testing.assert_array_equal(first[index][1], again[index][1])
    assert not np.array_equal(first[0][0], other[0][0])
    resumed = make_array_dataset(files, info, seed=1, start_batch=3, **kwargs)
    np.testing.assert_array_equal(resumed[0][0], first[3][0])
    assert first.num_batches is None  # endless; fit gets steps_per_epoch


def test_crop_only_keeps_source_pixels_and_pads_with_ignore(cityscapes):
    root, info = cityscapes
    image, label = read_example_arrays(*list_files("cityscapes", root, "train")[0], info)
    out, out_label = augment_arrays(
        image, label, np.random.default_rng(0), crop_size=(32, 160),
        config=AugmentationConfig.crop_only(),
    )
    # 64x128 padded to 64x160: 16 columns of fill each side, the whole width kept.
    assert (out_label[:, :16] == 255).all() and (out_label[:, 144:] == 255).all()
    rows = [r for r in range(64 - 31) if np.array_equal(label[r : r + 32], out_label[:, 16:144])]
    assert rows, "the crop is a window of the source label"
    np.testing.assert_array_equal(out[:, 16:144], image[rows[0] : rows[0] + 32].astype(np.float32))


def test_deep_supervision_labels_and_label_checks(cityscapes, tmp_path):
    root, info = cityscapes
    files = list_files("cityscapes", root, "val")
    data = make_array_dataset(
        files, info, training=False, map_function=replicate_labels(("logits", "aux_p4"))
    )
    images, labels = data[0]
    assert set(labels) == {"logits", "aux_p4"}
    with pytest.raises(IndexError):
        data[len(data)]
    import cv2

    bad = tmp_path / "bad_gtFine_labelIds.png"
    cv2.imwrite(str(bad), np.full((64, 128), 200, np.uint8))
    with pytest.raises(ValueError, match="not labels of 'cityscapes'"):
        read_example_arrays(files[0][0], str(bad), info)
    with pytest.raises(ValueError, match="Could not read image"):
        read_example_arrays(str(tmp_path / "missing.png"), files[0][1], info)
