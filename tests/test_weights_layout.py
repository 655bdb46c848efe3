"""The weights layer's one dispatcher, the recipe in the core, and the old import paths."""

from __future__ import annotations

import importlib
import warnings

import pytest


@pytest.mark.parametrize(
    "old, name, new",
    [
        ("keras_sfnet.models.presets", "load_preset_model", "keras_sfnet.weights.presets"),
        ("keras_sfnet.models.weight_transfer", "transfer_weights", "keras_sfnet.weights.transfer"),
        ("keras_sfnet.models", "load_pretrained_weights", "keras_sfnet.weights.loading"),
    ],
)
def test_moved_names_warn_and_resolve(old, name, new):
    module = importlib.import_module(old)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)
    assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message)
               for w in caught)


def test_old_converter_and_optimizer_paths_are_the_same_objects():
    from keras_sfnet.convert import from_official_checkpoint, load_backbone_weights
    from keras_sfnet.convert.torch_checkpoint import read_state_dict
    from keras_sfnet.optimizers import CoupledWeightDecaySGD, PolyDecay
    from keras_sfnet.training import CoupledWeightDecaySGD as TrainingSGD
    from keras_sfnet.training.schedules import PolyDecay as TrainingPoly
    from keras_sfnet.weights import from_official_checkpoint as new_convert
    from keras_sfnet.weights import load_backbone_weights as new_backbone
    from keras_sfnet.weights import read_state_dict as new_read

    assert from_official_checkpoint is new_convert
    assert load_backbone_weights is new_backbone
    assert read_state_dict is new_read
    assert TrainingSGD is CoupledWeightDecaySGD and TrainingPoly is PolyDecay


def test_recipe_optimizer_is_the_trainers():
    from keras_sfnet.models.recipe import recipe_optimizer
    from keras_sfnet.optimizers import CoupledWeightDecaySGD
    from keras_sfnet.training import TrainConfig, build_optimizer

    ours = recipe_optimizer(0.01, 100)
    trainer = build_optimizer(TrainConfig(dataset="synthetic"), total_steps=100)
    assert isinstance(ours, CoupledWeightDecaySGD) and isinstance(trainer, CoupledWeightDecaySGD)
    assert ours.get_config()["learning_rate"] == trainer.get_config()["learning_rate"]


def test_load_model_errors(tmp_path):
    from keras_sfnet.weights import load_model

    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_model(tmp_path / "absent.keras")
    bad = tmp_path / "bad.keras"
    bad.write_text("not a zip")
    with pytest.raises(ValueError, match="not a valid .keras file"):
        load_model(bad)
    other = tmp_path / "model.onnx"
    other.write_text("x")
    with pytest.raises(ValueError, match="must be a '.keras' file"):
        load_model(other)
