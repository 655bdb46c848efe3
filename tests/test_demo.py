"""The demo's training plan and settings (fast checks; the full run is in test_train_tool)."""

import numpy as np
import pytest

from keras_sfnet.training import TrainConfig
from keras_sfnet.training.demo import DEMO_SETTINGS, demo_config
from keras_sfnet.training.trainer import _plan


def test_a_run_shorter_than_an_epoch_is_one_short_epoch():
    # `--steps 2` on the demo (60 steps per epoch) must not show a bar of 60.
    config = TrainConfig(dataset="synthetic", steps=2, steps_per_epoch=60)
    assert _plan(config, data=None) == (2, 2)
    assert _plan(config.replace(steps=130), data=None) == (130, 60)


def test_demo_config_takes_overrides():
    config = demo_config("runs/x", steps=7)
    assert config.steps == 7 and config.output == "runs/x"
    assert config.backbone == DEMO_SETTINGS["backbone"]
    assert config.crop_size == tuple(DEMO_SETTINGS["crop_size"])


def test_int8_calibration_defaults_to_the_runs_training_images(tmp_path):
    from keras_sfnet.data.synthetic import generate_synthetic_cityscapes
    from keras_sfnet.export.calibration import run_training_images

    run = tmp_path / "run"
    generate_synthetic_cityscapes(run / "data", num_train=3, num_val=1, image_size=(32, 64))
    TrainConfig(dataset="synthetic", steps=1, output=str(run)).save(str(run / "config.json"))
    images = run_training_images(run / "model.keras", num_samples=2)
    assert len(images) == 2
    assert images[0].shape == (32, 64, 3) and images[0].dtype.name == "uint8"
    assert run_training_images(tmp_path / "elsewhere" / "model.keras") is None


def test_export_measures_the_miou_drop_on_the_runs_validation_labels(tmp_path):
    from keras_sfnet.data.synthetic import generate_synthetic_cityscapes
    from keras_sfnet.export.calibration import run_validation_pairs

    run = tmp_path / "run"
    generate_synthetic_cityscapes(run / "data", num_train=1, num_val=3, image_size=(32, 64))
    TrainConfig(dataset="synthetic", steps=1, output=str(run)).save(str(run / "config.json"))
    pairs = run_validation_pairs(run / "model.keras", num_samples=2)
    assert len(pairs) == 2
    image, label = pairs[0]
    assert image.shape == (32, 64, 3) and label.shape == (32, 64)
    assert set(np.unique(label)) <= set(range(19)) | {255}  # trainIds, not labelIds
    assert run_validation_pairs(tmp_path / "model.keras") is None


@pytest.mark.parametrize(
    "options", [{"backbone": "dfnet1"}, {"backbone": "resnet18", "decoder": "fcn", "context": "none"}]
)
def test_demo_picture_for_networks_without_a_p2_flow(tmp_path, options):
    """DFNet's finest flow is P4's; the FCN rows have none: the demo still draws."""
    import cv2

    import keras_sfnet
    from keras_sfnet.data.synthetic import generate_synthetic_cityscapes
    from keras_sfnet.training.demo import _write_prediction

    generate_synthetic_cityscapes(tmp_path / "data", num_train=1, num_val=2, image_size=(64, 128))
    model = keras_sfnet.SFNet(num_classes=19, **options)
    path = str(tmp_path / "prediction.png")
    _write_prediction(model, str(tmp_path / "data"), path, num_images=2)
    picture = cv2.imread(path)
    assert picture is not None and picture.shape[0] > 128 and picture.std() > 0
