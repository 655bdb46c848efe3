"""Exactness primitives of SFNet: align-corners resize, flow warp, adaptive pooling.

These three operations decide whether the port reproduces the authors' network to
float32 rounding. This module is their one public home and dispatcher:

- on the TensorFlow backend (and for TensorFlow tensors, e.g. inside ``tf.data``) they
  run as plain TensorFlow ops that convert to TFLite builtins and to ONNX (no
  tensorflow-addons, no Flex ops), on dynamic batch/height/width
  (:mod:`keras_sfnet.ops_impl.tf_ops`), plus the optional fused warp kernel;
- on JAX and PyTorch they run as ``keras.ops`` with the same math
  (:mod:`keras_sfnet.ops_impl.keras_ops`); importing this module needs no TensorFlow.

All are differentiable. Conventions (NHWC throughout):
- align-corners sampling: output pixel ``i`` of ``n_out`` reads input position
  ``i * (n_in - 1) / (n_out - 1)`` (0 when ``n_out == 1``).
- flow channel 0 is the x (width) displacement, channel 1 the y (height) one.
"""

from __future__ import annotations

import contextlib
import contextvars

import keras

from keras_sfnet.ops_impl import fused_kernel

__all__ = [
    "implementation_scope",
    "conv_implementation",
    "get_fused_flow_warp",
    "register_fused_flow_warp",
    "spatial_size",
    "resize_align_corners",
    "resize_align_corners_matmul",
    "align_corners_matrix",
    "flow_warp",
    "flow_warp_gather",
    "adaptive_avg_pool",
    "adaptive_pool_matrix",
    "uses_tensorflow",
]


RESIZE_IMPLEMENTATIONS = ("op", "matmul")
WARP_IMPLEMENTATIONS = ("auto", "gather", "fused")
CONV_IMPLEMENTATIONS = ("auto", "plain", "split")
#: The implementation choices of the current thread / task (never shared: every new
#: thread starts from the defaults).
_choices: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "keras_sfnet_implementations", default=None
)


def uses_tensorflow(x=None) -> bool:
    """True when the primitives run as TensorFlow ops for ``x``.

    That is on the TensorFlow backend, or for a TensorFlow tensor on any backend (the
    ``tf.data`` preprocessing of a JAX or PyTorch run).

    Example:
    >>> uses_tensorflow() == (keras.config.backend() == "tensorflow")
    True
    """
    if keras.config.backend() == "tensorflow":
        return True
    return x is not None and type(x).__module__.startswith("tensorflow")


def _impl(x=None):
    if uses_tensorflow(x):
        from keras_sfnet.ops_impl import tf_ops

        return tf_ops
    from keras_sfnet.ops_impl import keras_ops

    return keras_ops


def _check_warp(warp) -> None:
    if warp is not None and not callable(warp) and warp not in WARP_IMPLEMENTATIONS:
        raise ValueError(
            f"`warp` must be one of {list(WARP_IMPLEMENTATIONS)} or a callable "
            f"`(features, flow) -> warped`. Received: warp={warp!r}"
        )


@contextlib.contextmanager
def implementation_scope(resize: str | None = None, warp=None, conv: str | None = None):
    """Chooses how the primitives are written into graphs traced inside the scope.

    Exporters use it: ``resize="matmul"`` writes align-corners resizes as two matrix
    products (for converters that mis-handle ``ResizeBilinear``), ``warp="gather"``
    keeps the pure-TF warp even when the fused kernel is loaded, and ``warp=fn`` writes
    every warp as ``fn(features, flow)`` (e.g. the ONNX exporter's GridSample marker).
    ``conv="plain"`` keeps every convolution one op (exporters), ``conv="split"`` splits
    wide inference convolutions over input channels (`SplitInputConv2D`, faster with
    TensorFlow's oneDNN on CPU). Outside any scope the defaults are ``resize="op"``,
    ``warp="auto"`` (fused kernel if loaded, else gathers) and ``conv="auto"`` (split
    when no GPU is visible). The choice is read when a graph is traced, so trace inside
    the scope. The scope is a `contextvars` context: it covers the current thread (or
    asyncio task) only, so a trace running in another thread at the same time keeps its
    own choice. Scopes nest; the innermost choice wins. On JAX and PyTorch the resize
    choice is honoured and the warp is always the gather warp (or the callable).

    Args:
        resize: None (keep), ``"op"`` or ``"matmul"``.
        warp: None (keep), ``"auto"``, ``"gather"``, ``"fused"`` or a callable
            ``(features, flow) -> warped`` computing :func:`flow_warp`'s math.
        conv: None (keep), ``"auto"``, ``"plain"`` or ``"split"``.

    Example:
    >>> with implementation_scope(resize="matmul", warp="gather"):
    ...     y = resize_align_corners(keras.ops.zeros([1, 4, 4, 1]), (7, 7))
    """
    if resize is not None and resize not in RESIZE_IMPLEMENTATIONS:
        raise ValueError(
            f"`resize` must be one of {list(RESIZE_IMPLEMENTATIONS)}. Received: resize={resize!r}"
        )
    _check_warp(warp)
    if conv is not None and conv not in CONV_IMPLEMENTATIONS:
        raise ValueError(
            f"`conv` must be one of {list(CONV_IMPLEMENTATIONS)}. Received: conv={conv!r}"
        )
    current = dict(_choices.get() or {})
    if resize is not None:
        current["resize"] = resize
    if warp is not None:
        current["warp"] = warp
    if conv is not None:
        current["conv"] = conv
    token = _choices.set(current)
    try:
        yield
    finally:
        _choices.reset(token)


