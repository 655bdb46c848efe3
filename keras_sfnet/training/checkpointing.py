"""Checkpoints of a training run: "last" (for exact resume) and "best"."""

from __future__ import annotations

import glob
import json
import logging
import math
import os
import time
from typing import Any

import keras
import numpy as np

from keras_sfnet.training.sync_batchnorm import iter_layers

__all__ = [
    "TrainingCheckpoint",
    "read_checkpoint_state",
    "restore_checkpoint",
    "seed_generator_states",
    "set_seed_generator_states",
]

logger = logging.getLogger(__name__)

LAST_STATE = "last.json"
BEST_STATE = "best.json"
BEST_MODEL = "best.keras"


def _write_json_atomic(path: str, values: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(values, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _seed_generators(model: keras.Model) -> dict[str, keras.random.SeedGenerator]:
    """The model's random-seed generators (dropout), by a stable key."""
    generators = {}
    for index, layer in enumerate(iter_layers(model)):
        for attr, value in sorted(vars(layer).items()):
            if isinstance(value, keras.random.SeedGenerator):
                generators[f"{index}:{layer.name}/{attr}"] = value
    return generators


def seed_generator_states(model: keras.Model) -> dict[str, list[int]]:
    """The states of the model's seed generators (dropout masks), as lists.

    Keras' weight files do not hold them; a checkpoint needs them so that
    the dropout masks after a resume are those of an uninterrupted run.

    Example:
    >>> states = seed_generator_states(model)  # doctest: +SKIP
    """
    return {
        key: np.asarray(keras.ops.convert_to_numpy(gen.state)).astype(np.int64).tolist()
        for key, gen in _seed_generators(model).items()
    }


def set_seed_generator_states(model: keras.Model, states: dict[str, list[int]]) -> None:
    """Restores states written by `seed_generator_states` (unknown keys are skipped)."""
    for key, gen in _seed_generators(model).items():
        if key in states:
            gen.state.assign(np.asarray(states[key]).astype(gen.state.dtype))


def read_checkpoint_state(directory: str | os.PathLike) -> dict[str, Any] | None:
    """The state of the last checkpoint in `directory`, or `None` if it has none.

    Returns:
        A dict with `step` (training batches done), `epoch` (epochs done),
        `optimizer_iterations`, `weights` (file name), `best_value`,
        `monitor`, `time`; or `None`.

    Example:
    >>> read_checkpoint_state("runs/demo/checkpoints")  # doctest: +SKIP
    {'step': 200, 'epoch': 4, ...}
    """
    path = os.path.join(os.fspath(directory), LAST_STATE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    weights = os.path.join(os.fspath(directory), state["weights"])
    if not os.path.exists(weights):
        raise FileNotFoundError(
            f"Checkpoint state '{path}' names '{weights}', which does not exist."
        )
    return state


def restore_checkpoint(model: keras.Model, directory: str | os.PathLike) -> dict[str, Any] | None:
    """Loads the last checkpoint of `directory` into a compiled `model`.

    Restores the weights, batch-norm statistics, the optimizer's slots and
    `iterations` (hence the learning-rate schedule position), a loss-scale
    optimizer's scale and the dropout layers' seed-generator states. The model must be compiled with the same optimizer
    type as when the checkpoint was written.

    Args:
        model: a compiled `keras.Model`.
        directory: the checkpoint folder (`{output}/checkpoints`).

    Returns:
        The checkpoint state (see `read_checkpoint_state`), or `None` when
        `directory` holds no checkpoint (nothing is loaded).

    Example:
    >>> state = restore_checkpoint(model, "runs/demo/checkpoints")  # doctest: +SKIP
    >>> state["step"]  # doctest: +SKIP
    200
    """
    state = read_checkpoint_state(directory)
    if state is None:
        return None
    if model.optimizer is None:
        raise ValueError(
            "`restore_checkpoint` needs a compiled model (its optimizer state is restored)."
        )
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(os.path.join(os.fspath(directory), state["weights"]))
    set_seed_generator_states(model, state.get("seed_generators", {}))
    logger.info("Restored checkpoint at step %d from %s.", state["step"], directory)
    return state


class TrainingCheckpoint(keras.callbacks.Callback):
    """Writes the "last" and "best" checkpoints of a `fit` run.

    Last: every `save_every` training batches and at every epoch end, the
    model's weights together with the optimizer's state
    (`ckpt-{step}.weights.h5`) and `last.json` (step, epoch, best value),
    written so that an interruption at any moment leaves a complete
    checkpoint: the weights file is written first, `last.json` is replaced
    atomically afterwards, and older weight files are removed last.
    `restore_checkpoint` loads it back.

    Best: at the end of each epoch whose logs hold `monitor` and improve on the
    best value so far, the whole model as `best.keras` (plus `best.json`).

    Args:
        directory: str, checkpoint folder (created).
        initial_step: int, training batches already done (after a resume).
        initial_epoch: int, epochs already done.
        save_every: int or `None`, batches between "last" checkpoints
            (`None`: at epoch ends only).
        monitor: str or `None`, the log entry that ranks "best" checkpoints,
            e.g. `"val_mean_iou"`; `None` writes no "best" checkpoint.
        mode: `"max"` or `"min"`. Defaults to `"max"`.
        best_value: float or `None`, best value so far (after a resume).
        write: bool, defaults to `True`; `False` on the non-chief workers of a
            multi-worker run, which only count steps.

    Example:
    >>> callback = TrainingCheckpoint("runs/demo/checkpoints", save_every=50,
    ...                               monitor="val_mean_iou")
    >>> model.fit(train_ds, epochs=4, steps_per_epoch=100, callbacks=[callback])  # doctest: +SKIP
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        initial_step: int = 0,
        initial_epoch: int = 0,
        save_every: int | None = None,
        monitor: str | None = None,
        mode: str = "max",
        best_value: float | None = None,
        write: bool = True,
        class_info=None,
    ):
        super().__init__()
        self.class_info = class_info  # DatasetInfo recorded in best.keras
        if mode not in ("max", "min"):
            raise ValueError(f"`mode` must be one of ['max', 'min']. Received: mode={mode!r}")
        self.directory = os.fspath(directory)
        self.step = int(initial_step)
        self.epoch = int(initial_epoch)
        self.save_every = save_every
        self.monitor = monitor
        self.mode = mode
        self.best_value = best_value
        self.write = write
        self._saved_step = self.step

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.save_every and self.step % self.save_every == 0:
            self.save_last()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch = epoch + 1
        value = None if logs is None or self.monitor is None else logs.get(self.monitor)
        if value is not None and math.isfinite(float(value)) and self._improves(float(value)):
            self.best_value = float(value)
            self.save_best(epoch, logs)
        self.save_last()

    def _improves(self, value: float) -> bool:
        if self.best_value is None:
            return True
        return value > self.best_value if self.mode == "max" else value < self.best_value

    def _iterations(self) -> int:
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def save_last(self) -> None:
        """Writes the "last" checkpoint at the current step."""
        if not self.write:
            self._saved_step = self.step
            return
        os.makedirs(self.directory, exist_ok=True)
        name = f"ckpt-{self.step:08d}.weights.h5"
        self.model.save_weights(os.path.join(self.directory, name), overwrite=True)
        _write_json_atomic(
            os.path.join(self.directory, LAST_STATE),
            {
                "step": self.step,
                "epoch": self.epoch,
                "optimizer_iterations": self._iterations(),
                "weights": name,
                "monitor": self.monitor,
                "mode": self.mode,
                "best_value": self.best_value,
                "time": time.time(),
                "seed_generators": seed_generator_states(self.model),
            },
        )
        for path in glob.glob(os.path.join(self.directory, "ckpt-*.weights.h5")):
            if os.path.basename(path) != name:
                os.remove(path)
        self._saved_step = self.step

    def save_best(self, epoch: int, logs: dict | None = None) -> None:
        """Writes the "best" checkpoint (`best.keras` and `best.json`)."""
        if not self.write:
            return
        os.makedirs(self.directory, exist_ok=True)
        tmp = os.path.join(self.directory, "best-tmp.keras")
        self.model.save(tmp, overwrite=True)
        if self.class_info is not None:
            from keras_sfnet.inference.model_loading import save_model_classes

            save_model_classes(tmp, self.class_info)
        os.replace(tmp, os.path.join(self.directory, BEST_MODEL))
        metrics = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        _write_json_atomic(
            os.path.join(self.directory, BEST_STATE),
            {"step": self.step, "epoch": epoch + 1, "monitor": self.monitor, "value": self.best_value,
             "logs": metrics},
        )  # fmt: skip
        logger.info("New best %s = %.4f at step %d.", self.monitor, self.best_value, self.step)


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
