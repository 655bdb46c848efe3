"""Inference and training-step speed of SFNet on the current Keras backend.

Backend-independent (no TensorFlow needed on JAX or PyTorch): the model is compiled
the way each backend runs it fastest for inference (``jax.jit`` of
``model.stateless_call``; ``torch.no_grad`` eager calls; a ``tf.function`` on
TensorFlow), with the first call (tracing / compilation) timed apart from the steady
state. :func:`compare_backends` runs one worker process per backend
(``python -m keras_sfnet.benchmark.backend_speed``) and puts the results side by side,
with ratios to a baseline backend and, given the authors' checkout, to their PyTorch
network on the same device.

Example:
>>> from keras_sfnet.benchmark.backend_speed import SpeedConfig, measure_speed
>>> result = measure_speed(SpeedConfig(model="sfnet_dfv1", input_size=(64, 128), rounds=2,
...                                    train=False))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from keras_sfnet.names import DTYPE_POLICIES as PRECISIONS

__all__ = [
    "SpeedConfig", "compare_backends", "format_comparison", "inference_function", "measure_speed",
]

logger = logging.getLogger(__name__)



@dataclasses.dataclass
class SpeedConfig:
    """What :func:`measure_speed` times.

    Args:
        model: a name of `keras_sfnet.list_models()` (``"sfnet_r18"``, ``"sfnet_dfv1"``,
            ``"sfnet_lite_stdc2"``, ...).
        input_size: ``(H, W)`` of the inference input. Defaults to ``(1024, 2048)``.
        batch_size: inference batch. Defaults to 1.
        precision: ``"float32"``, ``"mixed_bfloat16"`` or ``"mixed_float16"``.
        rounds: timed inference calls after the warm-up. Defaults to 20.
        train: also time training steps (``model.train_on_batch``, default recipe).
        train_size: ``(H, W)`` of the training crops. Defaults to ``(1024, 1024)``.
        train_batch: training batch. Defaults to 8.
        train_rounds: timed training steps. Defaults to 5.
        num_classes: defaults to 19.
        authors_checkout: path of a SFSegNets checkout: also time the authors' PyTorch
            network (random weights, eval mode, float32) on the same device.
    """

    model: str = "sfnet_r18"
    input_size: tuple[int, int] = (1024, 2048)
    batch_size: int = 1
    precision: str = "float32"
    rounds: int = 20
    train: bool = False
    train_size: tuple[int, int] = (1024, 1024)
    train_batch: int = 8
    train_rounds: int = 5
    num_classes: int = 19
    authors_checkout: str | None = None

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"`precision` must be one of {list(PRECISIONS)}. "
                f"Received: precision={self.precision!r}"
            )
        for name in ("rounds", "batch_size", "train_batch", "train_rounds"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"`{name}` must be >= 1. Received: {name}={getattr(self, name)}")
        self.input_size = tuple(int(s) for s in self.input_size)
        self.train_size = tuple(int(s) for s in self.train_size)


def _device() -> str:
    import keras

    backend = keras.config.backend()
    if backend == "jax":
        import jax

        return str(jax.devices()[0].device_kind)
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    import tensorflow as tf

    return "gpu" if tf.config.list_physical_devices("GPU") else "cpu"


def inference_function(model):
    """``(run(x) -> logits, to_device(array) -> input, sync(logits))`` for the backend.

    ``run`` is a ``tf.function`` on TensorFlow, ``jax.jit`` of ``stateless_call`` on JAX
    (with ``run.hlo_text(x)``: the compiled module's text) and an eager
    ``torch.no_grad`` call on PyTorch; ``sync`` blocks until a result is ready.

    Example:
    >>> run, to_device, sync = inference_function(model)  # doctest: +SKIP
    >>> sync(run(to_device(np.zeros((1, 64, 128, 3), "float32"))))  # doctest: +SKIP
    """
    import keras

    backend = keras.config.backend()
    if backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        @jax.jit
        def forward(trainable, non_trainable, x):
            out, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return out["logits"] if isinstance(out, dict) else out

        def run(x):
            return forward(trainable, non_trainable, x)

        run.hlo_text = lambda x: forward.lower(trainable, non_trainable, x).compile().as_text()
        return run, jax.device_put, lambda y: y.block_until_ready()
    if backend == "torch":
        import torch

        def forward(x):
            with torch.no_grad():
                out = model(x, training=False)
            return out["logits"] if isinstance(out, dict) else out

        def sync(_):
            if torch.cuda.is_available():
                torch.cuda.synchronize()

        return forward, keras.ops.convert_to_tensor, sync
    import tensorflow as tf

    @tf.function(jit_compile=False)
    def forward(x):
        out = model(x, training=False)
        return out["logits"] if isinstance(out, dict) else out

    return forward, tf.convert_to_tensor, lambda y: y.numpy()


def _time(fn, sync, rounds: int) -> tuple[float, list[float]]:
    start = time.perf_counter()
    sync(fn())
    first = time.perf_counter() - start
    sync(fn())  # one untimed steady-state call
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        sync(fn())
        times.append(time.perf_counter() - start)
    return first, times


def _summary(first: float, times: list[float], items: int) -> dict:
    median = statistics.median(times)
    return {
        "first_call_s": first,
        "median_s": median,
        "min_s": min(times),
        "per_second": items / median,
    }


def measure_speed(config: SpeedConfig) -> dict:
    """Times ``config`` on the current backend; returns a JSON-ready dict.

    Keys: ``backend``, ``device``, ``model``, ``precision``, ``inference``
    (``first_call_s`` = tracing/compilation + first run, ``median_s``, ``min_s``,
    ``per_second`` = images/s), ``train`` (same, per step, ``per_second`` =
    images/s) when asked, ``authors_pytorch`` (inference of their network) when a
    checkout is given.
    """
    import keras

    import keras_sfnet

    policy = keras.mixed_precision.dtype_policy().name
    keras.mixed_precision.set_global_policy(config.precision)
    try:
        model = keras_sfnet.SFNet.from_name(config.model, num_classes=config.num_classes)
        rng = np.random.default_rng(0)
        shape = (config.batch_size, *config.input_size, 3)
        run, to_device, sync = inference_function(model)
        x = to_device(rng.normal(size=shape).astype("float32"))
        first, times = _time(lambda: run(x), sync, config.rounds)
        result = {
            "backend": keras.config.backend(),
            "device": _device(),
            "model": config.model,
            "precision": config.precision,
            "input_size": list(config.input_size),
            "batch_size": config.batch_size,
            "inference": _summary(first, times, config.batch_size),
        }
        if config.train:
            model.compile(loss="cross_entropy")
            images = rng.normal(size=(config.train_batch, *config.train_size, 3))
            labels = rng.integers(0, config.num_classes, (config.train_batch, *config.train_size))
            images = keras.ops.convert_to_tensor(images.astype("float32"))
            labels = keras.ops.convert_to_tensor(labels.astype("int32"))
            first, times = _time(
                lambda: model.train_on_batch(images, labels), lambda _: None, config.train_rounds
            )
            result["train"] = _summary(first, times, config.train_batch)
            result["train"].update(train_size=list(config.train_size), batch=config.train_batch)
    finally:
        keras.mixed_precision.set_global_policy(policy)
    if config.authors_checkout:
        result["authors_pytorch"] = _authors_speed(config, shape)
    return result


def _authors_speed(config: SpeedConfig, shape) -> dict:
    import torch

    from keras_sfnet.benchmark.torch_reference import load_authors_network
    from keras_sfnet.models.family import get_configuration

    entry = get_configuration(config.model)
    net = load_authors_network(
        config.authors_checkout,
        entry.backbone,
        num_classes=config.num_classes,
        head=entry.head,
        deep_supervision=entry.deep_supervision,
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    net = net.to(device)
    x = torch.randn(shape[0], 3, shape[1], shape[2], device=device)

    def run():
        with torch.no_grad():
            return net(x)

    def sync(_):
        if device == "cuda":
            torch.cuda.synchronize()

    first, times = _time(run, sync, config.rounds)
    return _summary(first, times, shape[0])


def compare_backends(
    configs: Sequence[SpeedConfig],
    backends: Sequence[str] = ("tensorflow", "jax", "torch"),
    timeout: float | None = None,
) -> list[dict]:
    """Runs every config on every backend, one worker process per (backend, config).

    A backend whose worker fails (not installed, out of memory) gets an ``error``
    entry instead of numbers; the others still run.

    Returns:
        The result dicts of :func:`measure_speed` (plus ``error`` where it failed).
    """
    results = []
    repo = str(Path(__file__).resolve().parents[2])
    for config in configs:
        for backend in backends:
            env = dict(os.environ, KERAS_BACKEND=backend)
            env["PYTHONPATH"] = os.pathsep.join([repo, env.get("PYTHONPATH", "")])
            command = [
                sys.executable,
                "-m",
                "keras_sfnet.benchmark.backend_speed",
                json.dumps(dataclasses.asdict(config)),
            ]
            logger.info("timing %s %s on %s", config.model, config.precision, backend)
            try:
                done = subprocess.run(
                    command, env=env, capture_output=True, text=True, timeout=timeout
                )
            except subprocess.TimeoutExpired:
                results.append(_failure(config, backend, f"timed out after {timeout} s"))
                continue
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                results.append(_failure(config, backend, tail[0]))
                continue
            results.append(json.loads(lines[-1]))
    return results


def _failure(config: SpeedConfig, backend: str, message: str) -> dict:
    return {
        "backend": backend,
        "model": config.model,
        "precision": config.precision,
        "error": message,
    }


def format_comparison(results: Sequence[dict], baseline: str = "tensorflow") -> str:
    """A Markdown table: images/s and ratios to ``baseline`` and the authors' PyTorch.

    The ratio columns are time ratios (``< 1`` is faster than the reference).
    """
    rows = [
        "| model | backend | precision | device | first call s | inference ms | img/s "
        f"| x {baseline} | x authors | train img/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = {
        (r["model"], r["precision"]): r["inference"]["median_s"]
        for r in results
        if r.get("backend") == baseline and "inference" in r
    }
    for r in results:
        if "error" in r:
            rows.append(
                f"| {r['model']} | {r['backend']} | {r['precision']} | - | - | - | - | - | - "
                f"| error: {r['error'][:80]} |"
            )
            continue
        inference = r["inference"]
        reference = base.get((r["model"], r["precision"])) or base.get((r["model"], "float32"))
        vs_base = f"{inference['median_s'] / reference:.2f}" if reference else "-"
        authors = r.get("authors_pytorch")
        vs_authors = f"{inference['median_s'] / authors['median_s']:.2f}" if authors else "-"
        train = f"{r['train']['per_second']:.2f}" if "train" in r else "-"
        rows.append(
            f"| {r['model']} | {r['backend']} | {r['precision']} | {r['device']} "
            f"| {inference['first_call_s']:.2f} | {1000 * inference['median_s']:.1f} "
            f"| {inference['per_second']:.2f} | {vs_base} | {vs_authors} | {train} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":  # worker: one config on the backend of KERAS_BACKEND
    logging.basicConfig(level=logging.WARNING)
    fields = json.loads(sys.argv[1])
    print(json.dumps(measure_speed(SpeedConfig(**fields))))
