"""Old home of `CoupledWeightDecaySGD`: see :mod:`keras_sfnet.optimizers`.

Kept so that `.keras` files whose config names this module keep loading.
"""

from keras_sfnet.optimizers.coupled_weight_decay_sgd import CoupledWeightDecaySGD

__all__ = ["CoupledWeightDecaySGD"]
