"""Old home of `PolyDecay`: see :mod:`keras_sfnet.optimizers`.

Kept so that `.keras` files whose config names this module keep loading.
"""

from keras_sfnet.optimizers.poly_decay import PolyDecay

__all__ = ["PolyDecay"]
