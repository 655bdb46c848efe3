"""`train_with_arrays`: `train` fed by the TensorFlow-free `ArrayDataset` (JAX, PyTorch).

`keras_sfnet.training.train` feeds `model.fit` from tf.data and distributes with
tf.distribute. Where TensorFlow is not installed (the project's GPU machines carry
JAX and PyTorch only), `train_with_arrays` runs the same recipe on one device:
the same model, optimizer (coupled-weight-decay SGD or AdamW, poly decay, loss
scaling for float16), loss (cross-entropy or OHEM, deep supervision), mean-IoU
metric, checkpoints (last and best, exact resume: the data stream continues at the
next batch), logs and `model.keras`, with
`keras_sfnet.data.array_pipeline.make_array_dataset` as input. What needs
TensorFlow (several devices through tf.distribute, synchronised batch norm, the
coarse boost, merged datasets, op determinism) raises `TensorFlowRequiredError`.
`use_array_pipeline` says which input path a run takes.

Example:
>>> from keras_sfnet.training import TrainConfig
>>> config = TrainConfig(dataset="synthetic", crop_size=(64, 64), batch_size=2,
...                      steps=2, output="runs/jax_demo", val_split=None)
>>> result = train_with_arrays(config)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Sequence

import keras

from keras_sfnet.backend_support import require_tensorflow, tensorflow_installed
from keras_sfnet.data.array_pipeline import make_array_dataset
from keras_sfnet.data.augmentation_config import AugmentationConfig
from keras_sfnet.data.dataset_info import DatasetInfo
from keras_sfnet.data.local_listing import dataset_info_anywhere as get_dataset_info
from keras_sfnet.data.local_listing import list_files_anywhere
from keras_sfnet.losses import replicate_labels
from keras_sfnet.models import SFNet
from keras_sfnet.models.sfnet import deep_supervision_outputs
from keras_sfnet.names import INPUT_PIPELINES
from keras_sfnet.training.checkpointing import (
    TrainingCheckpoint,
    read_checkpoint_state,
    restore_checkpoint,
)
from keras_sfnet.training.precision import precision_policy
from keras_sfnet.training.step_limit import StepLimit
from keras_sfnet.training.train_config import TrainConfig
from keras_sfnet.training.train_result import TrainResult
from keras_sfnet.training.training_logs import TrainingLogs
from keras_sfnet.training.training_model import build_training_model, compile_for_training

__all__ = ["INPUT_PIPELINES", "train_with_arrays", "use_array_pipeline"]

logger = logging.getLogger(__name__)

#: `--input-pipeline` choices: tf.data where TensorFlow is installed, else arrays.


def use_array_pipeline(input_pipeline: str = "auto") -> bool:
    """Whether a run takes the TensorFlow-free input path.

    `"auto"`: when TensorFlow is not installed or Keras runs on JAX or PyTorch
    (`train`'s tf.distribute strategies are TensorFlow's).

    Example:
    >>> use_array_pipeline("arrays")
    True
    """
    if input_pipeline not in INPUT_PIPELINES:
        raise ValueError(
            f"`input_pipeline` must be one of {list(INPUT_PIPELINES)}. "
            f"Received: input_pipeline={input_pipeline!r}"
        )
    if input_pipeline == "tf_data":
        require_tensorflow("The tf.data input pipeline (input_pipeline='tf_data')", backend=True)
        return False
    if input_pipeline == "arrays" or not tensorflow_installed():
        return True
    return keras.config.backend() != "tensorflow"


def _refuse_tensorflow_features(config: TrainConfig) -> None:
    features = [
        (config.distribution in ("mirrored", "multi_worker"), f"distribution={config.distribution!r}"),
        (config.sync_batchnorm, "sync_batchnorm=True"),
        (bool(config.coarse_boost_classes), "the coarse boost (coarse_boost_classes)"),
        ("+" in config.dataset, f"a merged dataset ({config.dataset!r})"),
        (config.deterministic, "deterministic=True (TensorFlow op determinism)"),
    ]
    for used, feature in features:
        if used:
            require_tensorflow(f"Training with {feature}", backend=True)


def _synthetic_writer():
    from keras_sfnet.synthetic import layout_writer  # needs no TensorFlow

    return layout_writer


def _dataset(config: TrainConfig) -> tuple[str, str, DatasetInfo]:
    if config.dataset == "synthetic":
        root = config.data_root or os.path.join(config.output, "data")
        marker = os.path.join(root, "synthetic.json")
        expected = {"num_train": config.synthetic_num_train, "num_val": config.synthetic_num_val,
                    "image_size": list(config.synthetic_image_size), "seed": config.seed}  # fmt: skip
        if config.synthetic_layout != "cityscapes":
            expected["layout"] = config.synthetic_layout
        current = None
        if os.path.exists(marker):
            with open(marker, encoding="utf-8") as f:
                current = json.load(f)
        if current != expected:
            _synthetic_writer().generate_synthetic_layout(
                root, config.synthetic_layout, num_train=config.synthetic_num_train,
                num_val=config.synthetic_num_val, image_size=config.synthetic_image_size,
                seed=config.seed,
            )  # fmt: skip
            with open(marker, "w", encoding="utf-8") as f:
                json.dump(expected, f)
        return config.synthetic_layout, root, get_dataset_info(config.synthetic_layout, root)
    if config.dataset == "folder":
        info = DatasetInfo(name="folder", num_classes=config.num_classes,
                           class_names=config.class_names, ignore_index=config.ignore_index)  # fmt: skip
        return "folder", config.data_root, info
    return config.dataset, config.data_root, get_dataset_info(config.dataset, config.data_root)


def _augmentation(config: TrainConfig) -> AugmentationConfig:
    if isinstance(config.augmentation, dict):
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in config.augmentation.items()}
        return AugmentationConfig(**values)
    return {"paper": AugmentationConfig.paper, "crop_only": AugmentationConfig.crop_only}.get(
        config.augmentation, AugmentationConfig
    )()


def _model(config: TrainConfig, info: DatasetInfo, total_steps: int) -> tuple[SFNet, str]:
    """The model `train` would build and compile (one recipe for both trainers)."""
    model = build_training_model(config, info.num_classes)
    metric = compile_for_training(model, config, info.num_classes, total_steps, info.ignore_index)
    return model, metric


def _save_for_inference(model, config: TrainConfig, path: str, info: DatasetInfo) -> None:
    """`model` without its optimizer (as `train`'s `model.keras`), with the class names."""
    from keras_sfnet.inference.model_loading import save_model_classes

    with precision_policy(config.mixed_precision):
        copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    copy.save(path)
    save_model_classes(path, info)


def train_with_arrays(
    config: TrainConfig, callbacks: Sequence[keras.callbacks.Callback] = ()
) -> TrainResult:
    """Trains as `keras_sfnet.training.train` does, fed by `make_array_dataset` (one device).

    Writes `config.json`, `checkpoints/`, `logs/training.csv` and `model.keras` to
    `config.output`, and resumes exactly with `resume=True` (see `train`).

    Args:
        config: a `TrainConfig`.
        callbacks: extra Keras callbacks for `fit`.

    Returns:
        A `TrainResult`.

    Example:
    >>> result = train_with_arrays(TrainConfig(dataset="synthetic", crop_size=(64, 64),
    ...     batch_size=2, steps=2, output="runs/jax", val_split=None))  # doctest: +SKIP
    """
    start_time = time.time()
    _refuse_tensorflow_features(config)
    output = os.fspath(config.output)
    checkpoint_dir = os.path.join(output, "checkpoints")
    state = read_checkpoint_state(checkpoint_dir)
    if state is not None and not config.resume:
        raise FileExistsError(
            f"'{output}' already holds a checkpoint (step {state['step']}). Pass resume=True "
            "(--resume) to continue it, or a new output folder (--fresh starts over)."
        )
    keras.utils.set_random_seed(config.seed)
    name, root, info = _dataset(config)
    folder = ({"images_dir": config.images_dir, "masks_dir": config.masks_dir,
               "mask_suffix": config.mask_suffix} if name == "folder" else {})  # fmt: skip
    train_files = list_files_anywhere(name, root, config.train_split, **folder)
    steps_per_epoch = config.steps_per_epoch or max(1, len(train_files) // config.batch_size)
    total_steps = config.steps if config.steps is not None else config.epochs * steps_per_epoch
    steps_per_epoch = min(steps_per_epoch, total_steps)
    os.makedirs(output, exist_ok=True)
    config.save(os.path.join(output, "config.json"))
    model, metric_name = _model(config, info, total_steps)
    if state is not None:
        restore_checkpoint(model, checkpoint_dir)
    step = int(state["step"]) if state else 0
    initial_step = step
    labels_map = (replicate_labels(deep_supervision_outputs(config.backbone))
                  if config.deep_supervision else None)  # fmt: skip
    common = {"check_labels": True, "short_side": config.short_side, "map_function": labels_map}
    val_data = None
    if config.val_split:
        val_files = list_files_anywhere(name, root, config.val_split, **folder)
        if config.val_steps:
            val_files = val_files[: config.val_steps]
        val_data = make_array_dataset(val_files, info, training=False, **common)
    monitor, mode = (f"val_{metric_name}", "max") if val_data is not None else ("loss", "min")
    epoch = step // steps_per_epoch
    checkpoint = TrainingCheckpoint(
        checkpoint_dir, initial_step=step, initial_epoch=epoch,
        save_every=config.checkpoint_every, monitor=monitor, mode=mode,
        best_value=state.get("best_value") if state else None, class_info=info,
    )  # fmt: skip
    log_dir = os.path.join(output, "logs")
    os.makedirs(log_dir, exist_ok=True)
    history = {}
    if step < total_steps:
        logger.info("Training %d steps (%d per epoch) from step %d on %s with the array pipeline.",
                    total_steps, steps_per_epoch, step, keras.config.backend())  # fmt: skip
        train_data = make_array_dataset(
            train_files, info, training=True, crop_size=config.crop_size,
            batch_size=config.batch_size, augmentation=_augmentation(config), seed=config.seed,
            class_uniform=config.class_uniform, start_batch=step, **common,
        )  # fmt: skip
        fit = model.fit(
            train_data, epochs=math.ceil(total_steps / steps_per_epoch), initial_epoch=epoch,
            steps_per_epoch=steps_per_epoch, validation_data=val_data,
            validation_freq=config.validate_every, verbose=config.verbose, shuffle=False,
            callbacks=[
                keras.callbacks.ProgbarLogger(),
                TrainingLogs(initial_step=step, with_validation=val_data is not None),
                checkpoint, StepLimit(total_steps, initial_step=step),
                keras.callbacks.CSVLogger(os.path.join(log_dir, "training.csv"), append=True),
                *callbacks,
            ],
        )  # fmt: skip
        history = dict(fit.history)
        step = checkpoint.step
    model_path = os.path.join(output, "model.keras")
    _save_for_inference(model, config, model_path, info)
    return TrainResult(
        model=model, history=history, step=step, epoch=checkpoint.epoch,
        initial_step=initial_step, total_steps=total_steps,
        optimizer_iterations=int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
        output=output, model_path=model_path, checkpoint_dir=checkpoint_dir,
        best_value=checkpoint.best_value, monitor=monitor, wall_time=time.time() - start_time,
    )  # fmt: skip
