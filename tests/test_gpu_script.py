"""`benchmarks/gpu/run.py` (the prepared GPU benchmark) run on CPU at tiny sizes."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "gpu" / "run.py"


def test_gpu_script_covers_the_issue_list():
    spec = importlib.util.spec_from_file_location("gpu_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports no TensorFlow, no backend
    assert module.MODELS == ("sfnet_r18", "sfnet_dfv1", "sfnet_dfv2", "sfnet_lite_stdc2")
    text = SCRIPT.read_text()
    for default in ("default=(1024, 2048)", "default=(1024, 1024)", '"--train-batch", type=int, default=8',
                    '"mixed_bfloat16"', "--authors-checkout"):  # fmt: skip
        assert default in text, default


@pytest.mark.slow
def test_gpu_script_on_cpu_at_tiny_sizes(tmp_path):
    backends = [b for b in ("jax", "torch") if importlib.util.find_spec(b) is not None]
    if "jax" not in backends:
        pytest.skip("jax is not installed")
    command = [
        sys.executable, str(REPO / "tests" / "helpers" / "without_tensorflow.py"), str(SCRIPT),
        "--no-install", "--size", "64", "128", "--rounds", "2", "--train-size", "64", "64",
        "--train-batch", "2", "--train-rounds", "1", "--models", "sfnet_dfv1",
        "--backends", *backends, "--output", str(tmp_path),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}  # as on a bare machine
    env = dict(env, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    report = done.stdout[-3000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    results = json.loads((tmp_path / "gpu.json").read_text())
    assert not [r for r in results if "error" in r], report
    inference = {(r["backend"], r["precision"]) for r in results if "train" not in r}
    expected = {(b, p) for b in backends for p in ("float32", "mixed_bfloat16")}
    assert expected <= inference
    for result in results:
        assert result["input_size"] == [64, 128]
        assert result["model"] == ("sfnet_r18" if "train" in result else "sfnet_dfv1")
        assert result["inference"]["per_second"] > 0 and result["inference"]["first_call_s"] > 0
    train = [r for r in results if "train" in r]
    assert len(train) == 1 and train[0]["backend"] == "jax"
    assert train[0]["precision"] == "mixed_bfloat16"
    assert train[0]["train"]["train_size"] == [64, 64] and train[0]["train"]["batch"] == 2
    table = (tmp_path / "gpu.md").read_text()
    assert table.startswith("# SFNet on ") and "sfnet_dfv1" in table