def _implementation(kind: str, default: str):
    return (_choices.get() or {}).get(kind, default)


def conv_implementation() -> str:
    """The current scope's convolution choice: ``"auto"``, ``"plain"`` or ``"split"``."""
    return _implementation("conv", "auto")


def register_fused_flow_warp(fn) -> None:
    """Registers a fused warp kernel ``fn(features, flow) -> warped`` (or None to remove).

    Called by :mod:`keras_sfnet.kernels` when its compiled op loads. The kernel must
    compute exactly :func:`flow_warp`'s math, gradients included. It is a TensorFlow
    kernel: it is used on the TensorFlow backend only.
    """
    fused_kernel.register(fn)


def get_fused_flow_warp():
    """The registered fused warp kernel, or None when the gather warp is in use."""
    return fused_kernel.get()


def spatial_size(x):
    """``(H, W)`` of an NHWC tensor: Python ints where static, else an int32 tensor.

    Static sizes keep exported graphs free of shape arithmetic.

    Example:
    >>> spatial_size(keras.ops.zeros([1, 8, 16, 3]))
    (8, 16)
    """
    return _impl(x).spatial_size(x)


def resize_align_corners(x, size):
    """Bilinear resize with ``align_corners=True`` (PyTorch's ``F.interpolate``).

    Output pixel ``(i, j)`` samples the input at
    ``(i * (H_in - 1) / (H_out - 1), j * (W_in - 1) / (W_out - 1))`` with bilinear
    weights, so the four corner pixels of input and output coincide. This is NOT what
    ``tf.image.resize``, ``keras.ops.image.resize`` or Keras ``UpSampling2D`` compute
    (half-pixel centres).

    On TensorFlow it is the ``ResizeBilinear`` op with ``align_corners=True`` (it
    matches the authors' resize to ~1e-7 and converts to a TFLite builtin); on JAX and
    PyTorch two separable gathers with linear weights computed in float64. The output
    has the input's dtype.

    Args:
        x: tensor ``(B, H, W, C)``.
        size: ``(H_out, W_out)`` as ints (or scalar int tensors on TensorFlow).

    Returns:
        Tensor ``(B, H_out, W_out, C)``.

    Example:
    >>> y = resize_align_corners(keras.ops.zeros([1, 9, 13, 4]), (37, 53))
    >>> tuple(y.shape)
    (1, 37, 53, 4)
    """
    impl = _impl(x)
    if _implementation("resize", "op") == "matmul":
        return impl.resize_align_corners_matmul(x, size)
    return impl.resize_align_corners(x, size)


def align_corners_matrix(n_out, n_in, dtype="float32"):
    """Interpolation matrix ``A`` (n_out x n_in) of 1-D align-corners linear resizing.

    ``y = A @ x`` resizes a length-``n_in`` signal to ``n_out`` samples:
    ``A[i, floor(p)] += 1 - frac(p)``, ``A[i, floor(p) + 1] += frac(p)`` with
    ``p = i * (n_in - 1) / (n_out - 1)``.

    Example:
    >>> keras.ops.convert_to_numpy(align_corners_matrix(3, 2)).tolist()
    [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
    """
    return _impl(n_out).align_corners_matrix(n_out, n_in, dtype)


def resize_align_corners_matmul(x, size):
    """Align-corners bilinear resize as two small matrix products.

    Numerically the same as :func:`resize_align_corners` (separable bilinear
    interpolation), written with ``einsum`` so that every converter and runtime gets
    it right (tf2onnx 1.17 mis-sizes align-corners ``ResizeBilinear``). Costs more
    FLOPs than the resize op; meant for export paths, not the default graph.

    Example:
    >>> y = resize_align_corners_matmul(keras.ops.ones([1, 2, 2, 1]), (3, 3))
    >>> float(keras.ops.max(keras.ops.abs(y - 1.0)))
    0.0
    """
    return _impl(x).resize_align_corners_matmul(x, size)


