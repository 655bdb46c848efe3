"""The model and its compile step for a training run: one place for both trainers.

`build_training_model` builds the config's SFNet (precision policy, sync batch norm,
backbone / fine-tuning / initial weights), `build_optimizer` and
`compile_for_training` apply the authors' recipe (:mod:`keras_sfnet.models.recipe`)
with the config's settings. `train` (tf.data) and `train_with_arrays` (no
TensorFlow) both use them. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import os

import keras

from keras_sfnet.models.recipe import (
    compile_arguments,
    recipe_loss,
    recipe_metric,
    recipe_optimizer,
)
from keras_sfnet.models.sfnet import SFNet, deep_supervision_outputs
from keras_sfnet.training.precision import precision_policy, wrap_loss_scale
from keras_sfnet.training.train_config import TrainConfig
from keras_sfnet.weights.backbone_weights import load_backbone_weights
from keras_sfnet.weights.loading import load_pretrained_weights

__all__ = ["build_optimizer", "build_training_model", "compile_for_training"]


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
        from keras_sfnet.training.sync_batchnorm import convert_to_sync_batchnorm

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
