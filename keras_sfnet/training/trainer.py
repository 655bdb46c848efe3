"""`train`: SFNet training with `model.fit`, checkpoints, exact resume, logs."""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from keras_sfnet.data import DatasetInfo, list_files
from keras_sfnet.models import SFNet
from keras_sfnet.parameter_message import Parameter, ParameterMessage
from keras_sfnet.training.checkpointing import (
    TrainingCheckpoint,
    read_checkpoint_state,
    restore_checkpoint,
)
from keras_sfnet.training.distribution import get_strategy, is_chief
from keras_sfnet.training.precision import precision_policy
from keras_sfnet.training.step_limit import StepLimit
from keras_sfnet.training.train_config import ARCHITECTURE_FIELDS, TrainConfig
from keras_sfnet.training.train_result import TrainResult
from keras_sfnet.training.training_data import (
    TrainingData as _Data,
)
from keras_sfnet.training.training_data import (
    folder_kwargs as _folder_kwargs,
)
from keras_sfnet.training.training_data import (
    pipeline_kwargs as _load_kwargs,
)
from keras_sfnet.training.training_data import (
    resolve_dataset,
    validate_training_data,
)
from keras_sfnet.training.training_data import (
    train_dataset as _train_data,
)
from keras_sfnet.training.training_data import (
    val_dataset as _val_data,
)
from keras_sfnet.training.training_logs import TrainingLogs
from keras_sfnet.training.training_model import (  # noqa: F401 (re-exported)
    build_optimizer,
    build_training_model,
    compile_for_training,
)
from keras_sfnet.weights.loading import pretrained_architecture

__all__ = [
    "build_optimizer",
    "build_training_model",
    "clear_run",
    "compile_for_training",
    "resolve_architecture",
    "resolve_dataset",
    "train",
    "validate_training_data",
]

logger = logging.getLogger(__name__)

MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"
CHECKPOINT_DIR = "checkpoints"
LOG_DIR = "logs"
# Settings that may change between an interrupted run and its resumption.
_RESUME_FREE = {
    "resume", "verbose", "tensorboard", "output", "data_root", "val_steps", "validate_data",
}  # fmt: skip


def resolve_architecture(config: TrainConfig) -> TrainConfig:
    """With `init_from`: the config with the pretrained source's architecture.

    `backbone`, `head`, `decoder_filters`, `dilated`, `stem` and the
    `decoder_options` switches are taken from the source unless overridden: named
    in `config.architecture_overrides`, or set to another value than the default.
    Overridden fields that differ from the source are logged. Without
    `init_from`, or for a source that records no architecture (a bare
    `.weights.h5` file), returns `config` unchanged.

    Example:
    >>> config = resolve_architecture(TrainConfig(dataset="folder", num_classes=3,
    ...     data_root="mine", init_from="runs/demo/model.keras"))  # doctest: +SKIP
    >>> config.dilated  # doctest: +SKIP
    False
    """
    if not config.init_from:
        return config
    source = pretrained_architecture(os.fspath(config.init_from))
    if source is None:
        logger.info(
            "'%s' records no architecture: the model is built from the config's settings.",
            config.init_from,
        )
        return config
    defaults = TrainConfig(dataset="synthetic")
    explicit = set(config.architecture_overrides or ())
    explicit |= {f for f in ARCHITECTURE_FIELDS if getattr(config, f) != getattr(defaults, f)}
    switch_names = [k for k in source if k not in ("backbone", "head", "decoder_filters",
                                                   "dilated", "stem")]  # fmt: skip
    from keras_sfnet.decoders.switches import check_switches

    released = check_switches({})
    source_switches = {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in source.items()
        if k in switch_names and v != released.get(k)
    }
    changes, overridden = {}, []
    for field in ("backbone", "head", "decoder_filters", "dilated", "stem"):
        if field not in source:
            continue
        if field in explicit:
            if getattr(config, field) not in (None, source[field]):
                overridden.append(f"{field}={getattr(config, field)!r} (source: {source[field]!r})")
        else:
            changes[field] = source[field]
    if "decoder_options" in explicit:
        options = {**source_switches, **config.decoder_options}
        for k, v in config.decoder_options.items():
            if k in source and _normalised(v) != _normalised(source[k]):
                overridden.append(f"{k}={v!r} (source: {_normalised(source[k])!r})")
    else:
        options = source_switches
    changes["decoder_options"] = options
    resolved = config.replace(**changes)
    logger.info(
        "Architecture of init_from '%s': %s",
        config.init_from,
        ", ".join(f"{f}={getattr(resolved, f)!r}" for f in ARCHITECTURE_FIELDS),
    )
    if overridden:
        logger.warning(
            "Overriding the architecture of init_from '%s': %s",
            config.init_from,
            "; ".join(overridden),
        )
    return resolved


def _normalised(value):
    return list(value) if isinstance(value, tuple) else value