def flow_warp(features, flow, implementation=None):
    """Warps ``features`` onto the flow's grid, exactly as the SFNet authors do.

    For each output pixel ``(row, col)`` of the flow's ``h x w`` grid the sampling
    point in normalised coordinates is::

        gx = linspace(-1, 1, w)[col] + flow[..., 0] / w
        gy = linspace(-1, 1, h)[row] + flow[..., 1] / h

    (the flow is divided by the OUTPUT width/height), mapped to source pixels with
    ``align_corners=True``: ``x = (gx + 1) / 2 * (W_in - 1)``, same for ``y``. The
    source is sampled bilinearly with zero padding: each of the four neighbours that
    lies outside the source contributes 0 and the weights are not renormalised
    (PyTorch ``grid_sample(..., mode="bilinear", padding_mode="zeros",
    align_corners=True)``).

    Coordinates and weights are computed in float32 whatever the features' dtype
    (float16 cannot address pixel 2047 with sub-pixel precision); the output has the
    features' dtype. Gradients flow to both ``features`` and ``flow``. Implemented
    with four gathers (converts to TFLite builtins and to ONNX); on TensorFlow the
    fused kernel of :mod:`keras_sfnet.kernels` runs instead once it is loaded.

    Args:
        features: ``(B, H_in, W_in, C)`` tensor to sample from.
        flow: ``(B, h, w, 2)`` displacement field in pixels of the output grid.
        implementation: None (the current :func:`implementation_scope`'s choice,
            ``"auto"`` outside any), ``"auto"``, ``"gather"``, ``"fused"`` or a
            callable ``(features, flow) -> warped``.

    Returns:
        ``(B, h, w, C)`` tensor.

    Example:
    >>> x = keras.random.normal([2, 4, 5, 3])
    >>> y = flow_warp(x, keras.ops.zeros([2, 7, 9, 2]))  # zero flow = align-corners resize
    >>> tuple(y.shape)
    (2, 7, 9, 3)
    """
    _check_warp(implementation)
    warp = implementation if implementation is not None else _implementation("warp", "auto")
    if callable(warp):
        return warp(features, flow)
    on_tf = uses_tensorflow(features)
    if warp == "fused" and on_tf and fused_kernel.get() is None:
        from keras_sfnet import kernels

        kernels.load_on_first_use()
    if warp == "fused" and (fused_kernel.get() is None or not on_tf):
        raise RuntimeError(
            "warp='fused' was requested but the fused flow-warp kernel is not loaded "
            f"(it is a TensorFlow kernel; backend: {keras.config.backend()}); build and "
            "load it (keras_sfnet.kernels.load_fused_flow_warp) on TensorFlow, or use "
            "warp='gather'."
        )
    if warp in ("auto", "fused") and on_tf:
        if fused_kernel.get() is None:
            from keras_sfnet import kernels  # loads the built kernel once (TensorFlow)

            kernels.load_on_first_use()
        if fused_kernel.get() is not None:
            return fused_kernel.get()(features, flow)
    return _impl(features).flow_warp_gather(features, flow)


def flow_warp_gather(features, flow):
    """:func:`flow_warp` with four gathers, never the fused kernel (what exports use)."""
    return _impl(features).flow_warp_gather(features, flow)


def adaptive_pool_matrix(bins: int, n, dtype="float32"):
    """Averaging matrix (bins x n) of PyTorch's 1-D adaptive average pooling.

    Bin ``i`` averages the half-open range ``[floor(i * n / bins),
    ceil((i + 1) * n / bins))``; ranges overlap when ``bins`` does not divide ``n``.

    Example:
    >>> keras.ops.convert_to_numpy(adaptive_pool_matrix(2, 3)).tolist()
    [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]
    """
    return _impl(n).adaptive_pool_matrix(bins, n, dtype)


def adaptive_avg_pool(x, bins: int):
    """Adaptive average pooling to ``bins x bins`` exactly as PyTorch computes it.

    ``out[b, i, j, c] = mean over rows [floor(i*H/bins), ceil((i+1)*H/bins)) and
    columns [floor(j*W/bins), ceil((j+1)*W/bins)) of x[b, :, :, c]``, evaluated as two
    small matrix products (exact for dynamic H, W; exports everywhere).

    Example:
    >>> y = adaptive_avg_pool(keras.ops.ones([1, 8, 16, 4]), 6)
    >>> tuple(y.shape)
    (1, 6, 6, 4)
    """
    return _impl(x).adaptive_avg_pool(x, bins)
