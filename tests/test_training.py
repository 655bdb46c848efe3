"""Training library: fit, exact resume, mixed precision, sync BN, configs."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet import SFNet
from keras_sfnet.training import (
    CoupledWeightDecaySGD,
    PolyDecay,
    TrainConfig,
    build_training_model,
    compile_for_training,
    convert_to_sync_batchnorm,
    precision_policy,
    read_checkpoint_state,
    train,
)

REPO = Path(__file__).resolve().parents[1]


def _batch(num_classes: int = 5, size: int = 64, batch: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = np.zeros((batch, size, size), np.int32)
    labels[:, size // 2 :] = 1
    labels[:, :, : size // 4] = 2
    labels[:, :2, :2] = 255
    images = rng.normal(0, 0.3, (batch, size, size, 3)).astype(np.float32)
    images += (labels[..., None] % 255).astype(np.float32) * np.array([1.0, -0.5, 0.3], np.float32)
    return images, labels


def _tiny_config(tmp_path: Path, **changes) -> TrainConfig:
    values = dict(
        dataset="synthetic",
        data_root=str(tmp_path / "data"),
        synthetic_num_train=4,
        synthetic_num_val=1,
        synthetic_image_size=(64, 96),
        crop_size=(64, 64),
        batch_size=2,
        steps=7,
        steps_per_epoch=4,
        checkpoint_every=3,
        decoder_filters=16,
        loss="cross_entropy",
        output=str(tmp_path / "run"),
        val_split=None,
        tensorboard=False,
        verbose=0,
        jit_compile=False,
    )
    values.update(changes)
    return TrainConfig(**values)


def test_fit_reduces_loss_on_a_tiny_batch():
    keras.utils.set_random_seed(0)
    config = TrainConfig(
        dataset="synthetic", steps=8, learning_rate=0.05, loss="cross_entropy", jit_compile=False
    )
    model = build_training_model(config.replace(decoder_filters=16), num_classes=5)
    compile_for_training(model, config, num_classes=5, total_steps=100)
    assert isinstance(model.optimizer, CoupledWeightDecaySGD)
    images, labels = _batch()
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
    history = model.fit(dataset, epochs=8, steps_per_epoch=1, verbose=0).history
    assert history["loss"][-1] < 0.7 * history["loss"][0], history["loss"]
    assert int(model.optimizer.iterations) == 8


class _Crash(keras.callbacks.Callback):
    def __init__(self, at_step: int):
        super().__init__()
        self.at_step = at_step
        self.seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.at_step:
            raise RuntimeError("simulated crash")


@pytest.mark.slow
def test_resume_after_crash_continues_exactly(tmp_path):
    # Uninterrupted: 7 steps in epochs of 4.
    full = train(_tiny_config(tmp_path / "a"))
    assert full.step == 7 and full.optimizer_iterations == 7 and full.epoch == 2

    # Same run, killed after step 6 (checkpoints every 3 steps and each epoch end:
    # the last one is at step 6, in the middle of epoch 2), then resumed.
    config = _tiny_config(tmp_path / "b")
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(config, callbacks=[_Crash(at_step=6)])
    state = read_checkpoint_state(Path(config.output) / "checkpoints")
    assert state["step"] == 6 and state["optimizer_iterations"] == 6
    with pytest.raises(FileExistsError):
        train(config)  # resume=False refuses to overwrite a run
    resumed = train(config.replace(resume=True))

    assert resumed.initial_step == 6
    assert resumed.step == full.step == 7
    assert resumed.epoch == full.epoch == 2
    assert resumed.optimizer_iterations == full.optimizer_iterations == 7
    assert float(resumed.model.optimizer.learning_rate) == float(full.model.optimizer.learning_rate)
    assert resumed.history["learning_rate"] == [full.history["learning_rate"][-1]]
    # Same data stream, restored optimizer slots, BN statistics and dropout seeds:
    # the weights of the resumed run equal those of the uninterrupted one.
    for a, b in zip(full.model.get_weights(), resumed.model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(full.model.optimizer.variables, resumed.model.optimizer.variables):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["float16", "bfloat16"])
def test_mixed_precision_training_step(mode):
    config = TrainConfig(
        dataset="synthetic", steps=2, mixed_precision=mode, loss="ohem", ohem_min_kept=1000,
        deep_supervision=True, jit_compile=False,
    )  # fmt: skip
    model = build_training_model(config.replace(decoder_filters=16), num_classes=5)
    assert keras.config.dtype_policy().name == "float32"  # restored after building
    compile_for_training(model, config, num_classes=5, total_steps=10)
    if mode == "float16":
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    else:
        assert not isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    compute = {layer.compute_dtype for layer in model.backbone.layers if layer.weights}
    assert compute == {"float16" if mode == "float16" else "bfloat16"}
    images, labels = _batch()
    outputs = model(images, training=False)
    assert all(v.dtype == "float32" for v in outputs.values())
    targets = {name: labels for name in outputs}
    dataset = tf.data.Dataset.from_tensors((images, targets)).repeat()
    history = model.fit(dataset, epochs=2, steps_per_epoch=1, verbose=0).history
    assert all(np.isfinite(history["loss"]))
    assert all(w.dtype == "float32" for w in model.trainable_weights)


def test_precision_policy_restores_global_policy():
    with precision_policy("float16") as policy:
        assert policy.name == "mixed_float16"
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(ValueError, match="mixed_precision"):
        with precision_policy("int8"):
            pass


def test_convert_to_sync_batchnorm_reaches_nested_layers():
    keras.utils.set_random_seed(0)  # the weights must not depend on the tests run before
    model = SFNet(num_classes=3, deep_supervision=True, decoder_filters=16, dropout=0.0)
    batch_norms = [w for w in model.weights if w.path.endswith("moving_mean")]
    assert convert_to_sync_batchnorm(model) == len(batch_norms)
    assert convert_to_sync_batchnorm(model) == 0  # already synchronised
    # Without a strategy (one replica) outputs are unchanged in training mode.
    images, _ = _batch(num_classes=3)
    synced = keras.ops.convert_to_numpy(model(images, training=True)["logits"])
    assert convert_to_sync_batchnorm(model, synchronized=False) == len(batch_norms)
    plain = keras.ops.convert_to_numpy(model(images, training=True)["logits"])
    inference = keras.ops.convert_to_numpy(model(images, training=False)["logits"])
    # Float32 rounding of two batch-statistics reductions through ~20 layers
    # (about 3e-5 of the scale for seeds 0-3),
    # relative to the logits' scale; batch statistics vs moving statistics
    # (what a broken conversion would give) differ at the scale itself.
    scale = float(np.abs(plain).max())
    np.testing.assert_allclose(synced, plain, rtol=0, atol=5e-4 * scale)
    assert float(np.abs(inference - plain).max()) > 0.1 * scale


def test_poly_schedule_spans_the_whole_run():
    config = TrainConfig(dataset="synthetic", steps=100, learning_rate=0.01, jit_compile=False)
    model = build_training_model(config.replace(decoder_filters=16), num_classes=3)
    compile_for_training(model, config, num_classes=3, total_steps=100)
    schedule = keras.saving.deserialize_keras_object(model.optimizer.get_config()["learning_rate"])
    assert isinstance(schedule, PolyDecay)
    assert schedule.decay_steps == 100 and schedule.power == 0.9
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


def test_config_validation_and_round_trip(tmp_path):
    with pytest.raises(ValueError, match="`mixed_precision` must be one of"):
        TrainConfig(dataset="synthetic", mixed_precision="fp8")
    with pytest.raises(ValueError, match="`data_root` is required"):
        TrainConfig(dataset="cityscapes")
    with pytest.raises(ValueError, match="Unknown training settings"):
        TrainConfig.from_dict({"dataset": "synthetic", "learning_rat": 0.1})
    config = TrainConfig(dataset="synthetic", crop_size=[96, 128], augmentation={"flip_prob": 0.0})
    path = tmp_path / "config.json"
    config.save(path)
    assert TrainConfig.from_file(path) == config
    assert TrainConfig.from_file(path, steps=3).steps == 3


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.json")), ids=lambda p: p.stem)
def test_recipe_configs_load(path):
    values = json.loads(path.read_text())
    config = TrainConfig.from_file(path, data_root="/data")
    assert config.backbone == values["backbone"]
    assert config.head == values.get("head", "v1")
    assert config.momentum == 0.9
    assert config.loss == "ohem"
