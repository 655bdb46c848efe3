"""The defaults of ``SFNet.compile()``: the authors' loss, optimizer and metric."""

from __future__ import annotations

__all__ = [
    "DEFAULT_DECAY_STEPS",
    "LOSS_NAMES",
    "default_compile_arguments",
    "replicate_for_outputs",
]

from keras_sfnet.names import LOSSES as LOSS_NAMES  # noqa: F401 (re-exported)

# The paper's Cityscapes schedule length (50K iterations).
DEFAULT_DECAY_STEPS = 50000


def _loss(loss, ignore_index: int):
    from keras_sfnet.losses import OHEMCrossEntropy, SegmentationCrossEntropy

    if isinstance(loss, str):
        key = loss.lower().replace("-", "_")
        if key in ("auto", "cross_entropy"):
            return SegmentationCrossEntropy(ignore_index=ignore_index)
        if key == "ohem":
            return OHEMCrossEntropy(ignore_index=ignore_index)
    return loss


def default_compile_arguments(
    model,
    optimizer="auto",
    loss="auto",
    metrics="auto",
    *,
    ignore_index: int = 255,
    learning_rate: float = 0.01,
    decay_steps: int = DEFAULT_DECAY_STEPS,
    aux_weight: float = 1.0,
    loss_weights=None,
) -> dict:
    """``optimizer``, ``loss``, ``loss_weights`` and ``metrics`` for ``model.compile``.

    ``"auto"`` gives the authors' recipe: SGD (momentum 0.9, coupled weight decay
    5e-4, :class:`~keras_sfnet.training.CoupledWeightDecaySGD`) with poly decay
    (power 0.9, :class:`~keras_sfnet.training.PolyDecay`) from ``learning_rate`` to 0
    over ``decay_steps``; cross-entropy ignoring ``ignore_index`` (``loss="ohem"``:
    the authors' OHEM, 0.7 / 100000); :class:`~keras_sfnet.metrics.MeanIoU`. With
    deep supervision (dict outputs) a single loss applies to every output, weighted 1.0
    on ``"logits"`` and ``aux_weight`` (1.0, as the authors) on each auxiliary output,
    and the metric to ``"logits"``. Explicit arguments pass through unchanged.

    Example:
    >>> args = default_compile_arguments(SFNet(num_classes=4, decoder_filters=16))
    >>> sorted(args)
    ['loss', 'loss_weights', 'metrics', 'optimizer']
    """
    from keras_sfnet.losses import deep_supervision_losses
    from keras_sfnet.metrics import MeanIoU
    from keras_sfnet.training.optimizers import CoupledWeightDecaySGD
    from keras_sfnet.training.schedules import PolyDecay

    if isinstance(optimizer, str) and optimizer == "auto":
        schedule = PolyDecay(learning_rate, decay_steps=int(decay_steps), power=0.9)
        optimizer = CoupledWeightDecaySGD(learning_rate=schedule, momentum=0.9, weight_decay=5e-4)
    loss = _loss(loss, ignore_index)  # other names ("mse", ...) go to Keras unchanged
    multi_output = isinstance(model.output, dict)
    if multi_output and loss is not None and not isinstance(loss, dict):
        names = tuple(model.output.keys())
        loss, weights = deep_supervision_losses(loss, aux_weight=aux_weight, output_names=names)
        loss_weights = weights if loss_weights is None else loss_weights
    if isinstance(metrics, str) and metrics == "auto":
        num_classes = getattr(model, "num_classes", None) or int(
            (model.output["logits"] if multi_output else model.output).shape[-1]
        )
        metric = MeanIoU(num_classes, ignore_index=ignore_index, name="mean_iou")
        metrics = {"logits": [metric]} if multi_output else [metric]
    return {
        "optimizer": optimizer,
        "loss": loss,
        "loss_weights": loss_weights,
        "metrics": metrics,
    }


def replicate_for_outputs(y, y_pred):
    """One label for every output of a dict-output model (deep supervision)."""
    if isinstance(y_pred, dict) and y is not None and not isinstance(y, dict):
        return {name: y for name in y_pred}
    return y
