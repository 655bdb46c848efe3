"""The authors' golden checkpoints give the authors' logits on the current backend."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from keras_sfnet.convert import from_official_checkpoint

ZOO = ["sfnet_dfv1_dsn", "sfnet_dfv2", "sfnet_lite_r18", "sfnet_lite_stdc2"]


def _check(model, io, tolerance=1e-4):
    x = io["input_nchw"].transpose(0, 2, 3, 1)
    out = model(x, training=False)
    logits = out["logits"] if isinstance(out, dict) else out
    logits = keras.ops.convert_to_numpy(logits).transpose(0, 3, 1, 2)
    reference = io["logits_nchw"]
    error = np.linalg.norm(logits - reference) / np.linalg.norm(reference)
    assert error < tolerance, error
    assert (logits.argmax(1) == reference.argmax(1)).mean() > 0.999


def test_golden_resnet18(reference_dir):
    model = from_official_checkpoint(reference_dir / "golden_sfnet_r18_fp16.pth")
    _check(model, np.load(reference_dir / "golden_sfnet_r18_io.npz"))


@pytest.mark.parametrize("name", ZOO)
def test_golden_zoo(name, reference_dir):
    zoo = reference_dir / "zoo"
    model = from_official_checkpoint(zoo / f"golden_{name}_fp16.pth")
    _check(model, np.load(zoo / f"golden_{name}_io.npz"))
