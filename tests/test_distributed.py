"""Distributed training: MultiWorkerMirroredStrategy on loopback, mirrored sync BN.

Each case runs in fresh Python processes (a strategy must be created before
TensorFlow initialises, and a process has one cluster), with a small model on
a tiny Cityscapes-layout dataset, CPU only, in bounded time.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 900

TINY_CONFIG = dict(
    dataset="cityscapes",
    crop_size=[64, 64],
    decoder_filters=16,
    loss="cross_entropy",
    tensorboard=False,
    verbose=0,
    jit_compile=False,
)

WORKER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from keras_sfnet.training import TrainConfig, train

    result = train(TrainConfig.from_file(sys.argv[1]))
    weights = result.model.get_weights()
    print("RESULT " + json.dumps({
        "step": result.step,
        "iterations": result.optimizer_iterations,
        "replicas": result.model.distribute_strategy.num_replicas_in_sync,
        "checksum": float(sum(np.abs(w).sum() for w in weights)),
        "wrote_model": result.model_path is not None,
        "val_keys": sorted(k for k in result.history if k.startswith("val_")),
    }))
    """
)

MIRRORED = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from keras_sfnet.training import TrainConfig, train

    base = TrainConfig.from_file(sys.argv[1])
    runs = {
        "single": base.replace(distribution="none", output=base.output + "/single"),
        "synced": base.replace(distribution="mirrored", sync_batchnorm=True,
                               output=base.output + "/synced"),
        "plain": base.replace(distribution="mirrored", output=base.output + "/plain"),
    }
    weights, replicas = {}, {}
    for name, config in runs.items():
        result = train(config)
        replicas[name] = result.model.distribute_strategy.num_replicas_in_sync
        weights[name] = [np.asarray(w) for w in result.model.trainable_weights]

    def max_diff(a, b):
        return max(float(np.max(np.abs(x - y))) for x, y in zip(weights[a], weights[b]))

    print("RESULT " + json.dumps({
        "replicas": replicas,
        "synced_vs_single": max_diff("synced", "single"),
        "plain_vs_single": max_diff("plain", "single"),
    }))
    """
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TF_CONFIG", None)
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]),
        TF_CPP_MIN_LOG_LEVEL="2",
        CUDA_VISIBLE_DEVICES="",
        **extra,
    )
    return env


def _result(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, stdout[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:
    from keras_sfnet.data.synthetic import generate_synthetic_cityscapes

    root = tmp_path_factory.mktemp("distributed_data")
    generate_synthetic_cityscapes(root, num_train=4, num_val=2, image_size=(64, 96), seed=0)
    return root


def _run(processes: list[subprocess.Popen]) -> list[str]:
    outputs = []
    try:
        for process in processes:
            out, _ = process.communicate(timeout=TIMEOUT_S)
            outputs.append(out)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    for process, out in zip(processes, outputs):
        assert process.returncode == 0, out[-5000:]
    return outputs


@pytest.mark.slow
def test_multi_worker_mirrored_on_loopback(tmp_path, tiny_dataset):
    output = tmp_path / "run"
    config = dict(
        TINY_CONFIG, data_root=str(tiny_dataset), batch_size=2, steps=4, steps_per_epoch=2,
        distribution="multi_worker", output=str(output), sync_batchnorm=True, val_steps=1,
    )  # fmt: skip
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    workers = [f"127.0.0.1:{_free_port()}" for _ in range(2)]
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        processes.append(
            subprocess.Popen(
                [sys.executable, str(script), str(config_path)],
                env=_env(TF_CONFIG=json.dumps(tf_config)),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=tmp_path,
            )
        )
    chief, other = (_result(out) for out in _run(processes))

    for result in (chief, other):
        assert result["replicas"] == 2
        assert result["step"] == 4 and result["iterations"] == 4
        assert result["val_keys"] == ["val_loss", "val_mean_iou"]
    # Replicas stay in sync: both workers end with the same weights.
    assert chief["checksum"] == pytest.approx(other["checksum"], rel=1e-6)
    # Only the chief (worker 0) writes.
    assert chief["wrote_model"] and not other["wrote_model"]
    assert (output / "model.keras").is_file()
    state = json.loads((output / "checkpoints" / "last.json").read_text())
    assert state["step"] == 4


@pytest.mark.slow
def test_mirrored_sync_batchnorm_matches_one_device(tmp_path, tiny_dataset):
    # Two replicas of batch 1 with synchronised BN take nearly the same step as
    # one device with batch 2 (same examples, no dropout); unsynchronised BN
    # does not. Not exactly the same: each replica averages the loss over its
    # own valid (non-ignored) pixels, one device over all of them.
    config = dict(
        TINY_CONFIG, data_root=str(tiny_dataset), batch_size=2, steps=1, steps_per_epoch=1,
        val_split=None, dropout=0.0, learning_rate=0.1, output=str(tmp_path / "runs"),
    )  # fmt: skip
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    script = tmp_path / "mirrored.py"
    script.write_text(MIRRORED)
    process = subprocess.Popen(
        [sys.executable, str(script), str(config_path)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    result = _result(_run([process])[0])
    assert result["replicas"] == {"single": 1, "synced": 2, "plain": 2}
    assert result["plain_vs_single"] > 10 * result["synced_vs_single"], result
