"""The authors' training recipe, written once: loss, optimizer, schedule, metric.

SFNet (Li et al., ECCV 2020) trains with SGD (momentum 0.9, coupled L2 weight decay
5e-4), a poly schedule (power 0.9) from 0.01 to 0, pixel cross-entropy ignoring label
255 (or the authors' OHEM cross-entropy, 0.7 / 100000) and reports mean IoU. With
deep supervision one loss applies to every output, weighted 1.0 on ``"logits"`` and
``aux_weight`` on each auxiliary output, and the label is given to every output.
``SFNet.compile()`` defaults and the trainer's ``build_optimizer`` /
``compile_for_training`` are both built from these functions.

Example:
>>> from keras_sfnet.models.recipe import recipe_optimizer
>>> optimizer = recipe_optimizer(learning_rate=0.01, decay_steps=1000)
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from keras_sfnet.losses import (
    OHEMCrossEntropy,
    SegmentationCrossEntropy,
    deep_supervision_losses,
    labels_for_outputs,
)
from keras_sfnet.metrics import MeanIoU
from keras_sfnet.optimizers import CoupledWeightDecaySGD, PolyDecay

__all__ = [
    "DEFAULT_DECAY_STEPS",
    "compile_arguments",
    "recipe_loss",
    "recipe_metric",
    "recipe_optimizer",
    "replicate_for_outputs",
]

# The paper's Cityscapes schedule length (50K iterations).
DEFAULT_DECAY_STEPS = 50000


def recipe_loss(
    loss="cross_entropy",
    ignore_index: int = 255,
    ohem_thresh: float = 0.7,
    ohem_min_kept: int = 100000,
):
    """The loss a name gives: ``"auto"`` / ``"cross_entropy"`` or ``"ohem"``.

    Any other value (a Keras loss, another name such as ``"mse"``, a dict per output)
    is returned unchanged.

    Example:
    >>> recipe_loss("ohem").name
    'ohem_cross_entropy'
    """
    if isinstance(loss, str):
        key = loss.lower().replace("-", "_")
        if key in ("auto", "cross_entropy"):
            return SegmentationCrossEntropy(ignore_index=ignore_index)
        if key == "ohem":
            return OHEMCrossEntropy(
                thresh=ohem_thresh, min_kept=ohem_min_kept, ignore_index=ignore_index
            )
    return loss


def recipe_optimizer(
    learning_rate: float = 0.01,
    decay_steps: int = DEFAULT_DECAY_STEPS,
    *,
    optimizer: str = "sgd",
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
    power: float = 0.9,
    end_learning_rate: float = 0.0,
    warmup_steps: int = 0,
) -> keras.optimizers.Optimizer:
    """SGD with coupled weight decay (or AdamW) on a poly schedule.

    Args:
        learning_rate: float, the initial learning rate. Defaults to 0.01.
        decay_steps: int, steps from ``learning_rate`` to ``end_learning_rate``.
        optimizer: ``"sgd"`` (the authors') or ``"adamw"``. Defaults to ``"sgd"``.
        momentum: float, SGD momentum. Defaults to 0.9.
        weight_decay: float, coupled L2 for SGD (decoupled for AdamW). Defaults to 5e-4.
        power: float, the poly power. Defaults to 0.9.
        end_learning_rate: float. Defaults to 0.0.
        warmup_steps: int, linear warm-up steps (at most ``decay_steps``). Defaults to 0.

    Example:
    >>> type(recipe_optimizer(decay_steps=100)).__name__
    'CoupledWeightDecaySGD'
    """
    schedule = PolyDecay(
        learning_rate,
        decay_steps=int(decay_steps),
        power=power,
        end_learning_rate=end_learning_rate,
        warmup_steps=min(int(warmup_steps), int(decay_steps)),
    )
    if optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=weight_decay)
    return CoupledWeightDecaySGD(
        learning_rate=schedule, momentum=momentum, weight_decay=weight_decay
    )


def recipe_metric(num_classes: int, ignore_index: int = 255) -> MeanIoU:
    """The mean-IoU metric, named ``"mean_iou"``.

    Example:
    >>> recipe_metric(19).name
    'mean_iou'
    """
    return MeanIoU(num_classes, ignore_index=ignore_index, name="mean_iou")


def compile_arguments(
    model: keras.Model,
    optimizer="auto",
    loss="auto",
    metrics="auto",
    *,
    ignore_index: int = 255,
    learning_rate: float = 0.01,
    decay_steps: int = DEFAULT_DECAY_STEPS,
    aux_weight: float = 1.0,
    loss_weights=None,
    output_names: Sequence[str] | None = None,
    **compile_kwargs,
) -> dict:
    """``optimizer``, ``loss``, ``loss_weights`` and ``metrics`` for ``model.compile``.

    ``"auto"`` gives the authors' recipe (:func:`recipe_optimizer`,
    :func:`recipe_loss`, :func:`recipe_metric`); a loss name (``"ohem"``) is resolved
    by :func:`recipe_loss`; explicit objects pass through unchanged. With dict
    outputs (deep supervision) a single loss applies to every output (weights 1.0
    and ``aux_weight``) and the metric to ``"logits"``.

    Args:
        model: the model to compile (its outputs and ``num_classes`` are read).
        optimizer, loss, metrics: ``"auto"`` or Keras objects.
        ignore_index: int, the label of unlabelled pixels. Defaults to 255.
        learning_rate: float, of the ``"auto"`` optimizer. Defaults to 0.01.
        decay_steps: int, of the ``"auto"`` optimizer. Defaults to 50000.
        aux_weight: float, each auxiliary loss's weight. Defaults to 1.0.
        loss_weights: Keras' ``loss_weights``; None for the defaults above.
        output_names: the model's output names, or None to read them off ``model``.
        **compile_kwargs: other ``keras.Model.compile`` arguments (``jit_compile``,
            ...), returned unchanged with the four above.

    Example:
    >>> args = compile_arguments(SFNet(num_classes=4, decoder_filters=16))
    >>> sorted(args)
    ['loss', 'loss_weights', 'metrics', 'optimizer']
    """
    if isinstance(optimizer, str) and optimizer == "auto":
        optimizer = recipe_optimizer(learning_rate, decay_steps)
    loss = recipe_loss(loss, ignore_index)
    if output_names is None and isinstance(model.output, dict):
        output_names = tuple(model.output.keys())
    multi_output = output_names is not None
    if multi_output and loss is not None and not isinstance(loss, dict):
        loss, weights = deep_supervision_losses(
            loss, aux_weight=aux_weight, output_names=tuple(output_names)
        )
        loss_weights = weights if loss_weights is None else loss_weights
    if isinstance(metrics, str) and metrics == "auto":
        num_classes = getattr(model, "num_classes", None) or int(
            (model.output["logits"] if multi_output else model.output).shape[-1]
        )
        metric = recipe_metric(num_classes, ignore_index)
        metrics = {"logits": [metric]} if multi_output else [metric]
    return {
        "optimizer": optimizer,
        "loss": loss,
        "loss_weights": loss_weights,
        "metrics": metrics,
        **compile_kwargs,
    }


def replicate_for_outputs(y, y_pred):
    """One label for every output of a dict-output model (deep supervision).

    Example:
    >>> sorted(replicate_for_outputs(1, {"logits": 0, "aux_p4": 0}))
    ['aux_p4', 'logits']
    """
    if isinstance(y_pred, dict) and y is not None and not isinstance(y, dict):
        return labels_for_outputs(y, tuple(y_pred))
    return y
