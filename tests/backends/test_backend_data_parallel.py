"""Data-parallel training on JAX gives the one-device result at the same global batch.

Runs with two host devices (`XLA_FLAGS=--xla_force_host_platform_device_count=2`, set
by tests/test_backends.py); collected on the JAX backend only.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from backends import training_recipe


def _train(distribution):
    keras.distribution.set_distribution(distribution)
    try:
        model = training_recipe.build()
        training_recipe.randomize(model, 5)
        model.compile(loss="cross_entropy", learning_rate=0.01, decay_steps=100)
        rng = np.random.default_rng(3)
        images = rng.normal(size=(4, 64, 64, 3)).astype("float32")
        labels = rng.integers(0, 5, (4, 64, 64)).astype("int32")
        history = model.fit(images, labels, batch_size=4, epochs=2, shuffle=False, verbose=0)
        kernel = next(w for w in model.weights if w.path.endswith("classifier/kernel"))
        return np.asarray(history.history["loss"]), keras.ops.convert_to_numpy(kernel.value)
    finally:
        keras.distribution.set_distribution(None)


def test_data_parallel_equals_one_device():
    devices = keras.distribution.list_devices("cpu")
    if len(devices) < 2:
        pytest.skip("needs 2 JAX devices: XLA_FLAGS=--xla_force_host_platform_device_count=2")
    one_loss, one_kernel = _train(None)
    parallel = keras.distribution.DataParallel(devices=devices[:2])
    two_loss, two_kernel = _train(parallel)
    np.testing.assert_allclose(two_loss, one_loss, rtol=1e-5)
    np.testing.assert_allclose(two_kernel, one_kernel, rtol=1e-4, atol=1e-6)
