"""Dataset metadata, file layouts, label mapping and the tf.data pipeline."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet import data

H, W = 16, 32
# Cityscapes labelIds of trainIds 0, 1, 2, 3, 4, 5.
LABEL_IDS = (7, 8, 11, 12, 13, 17)


def write_png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    array = np.asarray(array)
    if array.ndim == 3:
        array = array[..., ::-1]
    assert cv2.imwrite(str(path), array)
    return str(path)


def random_image(seed, size=(H, W)):
    return np.random.default_rng(seed).integers(0, 256, size + (3,), dtype=np.uint8)


def const_label(value, size=(H, W)):
    return np.full(size, value, np.uint8)


def make_cityscapes(root, splits=("train", "val"), per_split=2, train_ids=False, labels=None):
    for split in splits:
        for i in range(per_split):
            city = f"city{i % 2}"
            stem = f"{city}_000000_{i:06d}"
            write_png(
                root / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png", random_image(i)
            )
            label = labels if labels is not None else const_label(LABEL_IDS[i])
            write_png(root / "gtFine" / split / city / f"{stem}_gtFine_labelIds.png", label)
            if train_ids:
                write_png(
                    root / "gtFine" / split / city / f"{stem}_gtFine_labelTrainIds.png",
                    const_label(i),
                )
    return root


def raw(files, info):
    return [(x.numpy(), y.numpy()) for x, y in data.examples_dataset(files, info)]


# --- metadata -----------------------------------------------------------------


def test_builtin_dataset_infos():
    cs = data.get_dataset_info("cityscapes")
    assert cs.num_classes == 19 and cs.ignore_index == 255
    assert cs.class_names[:3] == ("road", "sidewalk", "building")
    assert cs.class_names[-1] == "bicycle"
    assert cs.palette.shape == (19, 3) and cs.palette.dtype == np.uint8
    assert cs.palette[0].tolist() == [128, 64, 128]
    table = data.CITYSCAPES_LABEL_ID_TO_TRAIN_ID
    assert len(table) == 34 and table[7] == 0 and table[26] == 13 and table[33] == 18
    assert table[0] == 255 and table[9] == 255
    assert sorted(v for v in table.values() if v != 255) == list(range(19))

    camvid = data.get_dataset_info("camvid")
    assert camvid.num_classes == 11 and camvid.class_names[0] == "Sky"
    assert camvid.class_names[-1] == "Bicyclist"
    assert camvid.lookup_table()[[0, 10, 11, 12]].tolist() == [0, 10, 255, 12]

    ade = data.get_dataset_info("ade20k")
    assert ade.num_classes == 150 and len(set(map(tuple, ade.palette))) == 150
    assert ade.lookup_table()[[0, 1, 150]].tolist() == [255, 0, 149]

    pc = data.get_dataset_info("pascal_context")
    assert pc.num_classes == 59 and pc.lookup_table()[[0, 1, 59]].tolist() == [255, 0, 58]


def test_dataset_info_custom_and_errors():
    info = data.DatasetInfo(name="mine", num_classes=3, label_mapping={10: 0, 20: 1, 30: 2})
    assert info.class_names == ("class_0", "class_1", "class_2")
    assert info == data.DatasetInfo(name="mine", num_classes=3, label_mapping={30: 2, 20: 1, 10: 0})
    assert hash(info) == hash(data.DatasetInfo("mine", 3, label_mapping={10: 0, 20: 1, 30: 2}))
    with pytest.raises(ValueError, match="`name` must be one of"):
        data.get_dataset_info("nuscenes")
    with pytest.raises(ValueError, match="class_names"):
        data.DatasetInfo(name="x", num_classes=2, class_names=("a",))
    with pytest.raises(ValueError, match="palette"):
        data.DatasetInfo(name="x", num_classes=2, palette=[[0, 0, 0]])
    with pytest.raises(ValueError, match="ignore_index"):
        data.DatasetInfo(name="x", num_classes=2, ignore_index=1)
    with pytest.raises(ValueError, match="label_mapping"):
        data.DatasetInfo(name="x", num_classes=2, label_mapping={5: 7})


# --- layouts and label mapping ---------------------------------------------------


def test_cityscapes_layout_and_label_id_mapping(tmp_path):
    label = np.array([[0, 7, 8, 26, 33, 9, 4, 255] * 4] * H, np.uint8)
    root = make_cityscapes(tmp_path, labels=label)
    files = data.list_cityscapes(root, "train")
    assert len(files) == 2
    assert all(lbl.endswith("_gtFine_labelIds.png") for _, lbl in files)
    assert len(data.list_cityscapes(root, "trainval")) == 4
    (image, mapped), _ = raw(files, data.get_dataset_info("cityscapes"))
    assert image.shape == (H, W, 3) and image.dtype == np.uint8
    assert mapped.dtype == np.int32
    assert mapped[0, :8].tolist() == [255, 0, 1, 13, 18, 255, 255, 255]
    np.testing.assert_array_equal(image, random_image(0))


def test_cityscapes_uses_train_ids_when_present(tmp_path):
    root = make_cityscapes(tmp_path, train_ids=True)
    files = data.list_cityscapes(root, "val")
    assert all(lbl.endswith("_gtFine_labelTrainIds.png") for _, lbl in files)
    labels = [y for _, y in raw(files, data.get_dataset_info("cityscapes"))]
    assert [int(y[0, 0]) for y in labels] == [0, 1]  # not mapped a second time
    files = data.list_cityscapes(root, "val", label_type="labelIds")
    assert [int(y[0, 0]) for _, y in raw(files, data.get_dataset_info("cityscapes"))] == [0, 1]


def test_camvid_layout_and_void(tmp_path):
    for split in ("train", "val", "test"):
        for i in range(2):
            write_png(tmp_path / split / f"0001TP_{i:06d}.png", random_image(i))
            write_png(tmp_path / f"{split}annot" / f"0001TP_{i:06d}.png", const_label(10 + i))
    files = data.list_files("camvid", tmp_path, "test")
    assert [os.path.basename(f[0]) for f in files] == ["0001TP_000000.png", "0001TP_000001.png"]
    labels = [y for _, y in raw(files, data.get_dataset_info("camvid"))]
    assert [int(y[0, 0]) for y in labels] == [10, 255]


@pytest.mark.parametrize("nested", [True, False])
def test_ade20k_layout_and_zero_ignore(tmp_path, nested):
    base = tmp_path / "ADEChallengeData2016" if nested else tmp_path
    for folder, split in (("training", "train"), ("validation", "val")):
        for i, value in enumerate((0, 150)):
            os.makedirs(base / "images" / folder, exist_ok=True)
            cv2.imwrite(str(base / "images" / folder / f"ADE_{split}_{i}.jpg"), random_image(i))
            write_png(base / "annotations" / folder / f"ADE_{split}_{i}.png", const_label(value))
    files = data.list_ade20k(tmp_path, "val")
    assert len(files) == 2 and files[0][0].endswith(".jpg")
    labels = [y for _, y in raw(files, data.get_dataset_info("ade20k"))]
    assert [int(y[0, 0]) for y in labels] == [255, 149]


def test_pascal_context_layout(tmp_path):
    ids = ["2008_000002", "2008_000003"]
    for i, image_id in enumerate(ids):
        os.makedirs(tmp_path / "JPEGImages", exist_ok=True)
        cv2.imwrite(str(tmp_path / "JPEGImages" / f"{image_id}.jpg"), random_image(i))
        write_png(tmp_path / "SegmentationClassContext" / f"{image_id}.png", const_label(59 * i))
    os.makedirs(tmp_path / "ImageSets" / "SegmentationContext")
    (tmp_path / "ImageSets" / "SegmentationContext" / "val.txt").write_text("\n".join(ids) + "\n")
    files = data.list_files("pascal_context", tmp_path, "val")
    labels = [y for _, y in raw(files, data.get_dataset_info("pascal_context"))]
    assert [int(y[0, 0]) for y in labels] == [255, 58]


def test_generic_folder_and_list_file(tmp_path):
    for i in range(3):
        write_png(tmp_path / "images" / f"img{i}.png", random_image(i))
        write_png(tmp_path / "masks" / f"img{i}_mask.png", const_label(5 if i == 2 else i))
    info = data.DatasetInfo(
        name="mine", num_classes=2, class_names=("bg", "fg"), label_mapping={5: 255}
    )
    files = data.list_folder(tmp_path / "images", tmp_path / "masks", mask_suffix="_mask")
    assert [int(y[0, 0]) for _, y in raw(files, info)] == [0, 1, 255]
    (tmp_path / "train.txt").write_text("images/img1.png masks/img1_mask.png\n\n")
    assert data.read_list_file(tmp_path / "train.txt") == [
        (str(tmp_path / "images" / "img1.png"), str(tmp_path / "masks" / "img1_mask.png"))
    ]
    ds = data.load_dataset("folder", tmp_path, None, training=False, info=info, mask_suffix="_mask")
    assert len(list(ds)) == 3
    with pytest.raises(ValueError, match="`info` is required"):
        data.load_dataset("folder", tmp_path, None, training=False)


# --- pipeline --------------------------------------------------------------------


def test_evaluation_pipeline_whole_images_normalised(tmp_path):
    root = make_cityscapes(tmp_path, per_split=3)
    ds = data.load_dataset("cityscapes", root, "val", training=False, batch_size=2)
    batches = list(ds)
    assert [b[0].shape[0] for b in batches] == [2, 1]
    images, labels = batches[0]
    assert images.dtype == tf.float32 and images.shape == (2, H, W, 3)
    assert labels.dtype == tf.int32 and labels.shape == (2, H, W)
    expected = (random_image(0) / 255.0 - data.IMAGENET_MEAN) / data.IMAGENET_STD
    np.testing.assert_allclose(images[0].numpy(), expected, atol=1e-5)
    # Sorted by city: city0/..._000000, city0/..._000002, city1/..._000001.
    assert labels[:, 0, 0].numpy().tolist() == [0, 2]
    np.testing.assert_array_equal(data.denormalize_image(images[0]).numpy(), random_image(0))


def test_training_pipeline_shapes_and_repeat(tmp_path):
    root = make_cityscapes(tmp_path, per_split=3)
    ds = data.load_dataset(
        "cityscapes", root, "train", training=True, crop_size=(8, 12), batch_size=2, seed=0
    )
    assert ds.element_spec[0].shape == (2, 8, 12, 3)
    assert ds.element_spec[1].shape == (2, 8, 12)
    batches = list(ds.take(4))  # 3 files, repeated forever
    assert len(batches) == 4
    ds = data.load_dataset(
        "cityscapes", root, "train", training=True, crop_size=(8, 12), batch_size=2,
        repeat=2, seed=0,
    )  # fmt: skip
    assert len(list(ds)) == 3  # 6 examples, remainder dropped


def test_sharding_partitions_the_files(tmp_path):
    root = make_cityscapes(tmp_path, per_split=5)
    seen = []
    for index in range(2):
        ds = data.load_dataset("cityscapes", root, "val", training=False, shard=(2, index))
        values = [int(y[0, 0, 0]) for _, y in ds]
        seen.append(values)
        assert ds.options().experimental_distribute.auto_shard_policy == (
            tf.data.experimental.AutoShardPolicy.OFF
        )
    # Sorted files hold trainIds 0, 2, 4 (city0) then 1, 3 (city1).
    assert seen == [[0, 4, 3], [2, 1]]
    with pytest.raises(ValueError, match="`shard`"):
        data.load_dataset("cityscapes", root, "val", training=False, shard=(2, 2))


def test_training_is_deterministic_with_a_seed(tmp_path):
    rng = np.random.default_rng(0)
    label = rng.choice([7, 8, 26], size=(H, W)).astype(np.uint8)
    root = make_cityscapes(tmp_path, per_split=4, labels=label)

    def take(seed, calls, shard=None):
        ds = data.load_dataset(
            "cityscapes", root, "train", training=True, crop_size=(8, 8), batch_size=2,
            seed=seed, num_parallel_calls=calls, shard=shard, class_uniform=0.5,
        )  # fmt: skip
        return [(x.numpy(), y.numpy()) for x, y in ds.take(4)]

    first, second = take(3, 1), take(3, 4)
    for (x1, y1), (x2, y2) in zip(first, second):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    other = take(4, 1)
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(first, other))


def test_sixteen_bit_masks_and_label_mapping(tmp_path):
    write_png(tmp_path / "images" / "a.png", random_image(0))
    mask = np.full((H, W), 300, np.uint16)
    mask[:, :4] = 7
    write_png(tmp_path / "masks" / "a.png", mask)
    info = data.DatasetInfo(name="deep", num_classes=2, label_mapping={300: 1, 7: 0})
    files = data.list_folder(tmp_path / "images", tmp_path / "masks")
    ((_, label),) = raw(files, info)
    assert label[0, :5].tolist() == [0, 0, 0, 0, 1]
    image, raw_label = data.read_example(*files[0])
    assert raw_label.max() == 300 and image.shape == (H, W, 3)