def _plan(config: TrainConfig, data: _Data) -> tuple[int, int]:
    """Returns `(total_steps, steps_per_epoch)`."""
    steps_per_epoch = config.steps_per_epoch
    if steps_per_epoch is None:
        files = list_files(data.name, data.root, config.train_split, **data.folder_kwargs)
        steps_per_epoch = max(1, len(files) // config.batch_size)
    total = config.steps if config.steps is not None else config.epochs * steps_per_epoch
    # A run shorter than an epoch is one epoch of its own length (progress bar).
    return int(total), int(min(steps_per_epoch, total))


def _check_resume(config: TrainConfig, output: str, state: dict | None) -> None:
    if state is not None and not config.resume:
        raise FileExistsError(
            ParameterMessage(
                f"'{output}' already holds a checkpoint (step {state['step']}). Pass ",
                Parameter("resume", "True"),
                " to continue it, or start over with ",
                Parameter("fresh", python="clear_run(output)"),
                " or a new output folder.",
            )
        )
    path = os.path.join(output, CONFIG_FILE)
    if state is None or not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        previous = json.load(f)
    current = config.to_dict()
    changed = sorted(k for k in current if k not in _RESUME_FREE and previous.get(k) != current[k])
    if changed:
        logger.warning(
            "Resuming with changed settings %s: the run is no longer an exact continuation.",
            changed,
        )


def _callbacks(
    config: TrainConfig,
    output: str,
    chief: bool,
    checkpoint: TrainingCheckpoint,
    step: int,
    stop_step: int,
    with_validation: bool,
) -> list[keras.callbacks.Callback]:
    callbacks = [
        # First, so that each epoch's bar line ends before other callbacks log
        # (Keras appends its own bar after every given callback).
        keras.callbacks.ProgbarLogger(),
        TrainingLogs(initial_step=step, with_validation=with_validation),
        checkpoint,
        StepLimit(stop_step, initial_step=step),
    ]
    if chief:
        log_dir = os.path.join(output, LOG_DIR)
        os.makedirs(log_dir, exist_ok=True)
        callbacks.append(
            keras.callbacks.CSVLogger(os.path.join(log_dir, "training.csv"), append=True)
        )
        if config.tensorboard and importlib.util.find_spec("tensorboard") is None:
            logger.warning("TensorBoard logs are off: the `tensorboard` package is not installed.")
        elif config.tensorboard:
            callbacks.append(
                keras.callbacks.TensorBoard(os.path.join(log_dir, "tensorboard"), write_graph=False)
            )
    return callbacks


def _save_final_model(
    model: SFNet, config: TrainConfig, path: str, info: DatasetInfo | None = None
) -> None:
    """Writes `model` without its optimizer and compile state (half the size).

    Resuming uses the checkpoints, which keep the optimizer slots; the final
    `model.keras` is for inference, evaluation, export and fine-tuning. It
    records the dataset's name, class names and palette (`save_model_classes`).
    """
    from keras_sfnet.inference.model_loading import save_model_classes

    with precision_policy(config.mixed_precision):
        copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    copy.save(path)
    if info is not None:
        save_model_classes(path, info)


def clear_run(output: str | os.PathLike) -> None:
    """Deletes a run's outputs (checkpoints, logs, `model.keras`, `config.json`).

    Other files in `output`, such as a generated synthetic dataset in
    `output/data`, are kept. Call it from one process only.

    Example:
    >>> clear_run("runs/demo")  # doctest: +SKIP
    """
    output = os.fspath(output)
    for name in (CHECKPOINT_DIR, LOG_DIR):
        shutil.rmtree(os.path.join(output, name), ignore_errors=True)
    for name in (MODEL_FILE, CONFIG_FILE):
        path = os.path.join(output, name)
        if os.path.exists(path):
            os.remove(path)


def train(config: TrainConfig, callbacks: Sequence[keras.callbacks.Callback] = ()) -> TrainResult:
    """Trains SFNet as a config says, resuming from its checkpoints if asked.

    One call does: distribution strategy (`config.distribution`; for
    multi-worker, `TF_CONFIG` and one process per worker, all calling
    `train` with the same config), dataset (generated for `"synthetic"`),
    model under the precision policy (`"float16"` adds dynamic loss scaling),
    optional synchronised batch norm, the authors' optimizer (SGD, coupled
    weight decay, poly decay over the whole run), OHEM or plain
    cross-entropy (summed over the deep-supervision heads with
    `aux_weight`), `model.fit` with Keras progress bars, then
    `{output}/model.keras`.

    Written to `config.output` (by the chief only):
    `config.json`; `checkpoints/` with the last checkpoint
    (`ckpt-{step}.weights.h5` + `last.json`: weights, optimizer state and
    step; every `checkpoint_every` steps and every epoch) and the best one
    (`best.keras` + `best.json`, by validation mean IoU, or training loss
    without validation); `logs/training.csv` and `logs/tensorboard/`; and at
    the end `model.keras`.

    Exact resume: with `resume=True`, training continues from the last
    checkpoint: weights, batch-norm statistics, optimizer slots and
    iterations (so the learning-rate schedule position) and the loss scale
    are restored, the data stream continues at the next batch (it is a
    deterministic function of `seed`), and the run ends at the same total
    step as an uninterrupted one. A run that already reached its last step
    only re-writes `model.keras`.

    Args:
        config: a `TrainConfig`.
        callbacks: extra Keras callbacks for `fit` (each `fit` call; a resumed
            mid-epoch run calls `fit` twice).

    Returns:
        A `TrainResult`.

    Example:
    >>> from keras_sfnet.training import TrainConfig, train
    >>> result = train(TrainConfig(dataset="synthetic", crop_size=(128, 128),
    ...                            batch_size=8, steps=300, output="runs/demo"))  # doctest: +SKIP
    >>> result.step  # doctest: +SKIP
    300
    """
    start_time = time.time()
    strategy = get_strategy(config.distribution)
    chief = is_chief(strategy)
    output = os.fspath(config.output)
    checkpoint_dir = os.path.join(output, CHECKPOINT_DIR)
    state = read_checkpoint_state(checkpoint_dir)
    config = resolve_architecture(config)
    _check_resume(config, output, state)

    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(config.seed)
    name, root, info = resolve_dataset(config)
    folder_kwargs = _folder_kwargs(config, name)
    data = _Data(name, root, info, folder_kwargs, *_load_kwargs(config, name, root, info, chief))
    if config.validate_data and state is None:
        validate_training_data(config)
    total_steps, steps_per_epoch = _plan(config, data)
    if chief:
        os.makedirs(output, exist_ok=True)
        config.save(os.path.join(output, CONFIG_FILE))

    with strategy.scope():
        model = build_training_model(config, info.num_classes)
        metric_name = compile_for_training(
            model, config, info.num_classes, total_steps,
            ignore_index=info.ignore_index, num_replicas=strategy.num_replicas_in_sync,
        )  # fmt: skip
        if state is not None:
            restore_checkpoint(model, checkpoint_dir)

    step = int(state["step"]) if state else 0
    initial_step = step
    val_data = _val_data(config, data, strategy.num_replicas_in_sync)
    if val_data is not None:
        monitor, mode = f"val_{metric_name}", "max"
    else:
        monitor, mode = "loss", "min"
    best_value = state.get("best_value") if state else None
    history: dict[str, list[Any]] = {}
    epoch = int(state["epoch"]) if state else 0
    if step >= total_steps:
        logger.info(
            "Nothing to train: '%s' already finished its %d steps (a new output folder or "
            "`--fresh` starts over).", output, total_steps,
        )  # fmt: skip
    elif step:
        logger.info(
            "Resuming at step %d of %d (%d per epoch) on %d replica(s).",
            step, total_steps, steps_per_epoch, strategy.num_replicas_in_sync,
        )  # fmt: skip
    else:
        logger.info(
            "Training %d steps (%d per epoch) on %d replica(s).",
            total_steps, steps_per_epoch, strategy.num_replicas_in_sync,
        )  # fmt: skip
    while step < total_steps:
        epoch = step // steps_per_epoch
        # After a mid-epoch resume, first finish that epoch, then continue in
        # whole epochs: epoch ends (validation, best checkpoint) stay at
        # multiples of `steps_per_epoch`, as in an uninterrupted run.
        stop_step = (
            min(total_steps, (epoch + 1) * steps_per_epoch)
            if step % steps_per_epoch
            else total_steps
        )
        checkpoint = TrainingCheckpoint(
            checkpoint_dir, initial_step=step, initial_epoch=epoch,
            save_every=config.checkpoint_every, monitor=monitor, mode=mode,
            best_value=best_value, write=chief, class_info=info,
        )  # fmt: skip
        fit_history = model.fit(
            _train_data(config, data, strategy, skip_steps=step),
            epochs=math.ceil(stop_step / steps_per_epoch),
            initial_epoch=epoch,
            steps_per_epoch=steps_per_epoch,
            validation_data=val_data,
            validation_freq=config.validate_every,
            callbacks=[
                *_callbacks(
                    config, output, chief, checkpoint, step, stop_step, val_data is not None
                ),
                *callbacks,
            ],
            verbose=config.verbose,
            shuffle=False,
        )
        for key, values in fit_history.history.items():
            history.setdefault(key, []).extend(values)
        step, epoch, best_value = checkpoint.step, checkpoint.epoch, checkpoint.best_value
        if step < stop_step:  # stopped by another callback (e.g. early stopping)
            break

    model_path = None
    if chief:
        model_path = os.path.join(output, MODEL_FILE)
        _save_final_model(model, config, model_path, info)
    iterations = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    return TrainResult(
        model=model,
        history=history,
        step=step,
        epoch=epoch,
        initial_step=initial_step,
        total_steps=total_steps,
        optimizer_iterations=iterations,
        output=output,
        model_path=model_path,
        checkpoint_dir=checkpoint_dir,
        best_value=best_value,
        monitor=monitor,
        wall_time=time.time() - start_time,
    )
