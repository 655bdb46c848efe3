"""`TrainingLogs`: adds the step and learning rate to the epoch logs."""

from __future__ import annotations

import math

import keras

__all__ = ["TrainingLogs"]


class TrainingLogs(keras.callbacks.Callback):
    """Adds `step` and `learning_rate` to each epoch's logs, keeps columns stable.

    `step` is the number of training batches done at the epoch's end and
    `learning_rate` the rate that its last batch used (not the schedule's next
    value, which is 0 after the last step of a poly schedule).

    Place it before `CSVLogger`/`TensorBoard` in the callback list: it edits the
    logs dict that they receive. Epochs without validation get NaN for the
    `val_*` entries, so a CSV file keeps the same columns whatever
    `validation_freq` is.

    Args:
        initial_step: int, training batches done before this `fit` call.
        with_validation: bool, whether `val_*` entries are expected.

    Example:
    >>> model.fit(ds, epochs=2, callbacks=[TrainingLogs(), keras.callbacks.CSVLogger("log.csv")])  # doctest: +SKIP
    """

    def __init__(self, initial_step: int = 0, with_validation: bool = False):
        super().__init__()
        self.step = int(initial_step)
        self.with_validation = with_validation
        self.learning_rate = math.nan

    def on_train_batch_begin(self, batch, logs=None):
        # The rate this step uses (the schedule at the current iteration).
        self.learning_rate = float(
            keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        )

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs["step"] = self.step
        logs["learning_rate"] = self.learning_rate
        if self.with_validation:
            for key in [
                k for k in logs if not k.startswith("val_") and k not in ("step", "learning_rate")
            ]:
                logs.setdefault(f"val_{key}", math.nan)
