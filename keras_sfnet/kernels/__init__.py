"""keras_sfnet.kernels: the optional fused flow-warp TensorFlow op.

The first TensorFlow-backend :func:`keras_sfnet.ops.flow_warp` (or an explicit
:func:`load`) loads ``_flow_warp_op.so`` from this folder when it has been built
(``python tools/build_kernels.py`` or ``python -m keras_sfnet.kernels.build``) and
registers it with :func:`keras_sfnet.ops.register_fused_flow_warp`, so that warps run
the fused kernel (one pass instead of four gathers); ``import keras_sfnet`` loads
nothing. Without the library, or when it fails to load, the pure-TF warp is used:
results are the same either way and the choice is logged (INFO). Set
``KERAS_SFNET_KERNELS=0`` to never load it automatically. It is a TensorFlow op: on
JAX and PyTorch the gather warp runs and this package is never imported. Graphs compiled with XLA
(``jit_compile=True``) and exports (``implementation_scope(warp="gather")``) always use
the pure-TF warp.

Example:
>>> import keras_sfnet.kernels as kernels
>>> kernels.is_loaded() in (True, False)
True
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import tensorflow as tf

from keras_sfnet.kernels.locations import default_library_path
from keras_sfnet.ops_impl import fused_kernel
from keras_sfnet.ops_impl.tf_ops import flow_warp_gather

__all__ = ["fused_flow_warp", "is_loaded", "library_path", "load", "load_on_first_use", "unload"]

logger = logging.getLogger(__name__)

_library = None
_library_path: Path | None = None
_gradient_registered = False
_first_use_done = False


def _in_xla_context() -> bool:
    # tf.function(jit_compile=True) traces inside an XLA control-flow context; the
    # custom op has no XLA kernel, so such graphs keep the pure-TF warp.
    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # pragma: no cover - layout of TF internals changed
        return False
    graph = tf.compat.v1.get_default_graph()
    return bool(control_flow_util.GraphOrParentsInXlaContext(graph))


def fused_flow_warp(features: tf.Tensor, flow: tf.Tensor) -> tf.Tensor:
    """:func:`keras_sfnet.ops.flow_warp` computed by the fused op (same math).

    Falls back to :func:`keras_sfnet.ops.flow_warp_gather` when the op is not loaded
    or inside an XLA-compiled function.

    Args:
        features: ``(B, H_in, W_in, C)`` float tensor (half, bfloat16, float, double).
        flow: ``(B, h, w, 2)`` displacement in pixels of the output grid (any float
            dtype; the coordinates are computed in float32).

    Returns:
        ``(B, h, w, C)`` tensor of the features' dtype.

    Example:
    >>> y = fused_flow_warp(tf.ones([1, 4, 4, 2]), tf.zeros([1, 8, 8, 2]))
    >>> tuple(y.shape)
    (1, 8, 8, 2)
    """
    if _library is None or _in_xla_context():
        return flow_warp_gather(features, flow)
    features = tf.convert_to_tensor(features)
    flow = tf.cast(flow, tf.float32)
    return _library.sfnet_flow_warp(features, flow)


def _register_gradient() -> None:
    global _gradient_registered
    if _gradient_registered:
        return

    @tf.RegisterGradient("SfnetFlowWarp")
    def _flow_warp_grad(op, grad):
        grad_features, grad_flow = _library.sfnet_flow_warp_grad(grad, op.inputs[0], op.inputs[1])
        return grad_features, grad_flow

    _gradient_registered = True


def load(path: str | os.PathLike | None = None, register: bool = True) -> bool:
    """Loads the compiled op and (by default) makes ``flow_warp`` use it.

    A process loads one library: once one is loaded, later calls keep it.

    Args:
        path: the shared library. Defaults to ``_flow_warp_op.so`` in this folder.
        register: bool, register it with
            :func:`keras_sfnet.ops.register_fused_flow_warp`. Defaults to True.

    Returns:
        True when the op is loaded (now or before), False when the file is missing or
        fails to load (logged).

    Example:
    >>> load("/nonexistent/_flow_warp_op.so")
    False
    """
    global _library, _library_path
    target = Path(path) if path is not None else default_library_path()
    if _library is None:
        if not target.is_file():
            logger.info("flow warp: pure-TF gathers (no fused kernel at %s)", target)
            return False
        try:
            library = tf.load_op_library(str(target))
        except (tf.errors.NotFoundError, tf.errors.OpError, OSError) as error:
            logger.warning("flow warp: pure-TF gathers (fused kernel failed to load: %s)", error)
            return False
        _library, _library_path = library, target
        _register_gradient()
        logger.info("flow warp: fused kernel %s", target)
    elif target.resolve() != _library_path.resolve():
        logger.info("flow warp: keeping the already loaded kernel %s", _library_path)
    if register:
        fused_kernel.register(fused_flow_warp)
    return True


def unload() -> None:
    """Makes ``flow_warp`` use the pure-TF gathers again (the library stays loaded).

    Example:
    >>> unload()
    """
    global _first_use_done
    _first_use_done = True
    fused_kernel.register(None)


def is_loaded() -> bool:
    """Whether the compiled op is loaded in this process.

    Example:
    >>> is_loaded() in (True, False)
    True
    """
    return _library is not None


def library_path() -> Path | None:
    """Path of the loaded library, or None.

    Example:
    >>> library_path() is None or library_path().is_file()
    True
    """
    return _library_path


def load_on_first_use() -> bool:
    """Loads the default kernel once per process, unless ``KERAS_SFNET_KERNELS=0``.

    Called by :func:`keras_sfnet.ops.flow_warp` on its first TensorFlow warp; later
    calls (and a process where :func:`unload` was called) do nothing.

    Returns:
        Whether the op is loaded.

    Example:
    >>> load_on_first_use() in (True, False)
    True
    """
    global _first_use_done
    if _first_use_done:
        return is_loaded()
    _first_use_done = True
    if os.environ.get("KERAS_SFNET_KERNELS", "1").lower() in ("0", "false", "no", "off"):
        logger.info("flow warp: pure-TF gathers (KERAS_SFNET_KERNELS=0)")
        return False
    return load()
