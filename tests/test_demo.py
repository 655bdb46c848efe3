"""The demo's training plan and settings (fast checks; the full run is in test_train_tool)."""

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
