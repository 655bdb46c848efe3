"""Poly learning-rate decay with optional linear warm-up."""

import keras
from keras import ops

__all__ = ["PolyDecay"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class PolyDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The "poly" schedule of SFNet (Li et al., ECCV 2020), with warm-up.

    At optimizer step `t` (clamped to `[0, decay_steps]`):

    ```python
    poly = (1 - t / decay_steps) ** power
    lr = end_learning_rate + (initial_learning_rate - end_learning_rate) * poly
    if t < warmup_steps:
        lr *= warmup_ratio + (1 - warmup_ratio) * t / warmup_steps
    ```

    With `end_learning_rate=0` this is the paper's
    `lr = base_lr * (1 - iter / max_iter) ** 0.9`; a non-zero
    `end_learning_rate` is a floor that the curve reaches at `decay_steps` and
    keeps afterwards. Warm-up (off by default; SFNet does not use it) scales
    the poly value linearly from `warmup_ratio` to 1 over the first
    `warmup_steps` steps, so the curve joins the un-warmed one at
    `warmup_steps` without a jump; `decay_steps` counts the warm-up steps.

    Note: the authors' released scripts step a per-epoch `LambdaLR` with
    `--poly_exp 1.0` (linear) and call `scheduler.step()` before each epoch,
    so epoch `e` trains at `base_lr * (1 - (e + 1) / max_epoch)` and the last
    epoch at 0. To follow the paper instead, use `decay_steps` = total
    iterations and `power=0.9`.

    Args:
        initial_learning_rate: float, learning rate at step 0 (after warm-up
            scaling).
        decay_steps: int >= 1, number of steps over which to decay.
        power: float >= 0, exponent. Defaults to `0.9`.
        end_learning_rate: float, floor reached at `decay_steps`. Defaults
            to `0.0`.
        warmup_steps: int >= 0, length of the linear warm-up. Defaults to `0`.
        warmup_ratio: float in [0, 1], learning-rate multiplier at step 0 of
            the warm-up. Defaults to `0.1`.
        name: optional name.

    Example:

    ```python
    schedule = keras_sfnet.optimizers.PolyDecay(0.01, decay_steps=50000, power=0.9)
    optimizer = keras_sfnet.optimizers.CoupledWeightDecaySGD(learning_rate=schedule)
    ```
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        power: float = 0.9,
        end_learning_rate: float = 0.0,
        warmup_steps: int = 0,
        warmup_ratio: float = 0.1,
        name: str = "poly_decay",
    ):
        super().__init__()
        if isinstance(decay_steps, bool) or not isinstance(decay_steps, int) or decay_steps < 1:
            raise ValueError(
                f"`decay_steps` must be an integer >= 1. Received: decay_steps={decay_steps!r}"
            )
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or warmup_steps < 0:
            raise ValueError(
                f"`warmup_steps` must be an integer >= 0. Received: warmup_steps={warmup_steps!r}"
            )
        if warmup_steps > decay_steps:
            raise ValueError(
                "`warmup_steps` must be <= `decay_steps`. "
                f"Received: warmup_steps={warmup_steps}, decay_steps={decay_steps}"
            )
        if float(power) < 0:
            raise ValueError(f"`power` must be >= 0. Received: power={power}")
        if not 0.0 <= float(warmup_ratio) <= 1.0:
            raise ValueError(
                f"`warmup_ratio` must be in [0, 1]. Received: warmup_ratio={warmup_ratio}"
            )
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = decay_steps
        self.power = float(power)
        self.end_learning_rate = float(end_learning_rate)
        self.warmup_steps = warmup_steps
        self.warmup_ratio = float(warmup_ratio)
        self.name = name

    def __call__(self, step):
        step = ops.cast(ops.convert_to_tensor(step), "float32")
        step = ops.clip(step, 0.0, float(self.decay_steps))
        poly = ops.power(1.0 - step / float(self.decay_steps), self.power)
        lr = self.end_learning_rate + (self.initial_learning_rate - self.end_learning_rate) * poly
        if self.warmup_steps > 0:
            progress = ops.minimum(step / float(self.warmup_steps), 1.0)
            lr = lr * (self.warmup_ratio + (1.0 - self.warmup_ratio) * progress)
        return lr

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "power": self.power,
            "end_learning_rate": self.end_learning_rate,
            "warmup_steps": self.warmup_steps,
            "warmup_ratio": self.warmup_ratio,
            "name": self.name,
        }
