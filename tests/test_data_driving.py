"""Driving datasets: Mapillary, BDD100K, IDD, KITTI layouts, label tables, merged sampling,
coarse boost."""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest

from keras_sfnet import data
from keras_sfnet.data import synthetic
from keras_sfnet.data.mapillary import cityscapes_class_of

SIZE = (48, 96)


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """A tiny synthetic tree in each driving dataset's layout (written once per module)."""
    roots = {}
    for layout in ("mapillary", "mapillary_v2", "bdd100k", "idd"):
        root = tmp_path_factory.mktemp(layout)
        synthetic.generate_synthetic_layout(
            root, layout, num_train=3, num_val=2, image_size=SIZE, seed=1
        )
        roots[layout] = str(root)
    return roots


# --- label tables ----------------------------------------------------------------


def test_mapillary_v12_mapping_reproduces_the_authors_table():
    # The authors' utils/mapillary_to_city.py, value -> trainId.
    authors = {13: 0, 24: 0, 41: 0, 2: 1, 15: 1, 17: 2, 6: 3, 3: 4, 45: 5, 47: 5, 48: 6,
               50: 7, 30: 8, 29: 9, 27: 10, 19: 11, 20: 12, 21: 12, 22: 12, 55: 13, 61: 14,
               54: 15, 58: 16, 57: 17, 52: 18}  # fmt: skip
    table = data.mapillary_to_cityscapes(data.MAPILLARY_V12_CLASS_NAMES)
    assert len(data.MAPILLARY_V12_CLASS_NAMES) == 66
    assert sorted(table) == list(range(66))  # every native label accounted for
    assert {k: v for k, v in table.items() if v != 255} == authors


def test_mapillary_v20_mapping_accounts_for_every_label():
    names = data.MAPILLARY_V20_CLASS_NAMES
    table = data.mapillary_to_cityscapes(names)
    assert len(names) == 124 and sorted(table) == list(range(124))
    mapped = {data.CITYSCAPES_CLASS_NAMES[v] for v in table.values() if v != 255}
    assert mapped == set(data.CITYSCAPES_CLASS_NAMES)  # all 19 classes are reachable
    assert cityscapes_class_of("Traffic Light - Pedestrians") == "traffic light"
    assert cityscapes_class_of("Traffic Sign - Direction (Back)") is None
    assert cityscapes_class_of("Lane Marking - Crosswalk") is None
    assert cityscapes_class_of("Lane Marking - Stop Line") == "road"


def test_mapping_tables_are_documented():
    doc = open(os.path.join(os.path.dirname(__file__), "..", "docs", "datasets.md")).read()
    for name in data.MAPILLARY_V20_CLASS_NAMES + data.MAPILLARY_V12_CLASS_NAMES:
        assert f"| {name} |" in doc, name
    for name in data.IDD_LEVEL3_CLASS_NAMES:
        assert f"| {name} |" in doc, name


def test_idd_level3_mapping_accounts_for_every_class():
    table = data.IDD_LEVEL3_TO_CITYSCAPES
    assert sorted(table) == list(range(26)) and len(data.IDD_LEVEL3_CLASS_NAMES) == 26
    names = data.CITYSCAPES_CLASS_NAMES
    assert names[table[0]] == "road" and names[table[3]] == "terrain"
    assert table[8] == 255  # autorickshaw has no Cityscapes class
    assert {v for v in table.values() if v != 255} == set(range(19)) - {16}  # no "train"


# --- layouts and loading ---------------------------------------------------------


@pytest.mark.parametrize(
    "name, num_classes, labels_seen",
    [
        ("mapillary", 66, {13, 15, 17, 27, 30}),  # road, sidewalk, building, sky, vegetation
        ("mapillary_19", 19, {0, 1, 2, 8, 10}),
        ("mapillary_v2", 124, {21, 24, 27, 61, 64}),
        ("mapillary_v2_19", 19, {0, 1, 2, 8, 10}),
        ("bdd100k", 19, {0, 1, 2, 8, 10}),
        ("idd", 26, {0, 2, 22, 24, 25}),
        ("idd_19", 19, {0, 1, 2, 8, 10}),
    ],
)
def test_layouts_load_with_their_label_space(trees, name, num_classes, labels_seen):
    root = trees[name.replace("_19", "")]
    info = data.get_dataset_info(name, root)
    assert info.num_classes == num_classes
    files = data.list_files(name, root, "val")
    assert len(files) == 2 and len(data.list_files(name, root, "trainval")) == 5
    seen = set()
    for image, label in data.examples_dataset(files, info):
        assert image.shape[:2] == label.shape
        seen |= set(np.unique(label.numpy()).tolist())
    assert labels_seen <= seen
    assert seen <= set(range(num_classes)) | {255}


