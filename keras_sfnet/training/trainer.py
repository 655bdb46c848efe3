"""`train`: SFNet training with `model.fit`, checkpoints, exact resume, logs."""

from __future__ import annotations

import dataclasses
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

from keras_sfnet.data import (
    AugmentationConfig,
    DatasetInfo,
    get_dataset_info,
    list_files,
    load_dataset,
    validate_dataset,
)
from keras_sfnet.data.coarse_boost import coarse_boost_centers
from keras_sfnet.data.merged import merged_dataset_members
from keras_sfnet.data.synthetic import generate_synthetic_layout
from keras_sfnet.data.validation import format_validation_report
from keras_sfnet.losses import (
    replicate_labels,
)
from keras_sfnet.models import SFNet
from keras_sfnet.models.recipe import (
    compile_arguments,
    recipe_loss,
    recipe_metric,
    recipe_optimizer,
)
from keras_sfnet.models.sfnet import deep_supervision_outputs
from keras_sfnet.parameter_message import Parameter, ParameterMessage
from keras_sfnet.training.checkpointing import (
    TrainingCheckpoint,
    read_checkpoint_state,
    restore_checkpoint,
)
from keras_sfnet.training.distribution import get_strategy, is_chief
from keras_sfnet.training.precision import precision_policy, wrap_loss_scale
from keras_sfnet.training.step_limit import StepLimit
from keras_sfnet.training.sync_batchnorm import convert_to_sync_batchnorm
from keras_sfnet.training.train_config import ARCHITECTURE_FIELDS, TrainConfig
from keras_sfnet.training.train_result import TrainResult
from keras_sfnet.training.training_logs import TrainingLogs
from keras_sfnet.weights.backbone_weights import load_backbone_weights
from keras_sfnet.weights.loading import load_pretrained_weights, pretrained_architecture

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


@dataclasses.dataclass(frozen=True)
class _Data:
    name: str  # load_dataset name
    root: str
    info: DatasetInfo
    folder_kwargs: dict  # list_files and load_dataset
    load_kwargs: dict = dataclasses.field(default_factory=dict)  # load_dataset
    train_kwargs: dict = dataclasses.field(default_factory=dict)  # training load_dataset


def resolve_dataset(config: TrainConfig) -> tuple[str, str, DatasetInfo]:
    """The `load_dataset` name, root folder and `DatasetInfo` of a config.

    For `dataset="synthetic"`, generates the synthetic dataset (in the
    `synthetic_layout`) into `data_root` (default `{output}/data`) unless it
    is there. A merged dataset (`"a+b"`) returns the first member's info (all
    members share the label space).

    Returns:
        `(name, root, info)`.

    Example:
    >>> resolve_dataset(TrainConfig(dataset="camvid", data_root="/data/camvid"))  # doctest: +SKIP
    ('camvid', '/data/camvid', DatasetInfo(name='camvid', ...))
    """
    if config.dataset == "synthetic":
        root = config.data_root or os.path.join(config.output, "data")
        marker = os.path.join(root, "synthetic.json")
        expected = {
            "num_train": config.synthetic_num_train,
            "num_val": config.synthetic_num_val,
            "image_size": list(config.synthetic_image_size),
            "seed": config.seed,
        }
        if config.synthetic_layout != "cityscapes":
            expected["layout"] = config.synthetic_layout
        current = None
        if os.path.exists(marker):
            with open(marker, encoding="utf-8") as f:
                current = json.load(f)
        if current != expected:
            logger.info("Generating the synthetic dataset in %s.", root)
            generate_synthetic_layout(
                root,
                config.synthetic_layout,
                num_train=config.synthetic_num_train,
                num_val=config.synthetic_num_val,
                image_size=config.synthetic_image_size,
                seed=config.seed,
            )
            with open(marker, "w", encoding="utf-8") as f:
                json.dump(expected, f)
        name = config.synthetic_layout
        return name, root, get_dataset_info(name, root)
    if "+" in config.dataset:
        info = merged_dataset_members(config.dataset, config.data_root)[0][2]
        return config.dataset, config.data_root, info
    if config.dataset == "folder":
        info = DatasetInfo(
            name="folder",
            num_classes=config.num_classes,
            class_names=config.class_names,
            ignore_index=config.ignore_index,
        )
        return "folder", config.data_root, info
    info = get_dataset_info(config.dataset, config.data_root)
    if config.num_classes is not None and config.num_classes != info.num_classes:
        raise ValueError(
            f"Dataset '{config.dataset}' has {info.num_classes} classes. "
            f"Received: num_classes={config.num_classes}"
        )
    return config.dataset, config.data_root, info


