"""`tools/train.py` on JAX and PyTorch where TensorFlow is not installed (array pipeline).

Runs in two settings: in the suite (TensorFlow installed, hidden from the subprocesses
by `tests/helpers/without_tensorflow.py`; the arrays are also compared with tf.data),
and in `.ci/run`'s environment where TensorFlow was never installed (no comparison).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_sfnet.data import get_dataset_info, synthetic  # TensorFlow-free exports

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
HIDE = str(TESTS / "helpers" / "without_tensorflow.py")

_ARRAYS_SCRIPT = """
import sys, numpy as np
from keras_sfnet.data.array_pipeline import make_array_dataset
from keras_sfnet.data.local_listing import dataset_info_anywhere as get_dataset_info
from keras_sfnet.data.local_listing import list_files_anywhere
assert not any(m.startswith("tensorflow") for m in sys.modules)
files = list_files_anywhere("cityscapes", sys.argv[1], "val")
data = make_array_dataset(files, get_dataset_info("cityscapes"), training=False)
batches = [data[i] for i in range(len(data))]
np.savez(sys.argv[2], files=np.array(files), images=np.concatenate([b[0] for b in batches]),
         labels=np.concatenate([b[1] for b in batches]))
assert not any(m.startswith("tensorflow") for m in sys.modules)
"""


def _env(backend):
    return dict(
        os.environ,
        KERAS_BACKEND=backend,
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_train_tool_without_tensorflow(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install {backend})")
    root = tmp_path / "data"
    synthetic.generate_synthetic_cityscapes(str(root), num_train=4, num_val=2,
                                            image_size=(64, 128), seed=0)  # fmt: skip
    # The same listing and evaluation batches as tf.data, computed without TensorFlow.
    script = tmp_path / "arrays.py"
    script.write_text(_ARRAYS_SCRIPT)
    done = subprocess.run([sys.executable, HIDE, str(script), str(root), str(tmp_path / "a.npz")],
                          cwd=REPO, env=_env(backend), capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    got = np.load(tmp_path / "a.npz")
    assert len(got["files"]) == 2 and got["images"].shape == (2, 64, 128, 3)
    if importlib.util.find_spec("tensorflow") is not None:
        _check_against_tf_data(got, root)

    config = tmp_path / "tiny.json"
    config.write_text(json.dumps({
        "dataset": "synthetic", "synthetic_num_train": 4, "synthetic_num_val": 1,
        "synthetic_image_size": [64, 128], "crop_size": [64, 64], "batch_size": 2, "steps": 2,
        "backbone": "resnet18", "loss": "cross_entropy", "val_split": None,
    }))  # fmt: skip
    output = tmp_path / "run"
    command = [sys.executable, HIDE, str(REPO / "tools" / "train.py"), "--backend", backend,
               "--config", str(config), "--output", str(output)]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=_env(backend), capture_output=True, text=True)
    report = done.stdout[-3000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert "Trained 2 steps" in done.stdout, report
    state = json.loads((output / "checkpoints" / "last.json").read_text())
    assert state["step"] == 2
    assert (output / "checkpoints" / "ckpt-00000002.weights.h5").is_file()
    assert (output / "model.keras").is_file()
    rows = (output / "logs" / "training.csv").read_text().strip().splitlines()
    assert len(rows) == 2 and "loss" in rows[0]


def _check_against_tf_data(got, root):
    """The same listing and evaluation batches as tf.data (TensorFlow installed)."""
    from keras_sfnet.data import list_files, make_dataset

    files = list_files("cityscapes", str(root), "val")
    assert [tuple(pair) for pair in got["files"].tolist()] == files
    expected = list(make_dataset(files, get_dataset_info("cityscapes"), training=False))
    # Same pixels; JAX's ImageConverter divides by the std as a reciprocal multiply (1 ulp).
    images = np.concatenate([x.numpy() for x, _ in expected])
    np.testing.assert_allclose(got["images"], images, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(got["labels"], np.concatenate([y.numpy() for _, y in expected]))
