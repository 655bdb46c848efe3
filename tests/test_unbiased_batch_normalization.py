"""`UnbiasedBatchNormalization`: PyTorch's moving variance, Keras' normalisation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_sfnet.layers import ConvBNReLU, UnbiasedBatchNormalization
from keras_sfnet.layers.conv_bn_relu import batch_norm

REPO = Path(__file__).resolve().parents[1]
SHAPES = [(2, 1, 1, 3), (2, 4, 4, 3), (3, 2, 5, 4)]  # the PPM's 1x1 bin at batch 2 first


def _numpy_steps(batches, momentum=0.9, epsilon=1e-5):
    """Float64 reference: biased variance normalises, unbiased variance is tracked."""
    channels = batches[0].shape[-1]
    moving_mean, moving_variance = np.zeros(channels), np.ones(channels)
    outputs = []
    for x in batches:
        x = x.astype(np.float64)
        n = x.size // channels
        mean = x.mean(axis=(0, 1, 2))
        variance = ((x - mean) ** 2).mean(axis=(0, 1, 2))
        outputs.append((x - mean) / np.sqrt(variance + epsilon))
        moving_mean = momentum * moving_mean + (1 - momentum) * mean
        moving_variance = momentum * moving_variance + (1 - momentum) * variance * n / (n - 1)
    return outputs, moving_mean, moving_variance


@pytest.mark.parametrize("shape", SHAPES)
def test_moving_variance_matches_float64_formula(shape):
    rng = np.random.default_rng(0)
    batches = [rng.normal(1.0, 2.0, shape) for _ in range(3)]
    layer = batch_norm("bn", dtype="float64")
    for x in batches:
        output = layer(x, training=True)
    expected_outputs, moving_mean, moving_variance = _numpy_steps(batches)
    np.testing.assert_allclose(np.asarray(output), expected_outputs[-1], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.asarray(layer.moving_mean), moving_mean, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(layer.moving_variance), moving_variance, rtol=1e-12)


def test_keras_layer_would_track_the_biased_variance():
    # The defect being fixed: at n = 2, Keras' own update uses half the variance.
    x = np.array([[[[0.0]]], [[[2.0]]]])
    ours, keras_bn = (
        batch_norm("ours", dtype="float64"),
        keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, dtype="float64"),
    )
    ours(x, training=True)
    keras_bn(x, training=True)
    biased_step = float(keras_bn.moving_variance[0]) - 0.9
    unbiased_step = float(ours.moving_variance[0]) - 0.9
    assert biased_step / unbiased_step == pytest.approx(0.5, rel=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_torch_batchnorm2d_in_train_mode(shape):
    torch = pytest.importorskip("torch", reason="comparison against torch.nn.BatchNorm2d")
    rng = np.random.default_rng(1)
    channels = shape[-1]
    reference = torch.nn.BatchNorm2d(channels, eps=1e-5, momentum=0.1).train()
    gamma, beta = rng.normal(1.0, 0.1, channels), rng.normal(0.0, 0.1, channels)
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(gamma))
        reference.bias.copy_(torch.from_numpy(beta))
    layer = batch_norm("bn")
    layer.build(shape)
    layer.gamma.assign(gamma.astype(np.float32))
    layer.beta.assign(beta.astype(np.float32))
    for _ in range(4):
        x = rng.normal(0.5, 1.5, shape).astype(np.float32)
        ours = np.asarray(layer(x, training=True))
        with torch.no_grad():
            theirs = reference(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean, reference.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(
        layer.moving_variance, reference.running_var.numpy(), rtol=1e-5, atol=1e-7
    )


def test_inference_uses_moving_statistics():
    layer = batch_norm("bn")
    x = np.random.default_rng(2).normal(size=(2, 3, 3, 2)).astype(np.float32)
    layer(x, training=True)
    expected = (x - np.asarray(layer.moving_mean)) / np.sqrt(
        np.asarray(layer.moving_variance) + 1e-5
    )
    np.testing.assert_allclose(layer(x, training=False), expected, rtol=1e-5, atol=1e-5)


def test_masked_inputs_count_only_unmasked_positions():
    x = np.random.default_rng(3).normal(size=(2, 5, 2)).astype(np.float64)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], bool)
    layer = UnbiasedBatchNormalization(momentum=0.0, epsilon=1e-5, dtype="float64")
    layer(x, training=True, mask=mask)
    np.testing.assert_allclose(layer.moving_variance, x[mask].var(axis=0, ddof=1), rtol=1e-12)
    with pytest.raises(ValueError, match="one dimension less"):
        layer(x, training=True, mask=mask[..., None])


def test_keras_file_round_trip_keeps_the_class(tmp_path):
    inputs = keras.Input((8, 8, 3))
    x = batch_norm("stem_bn")(inputs)
    model = keras.Model(inputs, ConvBNReLU(4, name="block")(x))
    model(np.random.default_rng(4).normal(size=(2, 8, 8, 3)), training=True)
    path = tmp_path / "bn.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored.get_layer("stem_bn"), UnbiasedBatchNormalization)
    assert isinstance(restored.get_layer("block").bn, UnbiasedBatchNormalization)
    x = np.random.default_rng(5).normal(size=(1, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(restored(x), model(x), rtol=1e-6, atol=1e-6)


def test_mixed_precision_keeps_float32_statistics(mixed_precision):
    rng = np.random.default_rng(6)
    x = rng.normal(1.0, 2.0, (2, 1, 1, 3))
    layer = batch_norm("bn")
    output = layer(x.astype(np.float16), training=True)
    assert output.dtype == "float16"
    assert layer.moving_variance.dtype == "float32"
    _, moving_mean, moving_variance = _numpy_steps([x.astype(np.float16)])
    np.testing.assert_allclose(layer.moving_mean, moving_mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance, moving_variance, rtol=1e-5)


MIRRORED = textwrap.dedent(
    """
    import json
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from keras_sfnet.layers.conv_bn_relu import batch_norm

    x = np.random.default_rng(7).normal(size=(2, 1, 1, 3)).astype(np.float32)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    result = {}
    for synchronized in (True, False):
        with strategy.scope():
            layer = batch_norm("bn", synchronized=synchronized)
            layer.build(x.shape)
        dataset = strategy.experimental_distribute_dataset(
            tf.data.Dataset.from_tensor_slices(x).batch(2))
        for batch in dataset:
            strategy.run(tf.function(lambda b: layer(b, training=True)), args=(batch,))
        result[str(synchronized)] = np.asarray(layer.moving_variance).tolist()
    print("RESULT " + json.dumps(result))
    """
)


def test_synchronized_counts_elements_across_replicas(tmp_path):
    # Two replicas of batch 1 on the 1x1 bin: one element per replica, two in all.
    script = tmp_path / "mirrored.py"
    script.write_text(MIRRORED)
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    env.pop("TF_CONFIG", None)
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    line = next(ln for ln in run.stdout.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    x = np.random.default_rng(7).normal(size=(2, 1, 1, 3))
    expected = 0.9 + 0.1 * x.var(axis=(0, 1, 2), ddof=1)
    np.testing.assert_allclose(result["True"], expected, rtol=1e-5)
    # Unsynchronised replicas each see one element: variance 0, factor 1.
    np.testing.assert_allclose(result["False"], 0.9, rtol=1e-6)


def test_convert_to_sync_batchnorm_names_plain_keras_layers(caplog):
    from keras_sfnet.training import convert_to_sync_batchnorm

    inputs = keras.Input((4, 4, 2))
    x = batch_norm("ours")(inputs)
    model = keras.Model(inputs, keras.layers.BatchNormalization(name="foreign_bn")(x))
    with caplog.at_level("WARNING", logger="keras_sfnet.training.sync_batchnorm"):
        assert convert_to_sync_batchnorm(model) == 2
    assert "foreign_bn" in caplog.text and "ours" not in caplog.text.split(":")[-1]


def test_inference_is_one_fused_op_with_keras_values_and_gradients():
    import tensorflow as tf

    rng = np.random.default_rng(3)
    x = tf.constant(rng.normal(size=(2, 5, 7, 6)), tf.float32)
    layer = UnbiasedBatchNormalization(epsilon=1e-5)
    layer.build(x.shape)
    layer.moving_mean.assign(rng.normal(size=6))
    layer.moving_variance.assign(rng.uniform(1e-6, 2.0, size=6))  # epsilon matters here
    layer.gamma.assign(rng.normal(size=6))
    layer.beta.assign(rng.normal(size=6))
    weights = tf.constant(rng.normal(size=(2, 5, 7, 6)), tf.float32)

    def value_and_grads(call):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = call(x)
            loss = tf.reduce_sum(y * weights)
        return y, tape.gradient(loss, [x, layer.gamma, layer.beta])

    fused, fused_grads = value_and_grads(lambda v: layer(v, training=False))
    plain, plain_grads = value_and_grads(
        lambda v: keras.layers.BatchNormalization.call(layer, v, training=False)
    )
    expected = (x.numpy() - layer.moving_mean.numpy()) / np.sqrt(
        layer.moving_variance.numpy().astype(np.float64) + 1e-5
    ) * layer.gamma.numpy() + layer.beta.numpy()
    np.testing.assert_allclose(fused.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fused.numpy(), plain.numpy(), rtol=1e-5, atol=1e-5)
    for got, want in zip(fused_grads, plain_grads):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)
    graph = tf.function(lambda v: layer(v, training=False)).get_concrete_function(x).graph
    assert "FusedBatchNormV3" in {op.type for op in graph.get_operations()}
    layer.trainable = False  # frozen BN in a training step: the same inference op
    frozen, frozen_grads = value_and_grads(lambda v: layer(v, training=True))
    np.testing.assert_array_equal(frozen.numpy(), fused.numpy())
    np.testing.assert_array_equal(frozen_grads[0].numpy(), fused_grads[0].numpy())
