"""SGD with PyTorch-style (coupled, L2) weight decay, as SFNet is trained."""

import re
from collections.abc import Sequence

import keras
from keras import ops

__all__ = ["CoupledWeightDecaySGD"]


@keras.saving.register_keras_serializable(package="keras_sfnet")
class CoupledWeightDecaySGD(keras.optimizers.SGD):
    """SGD with momentum and L2 weight decay exactly as `torch.optim.SGD`.

    The SFNet authors (Li et al., ECCV 2020) train with
    `torch.optim.SGD(params, lr, momentum=0.9, weight_decay=5e-4)` (paper; the
    released scripts leave `--weight_decay` at its default of 1e-4), applied
    to every parameter, batch-norm scales/offsets and biases included. Per
    step, for each variable `w` with gradient `g`:

    ```python
    g = g + weight_decay * w          # coupled L2, before momentum
    buf = momentum * buf + g          # buf starts at 0, so buf_1 = g_1
    step = g + momentum * buf if nesterov else buf
    w = w - learning_rate * step
    ```

    How this differs from Keras:

    - Keras' `weight_decay=` argument is *decoupled*: `w -= lr * wd * w` is
      applied to the weights directly and never enters the momentum buffer.
      Here the decay is added to the gradient and accumulates in the momentum,
      as in PyTorch; Keras' decoupled decay is always disabled.
    - `keras.optimizers.SGD` keeps `velocity = momentum * velocity - lr * g`
      and adds it to `w`, i.e. the learning rate is folded into the buffer.
      That equals PyTorch only while the learning rate is constant; with a
      poly schedule the two drift apart. This class keeps PyTorch's
      learning-rate-free buffer, so its momentum slots hold `buf`, not
      Keras' velocity.

    Gradient clipping, loss scaling (`keras.optimizers.LossScaleOptimizer`),
    EMA and gradient accumulation of the base optimizer still apply: clipping
    happens before the decay is added, as with `clip_grad_norm_` in PyTorch.

    Args:
        learning_rate: float or `keras.optimizers.schedules.LearningRateSchedule`.
            Defaults to `0.01`.
        momentum: float in [0, 1]. Defaults to `0.9`.
        weight_decay: float >= 0, L2 coefficient added to the gradient.
            Defaults to `5e-4` (paper).
        nesterov: bool, PyTorch-style Nesterov momentum. Defaults to `False`.
        weight_decay_exclude: optional sequence of regular expressions; a
            variable whose `path` (e.g. `"stem_bn/gamma"`) matches any of them
            (`re.search`) gets no decay. Defaults to `None`: decay everything,
            as the authors do. E.g. `("gamma", "beta", "bias")` excludes
            batch-norm parameters and biases.
        **kwargs: other `keras.optimizers.Optimizer` arguments (`clipnorm`,
            `global_clipnorm`, `use_ema`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`, ...).

    Example:

    ```python
    schedule = keras_sfnet.optimizers.PolyDecay(0.01, decay_steps=50000, power=0.9)
    optimizer = keras_sfnet.optimizers.CoupledWeightDecaySGD(
        learning_rate=schedule, momentum=0.9, weight_decay=5e-4
    )
    model.compile(optimizer=optimizer, loss=keras_sfnet.losses.OHEMCrossEntropy())
    ```
    """

    def __init__(
        self,
        learning_rate=0.01,
        momentum: float = 0.9,
        weight_decay: float = 5e-4,
        nesterov: bool = False,
        weight_decay_exclude: Sequence[str] | None = None,
        name: str = "coupled_weight_decay_sgd",
        **kwargs,
    ):
        # Keras' own (decoupled) weight decay must stay off.
        kwargs.pop("weight_decay", None)
        super().__init__(
            learning_rate=learning_rate,
            momentum=float(momentum),
            nesterov=nesterov,
            weight_decay=None,
            name=name,
            **kwargs,
        )
        if weight_decay is None:
            weight_decay = 0.0
        if float(weight_decay) < 0:
            raise ValueError(f"`weight_decay` must be >= 0. Received: weight_decay={weight_decay}")
        if nesterov and float(momentum) == 0:
            raise ValueError(
                f"`nesterov=True` requires `momentum` > 0. Received: momentum={momentum}"
            )
        if isinstance(weight_decay_exclude, str):
            weight_decay_exclude = (weight_decay_exclude,)
        self.coupled_weight_decay = float(weight_decay)
        self.weight_decay_exclude = tuple(weight_decay_exclude) if weight_decay_exclude else None
        self._exclude_regexes = [re.compile(p) for p in self.weight_decay_exclude or ()]
        self._excluded_paths = set()

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables (or name patterns) from the coupled weight decay.

        Same contract as `keras.optimizers.Optimizer.exclude_from_weight_decay`
        (must be called before the optimizer is built), applied to this
        class' coupled decay; calls add to `weight_decay_exclude`.

        Args:
            var_list: list of variables to exclude.
            var_names: list of regular expressions matched (`re.search`)
                against variable paths.
        """
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before "
                "the optimizer is built."
            )
        for variable in var_list or ():
            self._excluded_paths.add(variable.path)
        for pattern in var_names or ():
            self._exclude_regexes.append(re.compile(pattern))

    def uses_weight_decay(self, variable) -> bool:
        """Whether the Keras `variable` receives the coupled weight decay."""
        if self.coupled_weight_decay == 0.0:
            return False
        path = variable.path
        if path in self._excluded_paths:
            return False
        return not any(regex.search(path) for regex in self._exclude_regexes)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        # Decided once on the Keras variables: on TensorFlow `update_step`
        # receives the backing `tf.Variable`, which has no Keras `path`.
        self._decay_flags = tuple(self.uses_weight_decay(v) for v in variables)

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        if self._decay_flags[index]:
            decay = ops.cast(self.coupled_weight_decay, variable.dtype)
            gradient = ops.add(gradient, ops.multiply(variable, decay))
        if self.momentum == 0:
            self.assign_sub(variable, ops.multiply(gradient, learning_rate))
            return
        buf = self.momentums[index]
        momentum = ops.cast(self.momentum, variable.dtype)
        new_buf = ops.add(ops.multiply(buf, momentum), gradient)
        self.assign(buf, new_buf)
        if self.nesterov:
            step = ops.add(gradient, ops.multiply(new_buf, momentum))
        else:
            step = new_buf
        self.assign_sub(variable, ops.multiply(step, learning_rate))

    def get_config(self):
        config = super().get_config()
        config["weight_decay"] = self.coupled_weight_decay
        config["weight_decay_exclude"] = (
            list(self.weight_decay_exclude) if self.weight_decay_exclude else None
        )
        return config
