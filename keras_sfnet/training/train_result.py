"""`TrainResult`: what `keras_sfnet.training.train` returns."""

from __future__ import annotations

import dataclasses
from typing import Any

import keras

__all__ = ["TrainResult"]


@dataclasses.dataclass
class TrainResult:
    """The outcome of a training run.

    Args:
        model: the trained `keras.Model` (compiled; for deep supervision, its
            `inference_model()` gives the logits alone).
        history: dict of per-epoch log lists of this call (`loss`,
            `mean_iou`, `val_*`, `step`, `learning_rate`, ...).
        step: int, training batches done in all (resumed runs included).
        epoch: int, epochs done in all.
        initial_step: int, the step this call started from (0, or the resumed
            checkpoint's).
        total_steps: int, the run's planned length.
        optimizer_iterations: int, the optimizer's step counter (lower than
            `step` when float16 loss scaling skipped overflowing steps).
        output: str, the run folder.
        model_path: str or `None`, `{output}/model.keras` (chief only).
        checkpoint_dir: str, `{output}/checkpoints`.
        best_value: float or `None`, the best `monitor` value.
        monitor: str or `None`, the log entry ranking "best" checkpoints.
        wall_time: float, seconds spent in this call.

    Example:
    >>> result = keras_sfnet.training.train(config)  # doctest: +SKIP
    >>> result.step, result.history["loss"][-1]  # doctest: +SKIP
    """

    model: keras.Model
    history: dict[str, list[Any]]
    step: int
    epoch: int
    initial_step: int
    total_steps: int
    optimizer_iterations: int
    output: str
    model_path: str | None
    checkpoint_dir: str
    best_value: float | None
    monitor: str | None
    wall_time: float