def _load_kwargs(
    config: TrainConfig, name: str, root: Any, info: DatasetInfo, chief: bool
) -> tuple[dict, dict]:
    """`load_dataset` arguments: `(for every split, for training only)`."""
    load_kwargs: dict[str, Any] = {}
    train_kwargs: dict[str, Any] = {}
    if config.short_side is not None:
        load_kwargs["short_side"] = config.short_side
    if "+" in name:
        train_kwargs["weights"] = config.dataset_weights
    if config.coarse_boost_classes:
        classes = config.coarse_boost_classes
        fraction = config.coarse_boost_fraction
        if fraction is None:
            fraction = 0.5 * len(classes) / info.num_classes
        # Cached in the run folder (computing them reads every coarse label).
        output = os.fspath(config.output)
        tag = "-".join(str(c) for c in sorted(set(classes)))
        cache = os.path.join(
            output, f"coarse_boost_centers_tile{config.coarse_boost_tile}_{tag}.json"
        )
        if chief:
            os.makedirs(output, exist_ok=True)
        centers = coarse_boost_centers(
            root, classes, tile_size=config.coarse_boost_tile,
            cache_path=cache if chief or os.path.exists(cache) else None,
        )  # fmt: skip
        if sorted(centers.classes) != sorted(set(classes)):
            logger.warning(
                "Coarse boost: classes %s have no coarse crop centre.",
                sorted(set(classes) - set(centers.classes)),
            )
        train_kwargs.update(crop_centers=centers, crop_centers_fraction=float(fraction))
    return load_kwargs, train_kwargs


def _augmentation(config: TrainConfig) -> AugmentationConfig:
    if isinstance(config.augmentation, dict):
        values = dict(config.augmentation)
        for key in ("scale_range", "blur_sigma_range"):
            if key in values:
                values[key] = tuple(values[key])
        return AugmentationConfig(**values)
    if config.augmentation == "paper":
        return AugmentationConfig.paper()
    if config.augmentation == "crop_only":
        return AugmentationConfig.crop_only()
    return AugmentationConfig()


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
    from keras_sfnet.models.decoder_switches import check_switches

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


def build_training_model(config: TrainConfig, num_classes: int) -> SFNet:
    """Builds the SFNet of a config under its precision policy.

    Call inside the strategy's scope. Applies `sync_batchnorm`,
    `backbone_weights`, `init_from` and `initial_weights`.

    Example:
    >>> model = build_training_model(TrainConfig(dataset="synthetic"), num_classes=19)  # doctest: +SKIP
    """
    with precision_policy(config.mixed_precision):
        model = SFNet(
            backbone=config.backbone,
            head=config.head,
            num_classes=num_classes,
            deep_supervision=config.deep_supervision,
            decoder_filters=config.decoder_filters,
            dilated=config.dilated,
            stem=config.stem,
            dropout=config.dropout,
            **config.decoder_options,
        )
    if config.sync_batchnorm:
        convert_to_sync_batchnorm(model)
    if config.backbone_weights:
        load_backbone_weights(model.backbone, os.fspath(config.backbone_weights))
    if config.init_from:
        load_pretrained_weights(model, os.fspath(config.init_from))
    if config.initial_weights:
        path = os.fspath(config.initial_weights)
        if path.endswith(".keras"):
            # Matched by name and shape: a different head is an error, not a copy.
            load_pretrained_weights(model, path, allow_new_heads=False)
        else:
            model.load_weights(path)
    return model


def build_optimizer(config: TrainConfig, total_steps: int) -> keras.optimizers.Optimizer:
    """SGD with coupled weight decay (or AdamW) and poly decay (loss-scaled for float16).

    Example:
    >>> opt = build_optimizer(TrainConfig(dataset="synthetic"), total_steps=1000)
    """
    optimizer = recipe_optimizer(
        config.learning_rate,
        int(total_steps),
        optimizer=config.optimizer,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
        power=config.poly_power,
        end_learning_rate=config.end_learning_rate,
        warmup_steps=config.warmup_steps,
    )
    return wrap_loss_scale(optimizer, config.mixed_precision)


def compile_for_training(
    model: keras.Model,
    config: TrainConfig,
    num_classes: int,
    total_steps: int,
    ignore_index: int = 255,
    num_replicas: int = 1,
) -> str:
    """Compiles `model` with the config's loss, optimizer and mean-IoU metric.

    Returns:
        The name of the mean-IoU entry in the logs (`"mean_iou"`, or
        `"logits_mean_iou"` with deep supervision).

    Example:
    >>> compile_for_training(model, config, num_classes=19, total_steps=1000)  # doctest: +SKIP
    'mean_iou'
    """
    loss = recipe_loss(config.loss, ignore_index, config.ohem_thresh, config.ohem_min_kept)
    jit_compile = config.jit_compile
    if jit_compile == "auto" and num_replicas > 1:
        jit_compile = False
    output_names = deep_supervision_outputs(config.backbone) if config.deep_supervision else None
    arguments = compile_arguments(
        model,
        build_optimizer(config, total_steps),
        loss,
        [recipe_metric(num_classes, ignore_index)],
        aux_weight=config.aux_weight,
        output_names=output_names,
    )
    if output_names is not None:
        arguments["metrics"] = {"logits": arguments["metrics"]}
    model.compile(**arguments, jit_compile=jit_compile)
    return "mean_iou" if output_names is None else "logits_mean_iou"


