"""Fixtures of the backend-independent tests (run on TensorFlow, JAX and PyTorch).

These tests use only keras, keras.ops and numpy, never TensorFlow directly, so the same
files run under every ``KERAS_BACKEND``: on TensorFlow as part of the suite, on JAX
and PyTorch from ``tests/test_backends.py`` (one of them with TensorFlow hidden).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import pytest

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
#: Set by tests/test_backends.py: a folder of artifacts the TensorFlow backend wrote
#: (a .keras model, inputs, logits, training trajectories) to compare against.
TF_ARTIFACTS = os.environ.get("KERAS_SFNET_TF_ARTIFACTS")
# The comparison with TensorFlow's artifacts only means something on another backend,
# and tests/test_backends.py is what runs it there.
collect_ignore = [] if TF_ARTIFACTS else ["test_backend_vs_tensorflow.py"]
if keras.config.backend() != "jax":  # keras.distribution's data parallelism is JAX's
    collect_ignore.append("test_backend_data_parallel.py")


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE} (it lives beside the checkout)")
    return REFERENCE


@pytest.fixture
def tf_artifacts() -> Path:
    if not TF_ARTIFACTS:
        pytest.skip("no TensorFlow-backend artifacts (run through tests/test_backends.py)")
    return Path(TF_ARTIFACTS)


@pytest.fixture
def backend() -> str:
    return keras.config.backend()
