"""`StepLimit`: stops `fit` after an exact number of training batches."""

from __future__ import annotations

import keras

__all__ = ["StepLimit"]


class StepLimit(keras.callbacks.Callback):
    """Stops `fit` once `stop_step` training batches are done in all.

    `fit` counts in epochs of `steps_per_epoch`; this callback lets a run end
    (or pause at an epoch boundary after a mid-epoch resume) at an exact step.
    The epoch in progress still ends normally (validation, epoch-end
    callbacks).

    Args:
        stop_step: int, step at which to stop.
        initial_step: int, steps done before this `fit` call. Defaults to 0.

    Example:
    >>> model.fit(ds, epochs=10, steps_per_epoch=100,
    ...           callbacks=[StepLimit(stop_step=950)])  # doctest: +SKIP
    """

    def __init__(self, stop_step: int, initial_step: int = 0):
        super().__init__()
        self.stop_step = int(stop_step)
        self.step = int(initial_step)

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step >= self.stop_step:
            self.model.stop_training = True