def _train_data(
    config: TrainConfig,
    data: _Data,
    strategy: tf.distribute.Strategy,
    skip_steps: int,
):
    augmentation = _augmentation(config)

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        per_replica = context.get_per_replica_batch_size(config.batch_size)
        pipelines = context.num_input_pipelines
        dataset = load_dataset(
            data.name,
            data.root,
            config.train_split,
            training=True,
            info=data.info,
            crop_size=config.crop_size,
            batch_size=per_replica,
            augmentation=augmentation,
            seed=config.seed,
            shard=(pipelines, context.input_pipeline_id) if pipelines > 1 else None,
            class_uniform=config.class_uniform,
            **data.folder_kwargs,
            **data.load_kwargs,
            **data.train_kwargs,
        )
        if skip_steps:
            # Every step takes one batch per local replica from this pipeline.
            dataset = dataset.skip(skip_steps * (context.num_replicas_in_sync // pipelines))
        if config.deep_supervision:
            dataset = dataset.map(replicate_labels(deep_supervision_outputs(config.backbone)))
        return dataset

    if strategy.num_replicas_in_sync == 1:
        return dataset_fn(tf.distribute.InputContext())
    return strategy.distribute_datasets_from_function(dataset_fn)


def _val_data(config: TrainConfig, data: _Data, num_replicas: int) -> tf.data.Dataset | None:
    if not config.val_split:
        return None
    # Whole images, one per replica: with several replicas they must share one
    # size (Cityscapes, CamVid); otherwise validate after training with
    # `keras_sfnet.evaluation.evaluate`.
    dataset = load_dataset(
        data.name,
        data.root,
        config.val_split,
        training=False,
        info=data.info,
        batch_size=num_replicas,
        **data.folder_kwargs,
        **data.load_kwargs,
    )
    if num_replicas == 1:
        # The pipeline's length is unknown to tf.data; stating it spares Keras'
        # "ran out of data" warning and gives the progress bar its length.
        # (Not with several replicas: tf.distribute may shard the dataset.)
        num_files = len(list_files(data.name, data.root, config.val_split, **data.folder_kwargs))
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(num_files))
    if config.val_steps:
        # Not `fit(validation_steps=...)`: Keras then keeps one iterator across
        # validations, and a finite dataset runs out.
        dataset = dataset.take(config.val_steps)
    if config.deep_supervision:
        dataset = dataset.map(replicate_labels(deep_supervision_outputs(config.backbone)))
    return dataset


def _folder_kwargs(config: TrainConfig, name: str) -> dict:
    if name != "folder":
        return {}
    return {
        "images_dir": config.images_dir,
        "masks_dir": config.masks_dir,
        "mask_suffix": config.mask_suffix,
    }


def validate_training_data(
    config: TrainConfig, *, check_images: bool = False, raise_errors: bool = True
) -> dict[str, dict]:
    """Checks every file of a config's training and validation splits (`validate_dataset`).

    What `train` runs before its first step when `config.validate_data` (the
    label files, and the image sizes from their headers); `sfnet-train
    --validate-only` prints its report. A merged dataset is checked member by
    member (each with its own label mapping).

    Args:
        config: a `TrainConfig`.
        check_images: bool, defaults to `False`. Decode the images too.
        raise_errors: bool, defaults to `True`. Raise one `ValueError` listing
            the problems of every split.

    Returns:
        A dict from split name (`"train"`, `"cityscapes/train"` for merged
        members) to its `validate_dataset` report.

    Example:
    >>> reports = validate_training_data(TrainConfig(dataset="folder", num_classes=3,
    ...                                              data_root="mine"))  # doctest: +SKIP
    """
    name, root, info = resolve_dataset(config)
    if "+" in name:
        members = [(f"{m}/", m, r, i) for m, r, i in merged_dataset_members(name, root)]
    else:
        members = [("", name, root, info)]
    splits = [s for s in (config.train_split, config.val_split) if s]
    reports, errors = {}, []
    for prefix, source_name, source_root, source_info in members:
        for split in splits:
            key = prefix + split
            files = list_files(
                source_name, source_root, split, **_folder_kwargs(config, source_name)
            )
            start = time.perf_counter()
            report = validate_dataset(
                files, source_info, raise_errors=False, check_images=check_images
            )
            logger.info(
                "Checked %d %s files of '%s' in %.1f s: %d with problems.",
                len(files), key, source_info.name, time.perf_counter() - start,
                len(report["problems"]),
            )  # fmt: skip
            reports[key] = report
            if report["problems"]:
                errors.append(f"[{key}] " + format_validation_report(report, source_info))
    if errors and raise_errors:
        raise ValueError(
            "\n".join(errors)
            + "\nFix these files (or pass validate_data=False / --no-validate-data to "
            "train without this check)."
        )
    return reports


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
