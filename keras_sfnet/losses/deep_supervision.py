"""Helpers to train a multi-output SFNet with deep supervision."""

from collections.abc import Callable, Sequence

import keras

from keras_sfnet.names import DEEP_SUPERVISION_OUTPUTS  # noqa: F401 (re-exported)


def deep_supervision_losses(
    loss: keras.losses.Loss,
    aux_weight: float = 1.0,
    output_names: Sequence[str] = DEEP_SUPERVISION_OUTPUTS,
    main_output: str = "logits",
) -> tuple[dict, dict]:
    """Returns the `loss=` and `loss_weights=` dicts for `model.compile`.

    The authors' deep-supervision criterion (`CriterionSFNet`) upsamples the
    main and every auxiliary output to label size (bilinear, align corners),
    applies the same OHEM criterion to each one separately, and sums them with
    weight 1.0 on the main output and `aux_weight` (1.0) on each auxiliary one.
    Our losses resize to label size themselves, so the same loss object is
    used for every output.

    The model's output is a dict, so Keras needs the label as a dict with the
    same keys: map the dataset with `replicate_labels(output_names)`, i.e.
    `dataset.map(lambda x, y: (x, {k: y for k in output_names}))`.

    Args:
        loss: a loss taking `(labels, logits)`, e.g. `OHEMCrossEntropy()`.
        aux_weight: float, weight of each auxiliary loss. Defaults to `1.0`.
        output_names: names of the model's outputs. Defaults to
            `("logits", "aux_p4", "aux_p3", "aux_p2")`.
        main_output: the output weighted 1.0. Defaults to `"logits"`.

    Returns:
        `(losses, loss_weights)`: two dicts keyed by output name.

    Example:

    ```python
    losses, weights = keras_sfnet.losses.deep_supervision_losses(
        keras_sfnet.losses.OHEMCrossEntropy(), aux_weight=1.0
    )
    model.compile(optimizer=optimizer, loss=losses, loss_weights=weights)
    model.fit(train_ds.map(keras_sfnet.losses.replicate_labels()), epochs=1)
    ```
    """
    output_names = tuple(output_names)
    if not output_names:
        raise ValueError(f"`output_names` must not be empty. Received: output_names={output_names}")
    if len(set(output_names)) != len(output_names):
        raise ValueError(f"`output_names` must be unique. Received: output_names={output_names}")
    if main_output not in output_names:
        raise ValueError(
            f"`main_output` must be one of {list(output_names)}. "
            f"Received: main_output={main_output!r}"
        )
    if float(aux_weight) < 0:
        raise ValueError(f"`aux_weight` must be >= 0. Received: aux_weight={aux_weight}")
    losses = {name: loss for name in output_names}
    weights = {name: 1.0 if name == main_output else float(aux_weight) for name in output_names}
    return losses, weights


def labels_for_outputs(y, output_names: Sequence[str]) -> dict:
    """The one label given to every output: ``{name: y for name in output_names}``.

    The deep-supervision label replication, written once: `SFNet.compute_loss`
    (through `keras_sfnet.models.recipe.replicate_for_outputs`) and
    :func:`replicate_labels` (for `tf.data`) both use it.

    Example:
    >>> labels_for_outputs(3, ("logits", "aux_p4"))
    {'logits': 3, 'aux_p4': 3}
    """
    return {name: y for name in output_names}


def replicate_labels(
    output_names: Sequence[str] = DEEP_SUPERVISION_OUTPUTS,
) -> Callable:
    """Returns a `tf.data` map function copying the label to every output.

    Args:
        output_names: names of the model's outputs. Defaults to
            `("logits", "aux_p4", "aux_p3", "aux_p2")`.

    Returns:
        A function `(x, y) -> (x, {name: y for name in output_names})`; with a
        third `sample_weight` element it is passed through unchanged.

    Example:

    ```python
    train_ds = train_ds.map(keras_sfnet.losses.replicate_labels())
    ```
    """
    output_names = tuple(output_names)

    def _map(x, y, *rest):
        return (x, labels_for_outputs(y, output_names), *rest)

    return _map