def test_mapillary_reads_names_from_config_and_palette_labels(trees):
    root = trees["mapillary"]
    config = os.path.join(root, "config.json")
    with open(config) as f:
        values = json.load(f)
    values["labels"][13]["readable"] = "Roadway"  # a copy whose config differs
    with open(config, "w") as f:
        json.dump(values, f)
    try:
        info = data.get_dataset_info("mapillary", root)
        assert info.class_names[13] == "Roadway" and info.palette_indices
        assert data.mapillary_info("1.2", "cityscapes", root).label_mapping[13] == 255
    finally:
        values["labels"][13]["readable"] = "Road"
        with open(config, "w") as f:
            json.dump(values, f)
    # Palette PNGs are refused where indices are not expected.
    _, label = data.list_files("mapillary", root, "val")[0]
    with pytest.raises(ValueError, match="palette PNG"):
        data.read_example(label.replace("labels", "images").replace(".png", ".jpg"), label,
                          data.get_dataset_info("cityscapes").without_mapping())  # fmt: skip


def test_missing_layout_names_the_expected_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="config"):
        data.list_files("mapillary", tmp_path, "train")
    with pytest.raises(FileNotFoundError, match="labels/sem_seg/masks"):
        data.list_files("bdd100k", tmp_path, "train")
    with pytest.raises(FileNotFoundError, match="labellevel3Ids"):
        data.list_files("idd", tmp_path, "train")


def test_mapillary_short_side_resize(trees):
    root = trees["mapillary"]
    ds = data.load_dataset("mapillary", root, "val", training=False, short_side=32)
    for image, label in ds:
        assert min(image.shape[1:3]) == 32 and image.shape[1:3] == label.shape[1:3]
    train = data.load_dataset(
        "mapillary", root, "train", training=True, crop_size=(24, 24), batch_size=3, seed=0,
        short_side=32,
    )  # fmt: skip
    images, labels = next(iter(train))
    assert images.shape == (3, 24, 24, 3) and labels.shape == (3, 24, 24)


def test_kitti_has_the_authors_splits(tmp_path):
    root = synthetic.generate_synthetic_layout(tmp_path, "kitti", image_size=(16, 32))
    train, val = data.list_kitti(root, "train"), data.list_kitti(root, "val")
    assert (len(train), len(val)) == (179, 21)
    assert {os.path.basename(p) for p, _ in val} == {
        f"{i:06d}_10.png" for i in data.KITTI_VAL_INDICES[0]
    }
    assert not {p for p, _ in train} & {p for p, _ in val}
    assert len(data.list_kitti(root, "trainval")) == 200
    assert data.list_kitti(root, "val_cv2") != val
    info = data.get_dataset_info("kitti")
    image, label = data.read_example(*val[0], info)
    assert set(np.unique(label)) <= set(range(19)) | {255}
    with pytest.raises(ValueError, match="no public labels"):
        data.list_kitti(root, "test")
    with pytest.raises(ValueError, match="_cv0"):
        data.list_kitti(root, "val_cv3")
    os.remove(train[0][0])
    with pytest.raises(ValueError, match="200 training images"):
        data.list_kitti(root, "train")


def test_synthetic_layout_rejects_unknown_layouts(tmp_path):
    with pytest.raises(ValueError, match="`layout` must be one of"):
        synthetic.generate_synthetic_layout(tmp_path, "nuscenes")


# --- merged datasets --------------------------------------------------------------


def _constant_dataset(root, values, count=4):
    files = []
    for i in range(count):
        image = os.path.join(root, f"img{i}.png")
        label = os.path.join(root, f"lbl{i}.png")
        cv2.imwrite(image, np.full((8, 8, 3), 100, np.uint8))
        cv2.imwrite(label, np.full((8, 8), values, np.uint8))
        files.append((image, label))
    return files


def test_merged_proportions_follow_the_weights(tmp_path):
    # Three sources in one 19-class space; each source's own mapping sends its
    # stored value to a class that identifies it.
    base = data.get_dataset_info("bdd100k")
    sources = []
    for k in range(3):
        folder = tmp_path / str(k)
        folder.mkdir()
        info = data.DatasetInfo(
            name=f"source{k}", num_classes=19, label_mapping={200 + k: k}, unmapped_to_ignore=True,
            class_names=base.class_names,
        )  # fmt: skip
        sources.append((_constant_dataset(str(folder), 200 + k), info))
    weights = (0.5, 0.3, 0.2)
    ds = data.make_merged_dataset(
        sources, training=True, weights=weights, crop_size=(4, 4), batch_size=100, seed=3,
        augmentation=data.AugmentationConfig.crop_only(),
    )  # fmt: skip
    counts = np.zeros(3)
    for _, labels in ds.take(20):  # 2,000 draws
        counts += np.bincount(labels.numpy()[:, 0, 0], minlength=19)[:3]
    assert counts.sum() == 2000
    np.testing.assert_allclose(counts / 2000, weights, atol=0.05)


