"""The backend-independent tests on JAX and PyTorch, with TensorFlow hidden.

`tests/backends/` uses only keras, keras.ops and numpy. On TensorFlow it runs as part
of this suite; here it runs again in a subprocess per backend (`KERAS_BACKEND=jax` /
`torch`) where TensorFlow cannot be imported (`tests/helpers/without_tensorflow.py`),
against artifacts this TensorFlow process writes first: `.keras` models with their
logits, and the trajectory of three training steps from saved weights.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from backends import training_recipe

import keras_sfnet

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def _randomize(model, seed):
    training_recipe.randomize(model, seed)
    return model


@pytest.fixture(scope="module")
def tf_artifacts(tmp_path_factory):
    """`.keras` models, their logits and a 3-step training trajectory on TensorFlow."""
    assert keras.config.backend() == "tensorflow"
    folder = tmp_path_factory.mktemp("tf_artifacts")
    images = np.random.default_rng(7).normal(size=(2, 64, 96, 3)).astype("float32")
    logits = {"images": images}
    tiny = dict(num_classes=5, decoder_filters=16)
    models = {
        "resnet18": keras_sfnet.SFNet(backbone="resnet18", **tiny),
        "lite_stdc1": keras_sfnet.SFNet(backbone="stdc1", head="lite", **tiny),
        "dfnet1": keras_sfnet.SFNet(backbone="dfnet1", **tiny),
    }
    for seed, (name, model) in enumerate(models.items()):
        _randomize(model, seed)
        model.save(folder / f"{name}.keras")
        logits[name] = keras.ops.convert_to_numpy(model(images, training=False))
    np.savez(folder / "logits.npz", **logits)

    model = training_recipe.build()
    training_recipe.randomize(model, 21)
    model.save_weights(folder / "training_start.weights.h5")
    np.savez(folder / "training.npz", **training_recipe.train_three_steps(model))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_backend_independent_tests_pass_without_tensorflow(backend, tf_artifacts):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install {backend})")
    env = dict(
        os.environ,
        KERAS_BACKEND=backend,
        KERAS_SFNET_TF_ARTIFACTS=str(tf_artifacts),
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        # Two host devices for JAX's data-parallel test (harmless elsewhere).
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
    )
    command = [
        sys.executable,
        str(TESTS / "helpers" / "without_tensorflow.py"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(TESTS / "backends"),
    ]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    report = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert " passed" in done.stdout and "skipped" not in done.stdout.split("\n")[-2], report

    # The model trained there loads here with the same logits, and one command exports
    # it to TFLite with the exporter's parity check.
    trained = tf_artifacts / f"trained_on_{backend}.keras"
    model = keras.saving.load_model(trained)
    images, _ = training_recipe.batch()
    logits = keras.ops.convert_to_numpy(model(images, training=False)["logits"])
    expected = np.load(tf_artifacts / f"trained_on_{backend}_logits.npy")
    assert np.linalg.norm(logits - expected) / np.linalg.norm(expected) <= 1e-5
    output = tf_artifacts / f"trained_on_{backend}.tflite"
    export = [
        sys.executable,
        str(REPO / "tools" / "export.py"),
        "--model",
        str(trained),
        "--format",
        "tflite",
        "--output",
        str(output),
        "--input-size",
        "64",
        "64",
    ]
    env["KERAS_BACKEND"] = backend  # the export tool runs on TensorFlow regardless
    done = subprocess.run(export, cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert output.is_file() and output.stat().st_size > 100_000
