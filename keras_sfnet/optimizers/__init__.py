"""keras_sfnet.optimizers: the authors' optimizer and learning-rate schedule.

:class:`CoupledWeightDecaySGD` (``torch.optim.SGD`` with L2 weight decay) and
:class:`PolyDecay` (the poly schedule, with warm-up). Part of the model core:
``SFNet.compile()`` and the trainer both build them through
:mod:`keras_sfnet.models.recipe`; ``keras_sfnet.training`` re-exports them.

Example:
>>> from keras_sfnet.optimizers import CoupledWeightDecaySGD, PolyDecay
>>> optimizer = CoupledWeightDecaySGD(PolyDecay(0.01, decay_steps=1000))
"""

from keras_sfnet.optimizers.coupled_weight_decay_sgd import CoupledWeightDecaySGD
from keras_sfnet.optimizers.poly_decay import PolyDecay

__all__ = ["CoupledWeightDecaySGD", "PolyDecay"]