def test_merged_name_uses_each_members_19_class_mapping(trees, tmp_path):
    roots = {"mapillary": trees["mapillary"], "bdd100k": trees["bdd100k"], "idd": trees["idd"]}
    sources = data.merged_files("mapillary+bdd100k+idd", roots, "val")
    assert [info.name for _, info in sources] == ["mapillary_19", "bdd100k", "idd_19"]
    train = data.load_dataset(
        "mapillary+bdd100k+idd", roots, "train", training=True, crop_size=(16, 16),
        batch_size=4, seed=0,
    )  # fmt: skip
    _, labels = next(iter(train))
    assert set(np.unique(labels.numpy())) <= set(range(19)) | {255}
    val = data.load_dataset("mapillary+bdd100k+idd", roots, "val", training=False)
    assert sum(1 for _ in val) == 6
    with pytest.raises(ValueError, match="19-class Cityscapes"):
        data.load_dataset("cityscapes+ade20k", roots, "train", training=True)
    with pytest.raises(ValueError, match="no folder"):
        data.merged_files("cityscapes+idd", roots)


# --- coarse boost -----------------------------------------------------------------


def _coarse_tree(root, blobs):
    """Cityscapes coarse tree: labelId images with one rectangle per (labelId, y, x)."""
    pairs = []
    for i, (label_id, y, x) in enumerate(blobs):
        stem = f"extra_000000_{i:06d}"
        image_dir = root / "leftImg8bit" / "train_extra" / "extra"
        label_dir = root / "gtCoarse" / "train_extra" / "extra"
        image_dir.mkdir(parents=True, exist_ok=True)
        label_dir.mkdir(parents=True, exist_ok=True)
        label = np.full((64, 96), 7, np.uint8)  # road
        label[:4] = 0  # unlabeled
        label[y - 3 : y + 4, x - 3 : x + 4] = label_id
        cv2.imwrite(str(image_dir / f"{stem}_leftImg8bit.png"), np.zeros((64, 96, 3), np.uint8))
        cv2.imwrite(str(label_dir / f"{stem}_gtCoarse_labelIds.png"), label)
        pairs.append(stem)
    return pairs


def test_coarse_boost_crops_are_centred_on_the_rare_class(tmp_path):
    # train (labelId 31 -> trainId 16) and bus (28 -> 15) blobs in coarse labels.
    _coarse_tree(tmp_path, [(31, 16, 16), (31, 48, 80), (28, 16, 48), (28, 48, 16)])
    fine = synthetic.generate_synthetic_cityscapes(
        tmp_path / "fine", num_train=2, num_val=0, image_size=(64, 96)
    )
    centers = data.coarse_boost_centers(tmp_path, classes=(16, 15, 4), tile_size=32)
    assert centers.classes == (15, 16)  # no fence in the coarse labels
    assert centers.num_centers == 4
    centers.save(tmp_path / "centers.json")
    assert data.CropCenters.load(tmp_path / "centers.json", centers.info).centers == centers.centers

    ds = data.load_dataset(
        "cityscapes", fine, "train", training=True, crop_size=(16, 16), batch_size=8, seed=0,
        augmentation=data.AugmentationConfig.crop_only(), crop_centers=centers,
        crop_centers_fraction=1.0,
    )  # fmt: skip
    seen = set()
    for _, labels in ds.take(4):
        centre = labels.numpy()[:, 8, 8]
        assert set(centre) <= {15, 16}
        seen |= set(centre.tolist())
    assert seen == {15, 16}  # both boosted classes are drawn

    mixed = data.load_dataset(
        "cityscapes", fine, "train", training=True, crop_size=(16, 16), batch_size=50, seed=0,
        augmentation=data.AugmentationConfig.crop_only(), crop_centers=centers,
        crop_centers_fraction=0.25,
    )  # fmt: skip
    _, labels = next(iter(mixed))
    boosted = np.isin(labels.numpy()[:, 8, 8], (15, 16)).mean()
    assert 0.05 < boosted < 0.5  # the synthetic fine scenes hold no train or bus


def test_coarse_boost_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="gtCoarse"):
        data.list_cityscapes_coarse(tmp_path)
    _coarse_tree(tmp_path, [(31, 16, 16)])
    with pytest.raises(ValueError, match="no crop centre"):
        data.coarse_boost_centers(tmp_path, classes=(4,), tile_size=32)


def test_merged_dataset_takes_the_preprocessor(tmp_path):
    from keras_sfnet.data.merged import make_merged_dataset, merged_files
    from keras_sfnet.layers import ImageConverter

    for layout in ("bdd100k", "idd"):
        synthetic.generate_synthetic_layout(tmp_path / layout, layout, num_train=2, num_val=1)
    sources = merged_files("bdd100k+idd", tmp_path)

    def first_batch(**kwargs):
        dataset = make_merged_dataset(
            sources, training=True, crop_size=(64, 64), batch_size=2, seed=0, **kwargs
        )
        return next(iter(dataset))[0].numpy()

    rgb = first_batch()
    np.testing.assert_array_equal(rgb, first_batch(preprocessor=ImageConverter()))
    bgr = first_batch(preprocessor=ImageConverter(bgr=True))
    assert not np.allclose(rgb, bgr)
