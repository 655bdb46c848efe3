"""Training on the driving datasets: synthetic layouts, merged datasets, coarse boost."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from keras_sfnet.data import synthetic
from keras_sfnet.training import TrainConfig, resolve_dataset, train

REPO = Path(__file__).resolve().parents[1]

TINY = dict(
    backbone="resnet18", decoder_filters=16, crop_size=(48, 48), batch_size=2, steps=1,
    steps_per_epoch=1, learning_rate=0.01, loss="cross_entropy", augmentation="crop_only",
    verbose=0, tensorboard=False, val_steps=1,
)  # fmt: skip


def _train_tool():
    spec = importlib.util.spec_from_file_location("train_tool", REPO / "tools" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_tool_flags_for_the_driving_datasets(tmp_path):
    tool = _train_tool()
    parser = tool.build_parser()
    args = parser.parse_args([
        "--dataset", "cityscapes+mapillary+bdd100k+idd", "--data-root",
        "cityscapes=/d/cs,mapillary=/d/map,bdd100k=/d/bdd,idd=/d/idd",
        "--dataset-weights", "2,1,1,1", "--short-side", "1024",
    ])  # fmt: skip
    config = tool.config_from_args(args)
    assert config.dataset == "cityscapes+mapillary+bdd100k+idd"
    assert config.data_root == {"cityscapes": "/d/cs", "mapillary": "/d/map",
                                "bdd100k": "/d/bdd", "idd": "/d/idd"}  # fmt: skip
    assert config.dataset_weights == [2.0, 1.0, 1.0, 1.0] and config.short_side == 1024
    config = tool.config_from_args(parser.parse_args(["--dataset", "synthetic", "--layout", "idd"]))
    assert config.synthetic_layout == "idd"
    config = tool.config_from_args(parser.parse_args(
        ["--data-root", "/d/cs", "--coarse-boost-classes", "14,15,16"]
    ))  # fmt: skip
    assert config.coarse_boost_classes == [14, 15, 16]
    with pytest.raises(SystemExit):
        parser.parse_args(["--dataset", "nuscenes"])
    with pytest.raises(ValueError, match="coarse_boost_classes"):
        TrainConfig(dataset="idd", data_root="/d", coarse_boost_classes=[14])
    with pytest.raises(ValueError, match="dataset_weights"):
        TrainConfig(dataset="idd", data_root="/d", dataset_weights=[1.0])


def test_synthetic_layout_resolves_to_that_datasets_label_space(tmp_path):
    name, root, info = resolve_dataset(TrainConfig(
        dataset="synthetic", synthetic_layout="mapillary", synthetic_num_train=2,
        synthetic_num_val=1, synthetic_image_size=(32, 48), output=str(tmp_path / "run"),
    ))  # fmt: skip
    assert (name, info.num_classes) == ("mapillary", 66)  # Mapillary v1.2's labels
    assert json.loads((Path(root) / "synthetic.json").read_text())["layout"] == "mapillary"
    assert (Path(root) / "config.json").is_file()


@pytest.mark.slow
def test_train_merged_and_coarse_boost(tmp_path):
    for layout in ("bdd100k", "idd"):
        synthetic.generate_synthetic_layout(
            tmp_path / "data" / layout, layout, num_train=3, num_val=1, image_size=(48, 64)
        )
    result = train(TrainConfig(
        dataset="bdd100k+idd", data_root=str(tmp_path / "data"), dataset_weights=[3.0, 1.0],
        output=str(tmp_path / "merged"), **TINY,
    ))  # fmt: skip
    assert result.step == 1 and result.model.output_shape[-1] == 19
    assert np.isfinite(result.history["val_loss"][-1])

    root = synthetic.generate_synthetic_cityscapes(
        tmp_path / "cityscapes", num_train=3, num_val=1, image_size=(64, 64), num_coarse=3
    )
    result = train(TrainConfig(
        dataset="cityscapes", data_root=root, train_split="trainval", val_split=None,
        coarse_boost_classes=[13, 11, 16], coarse_boost_tile=32, output=str(tmp_path / "cs"),
        **TINY,
    ))  # fmt: skip
    assert result.step == 1
    cache = list((tmp_path / "cs").glob("coarse_boost_centers_tile32_*.json"))
    assert len(cache) == 1 and set(json.loads(cache[0].read_text())) <= {"11", "13"}
