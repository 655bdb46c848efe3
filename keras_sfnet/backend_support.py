"""Which parts need TensorFlow, and one clear error when it is missing or not the backend.

The model core (layers, backbones, `SFNet`, losses, metrics, `Segmenter`, checkpoint
conversion, `.keras` files and presets) runs on every Keras backend. The parts that are
TensorFlow by nature (``tf.data`` pipelines, the exporters, the fused kernel,
``tf.distribute``) call :func:`require_tensorflow` first.
"""

from __future__ import annotations

import importlib.util

import keras

__all__ = ["TensorFlowRequiredError", "require_tensorflow", "tensorflow_installed"]


class TensorFlowRequiredError(ImportError):
    """A TensorFlow-only feature was used without TensorFlow or on another backend."""


def tensorflow_installed() -> bool:
    """Whether TensorFlow can be imported here (without importing it).

    Example:
    >>> tensorflow_installed() in (True, False)
    True
    """
    return importlib.util.find_spec("tensorflow") is not None


def require_tensorflow(feature: str, *, backend: bool = False) -> None:
    """Raises :class:`TensorFlowRequiredError` unless ``feature`` can run here.

    Args:
        feature: what the user asked for, e.g. ``"TFLite export"``.
        backend: also require Keras to run on the TensorFlow backend (exporters,
            ``tf.distribute``); False where TensorFlow only has to be installed
            (``tf.data`` pipelines feed every backend).

    Example:
    >>> require_tensorflow("export", backend=True)  # doctest: +SKIP
    """
    if not tensorflow_installed():
        raise TensorFlowRequiredError(
            f"{feature} needs TensorFlow, which is not installed here (Keras backend: "
            f"{keras.config.backend()}): pip install 'keras_sfnet[tensorflow]'. The model, "
            "Segmenter, checkpoint conversion and .keras files work without it."
        )
    if backend and keras.config.backend() != "tensorflow":
        raise TensorFlowRequiredError(
            f"{feature} runs on the TensorFlow backend; this process runs Keras on "
            f"{keras.config.backend()}. Run it in a new process with "
            "KERAS_BACKEND=tensorflow (tools: --backend tensorflow): a .keras file saved "
            "on any backend loads there."
        )
