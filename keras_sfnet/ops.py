"""Exactness primitives of SFNet: align-corners resize, flow warp, adaptive pooling.

These three operations decide whether the port reproduces the authors' network to
float32 rounding. Each one is written with plain TensorFlow ops that convert to
TFLite builtins and to ONNX (no tensorflow-addons, no Flex ops), works on dynamic
batch/height/width, and is differentiable. All TensorFlow-only calls of the package
live here, so the layers can stay on `keras.ops`.

Conventions (NHWC throughout):
- align-corners sampling: output pixel ``i`` of ``n_out`` reads input position
  ``i * (n_in - 1) / (n_out - 1)`` (0 when ``n_out == 1``).
- flow channel 0 is the x (width) displacement, channel 1 the y (height) one.
"""

from __future__ import annotations

import contextlib
import contextvars

import tensorflow as tf

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
]


RESIZE_IMPLEMENTATIONS = ("op", "matmul")
WARP_IMPLEMENTATIONS = ("auto", "gather", "fused")
CONV_IMPLEMENTATIONS = ("auto", "plain", "split")
#: The implementation choices of the current thread / task (never shared: every new
#: thread starts from the defaults).
_choices: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "keras_sfnet_implementations", default=None
)
_fused_flow_warp = None


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
    own choice. Scopes nest; the innermost choice wins.

    Args:
        resize: None (keep), ``"op"`` or ``"matmul"``.
        warp: None (keep), ``"auto"``, ``"gather"``, ``"fused"`` or a callable
            ``(features, flow) -> warped`` computing :func:`flow_warp`'s math.
        conv: None (keep), ``"auto"``, ``"plain"`` or ``"split"``.

    Example:
    >>> with implementation_scope(resize="matmul", warp="gather"):
    ...     y = resize_align_corners(tf.zeros([1, 4, 4, 1]), (7, 7))
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


def _height_width(x: tf.Tensor):
    """``(H, W)`` as two Python ints where static, else scalar int32 tensors."""
    dynamic = tf.shape(x)
    return tuple(int(x.shape[i]) if x.shape[i] is not None else dynamic[i] for i in (1, 2))


def _implementation(kind: str, default: str):
    return (_choices.get() or {}).get(kind, default)


def conv_implementation() -> str:
    """The current scope's convolution choice: ``"auto"``, ``"plain"`` or ``"split"``."""
    return _implementation("conv", "auto")


def register_fused_flow_warp(fn) -> None:
    """Registers a fused warp kernel ``fn(features, flow) -> warped`` (or None to remove).

    Called by :mod:`keras_sfnet.kernels` when its compiled op loads. The kernel must
    compute exactly :func:`flow_warp`'s math, gradients included.
    """
    global _fused_flow_warp
    _fused_flow_warp = fn


def get_fused_flow_warp():
    """The registered fused warp kernel, or None when the pure-TF warp is in use."""
    return _fused_flow_warp


def spatial_size(x: tf.Tensor):
    """``(H, W)`` of an NHWC tensor: Python ints where static, else an int32 tensor.

    Static sizes keep exported graphs free of shape arithmetic.

    Example:
    >>> spatial_size(tf.zeros([1, 8, 16, 3]))
    (8, 16)
    """
    static = x.shape[1:3]
    if static.is_fully_defined():
        return tuple(int(d) for d in static)
    return tf.shape(x)[1:3]


def _size_tensor(size) -> tf.Tensor:
    if isinstance(size, (tuple, list)):
        if any(tf.is_tensor(s) for s in size):
            return tf.stack([tf.cast(s, tf.int32) for s in size])
        return tf.constant([int(s) for s in size], tf.int32)
    return tf.cast(size, tf.int32)


def resize_align_corners(x: tf.Tensor, size) -> tf.Tensor:
    """Bilinear resize with ``align_corners=True`` (PyTorch's ``F.interpolate``).

    Output pixel ``(i, j)`` samples the input at
    ``(i * (H_in - 1) / (H_out - 1), j * (W_in - 1) / (W_out - 1))`` with bilinear
    weights, so the four corner pixels of input and output coincide. This is NOT what
    ``tf.image.resize`` or Keras ``UpSampling2D`` compute (half-pixel centres).

    Uses TensorFlow's ``ResizeBilinear`` op with ``align_corners=True`` (what
    ``tf.compat.v1.image.resize_bilinear(..., align_corners=True)`` runs); it matches the
    authors' resize to ~1e-7 and converts to a TFLite builtin. The output has the
    input's dtype.

    Args:
        x: tensor ``(B, H, W, C)``.
        size: ``(H_out, W_out)`` as ints or scalar int tensors.

    Returns:
        Tensor ``(B, H_out, W_out, C)``.

    Example:
    >>> y = resize_align_corners(tf.zeros([1, 9, 13, 4]), (37, 53))
    >>> tuple(y.shape)
    (1, 37, 53, 4)
    """
    if _implementation("resize", "op") == "matmul":
        return resize_align_corners_matmul(x, size)
    y = tf.raw_ops.ResizeBilinear(
        images=x, size=_size_tensor(size), align_corners=True, half_pixel_centers=False
    )
    return tf.cast(y, x.dtype)


def align_corners_matrix(n_out, n_in, dtype=tf.float32) -> tf.Tensor:
    """Interpolation matrix ``A`` (n_out x n_in) of 1-D align-corners linear resizing.

    ``y = A @ x`` resizes a length-``n_in`` signal to ``n_out`` samples:
    ``A[i, floor(p)] += 1 - frac(p)``, ``A[i, floor(p) + 1] += frac(p)`` with
    ``p = i * (n_in - 1) / (n_out - 1)``.

    Example:
    >>> align_corners_matrix(3, 2).numpy().tolist()
    [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
    """
    n_out = tf.convert_to_tensor(n_out, tf.int32)
    n_in = tf.convert_to_tensor(n_in, tf.int32)
    scale = tf.cast(n_in - 1, tf.float32) / tf.cast(tf.maximum(n_out - 1, 1), tf.float32)
    pos = tf.cast(tf.range(n_out), tf.float32) * scale
    lo = tf.minimum(tf.cast(tf.floor(pos), tf.int32), n_in - 1)
    hi = tf.minimum(lo + 1, n_in - 1)
    frac = pos - tf.cast(lo, tf.float32)
    mat = tf.one_hot(lo, n_in, dtype=tf.float32) * (1.0 - frac)[:, None]
    mat += tf.one_hot(hi, n_in, dtype=tf.float32) * frac[:, None]
    return tf.cast(mat, dtype)


def resize_align_corners_matmul(x: tf.Tensor, size) -> tf.Tensor:
    """Align-corners bilinear resize as two small matrix products.

    Numerically the same as :func:`resize_align_corners` (separable bilinear
    interpolation), written with ``einsum`` so that every converter and runtime gets
    it right (tf2onnx 1.17 mis-sizes align-corners ``ResizeBilinear``). Costs more
    FLOPs than the resize op; meant for export paths, not the default graph.

    Example:
    >>> y = resize_align_corners_matmul(tf.ones([1, 2, 2, 1]), (3, 3))
    >>> float(tf.reduce_max(tf.abs(y - 1.0)))
    0.0
    """
    in_h, in_w = _height_width(x)
    mh = align_corners_matrix(size[0], in_h, x.dtype)
    mw = align_corners_matrix(size[1], in_w, x.dtype)
    y = tf.einsum("ih,bhwc->biwc", mh, x)
    return tf.einsum("jw,biwc->bijc", mw, y)


def flow_warp(features: tf.Tensor, flow: tf.Tensor, implementation=None) -> tf.Tensor:
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
    with four gathers: converts to TFLite builtins and to ONNX.

    Args:
        features: ``(B, H_in, W_in, C)`` tensor to sample from.
        flow: ``(B, h, w, 2)`` displacement field in pixels of the output grid.
        implementation: None (the current :func:`implementation_scope`'s choice,
            ``"auto"`` outside any), ``"auto"``, ``"gather"``, ``"fused"`` or a
            callable ``(features, flow) -> warped``.

    Returns:
        ``(B, h, w, C)`` tensor.

    Example:
    >>> x = tf.random.normal([2, 4, 5, 3])
    >>> y = flow_warp(x, tf.zeros([2, 7, 9, 2]))  # zero flow = align-corners resize
    >>> tuple(y.shape)
    (2, 7, 9, 3)
    """
    _check_warp(implementation)
    warp = implementation if implementation is not None else _implementation("warp", "auto")
    if callable(warp):
        return warp(features, flow)
    if warp == "fused" and _fused_flow_warp is None:
        raise RuntimeError(
            "warp='fused' was requested but the fused flow-warp kernel is not loaded; "
            "build it (see keras_sfnet.kernels) or use warp='gather'."
        )
    if warp in ("auto", "fused") and _fused_flow_warp is not None:
        return _fused_flow_warp(features, flow)
    return flow_warp_gather(features, flow)


def flow_warp_gather(features: tf.Tensor, flow: tf.Tensor) -> tf.Tensor:
    """Pure-TF :func:`flow_warp` (four gathers); what exports always use."""
    dtype = features.dtype
    flow = tf.cast(flow, tf.float32)
    fshape = tf.shape(features)
    batch, in_h, in_w, channels = fshape[0], fshape[1], fshape[2], fshape[3]
    gshape = tf.shape(flow)
    out_h, out_w = gshape[1], gshape[2]
    out_hf = tf.cast(out_h, tf.float32)
    out_wf = tf.cast(out_w, tf.float32)

    # Base grid: linspace(-1, 1, n) (a single sample sits at -1, as torch.linspace).
    cols = tf.cast(tf.range(out_w), tf.float32)
    rows = tf.cast(tf.range(out_h), tf.float32)
    base_x = -1.0 + 2.0 * cols / tf.maximum(out_wf - 1.0, 1.0)
    base_y = -1.0 + 2.0 * rows / tf.maximum(out_hf - 1.0, 1.0)
    gx = base_x[None, None, :] + flow[..., 0] / out_wf
    gy = base_y[None, :, None] + flow[..., 1] / out_hf

    # Normalised -> source pixel coordinates (align_corners=True).
    x = (gx + 1.0) * 0.5 * tf.cast(in_w - 1, tf.float32)
    y = (gy + 1.0) * 0.5 * tf.cast(in_h - 1, tf.float32)
    x0f = tf.floor(x)
    y0f = tf.floor(y)
    wx1 = x - x0f
    wy1 = y - y0f
    wx0 = 1.0 - wx1
    wy0 = 1.0 - wy1
    x0 = tf.cast(x0f, tf.int32)
    y0 = tf.cast(y0f, tf.int32)
    x1 = x0 + 1
    y1 = y0 + 1

    flat = tf.reshape(features, tf.stack([-1, channels]))
    batch_offset = tf.reshape(tf.range(batch) * in_h * in_w, [-1, 1, 1])

    def corner(yi, xi, weight):
        valid = (xi >= 0) & (xi < in_w) & (yi >= 0) & (yi < in_h)
        weight = weight * tf.cast(valid, tf.float32)
        # A corner outside the map has weight 0: it gathers element 0. Not a clip of
        # xi, yi to [0, n - 1]: at a fixed size with a 7-pixel map the converter folds
        # that int32 min/max into tf.Relu6, which no TFLite kernel runs on int32.
        index = tf.where(valid, batch_offset + yi * in_w + xi, 0)
        values = tf.gather(flat, index)
        # expand_dims, not [..., None]: a new-axis StridedSlice on a dynamic shape
        # has no TFLite builtin (it would force TF Select ops).
        return values * tf.expand_dims(tf.cast(weight, dtype), -1)

    return (
        corner(y0, x0, wy0 * wx0)
        + corner(y0, x1, wy0 * wx1)
        + corner(y1, x0, wy1 * wx0)
        + corner(y1, x1, wy1 * wx1)
    )


def adaptive_pool_matrix(bins: int, n, dtype=tf.float32) -> tf.Tensor:
    """Averaging matrix (bins x n) of PyTorch's 1-D adaptive average pooling.

    Bin ``i`` averages the half-open range ``[floor(i * n / bins),
    ceil((i + 1) * n / bins))``; ranges overlap when ``bins`` does not divide ``n``.

    Example:
    >>> adaptive_pool_matrix(2, 3).numpy().tolist()
    [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]
    """
    n = tf.convert_to_tensor(n, tf.int32)
    i = tf.range(bins, dtype=tf.int32)
    start = (i * n) // bins
    end = ((i + 1) * n + bins - 1) // bins
    j = tf.range(n, dtype=tf.int32)
    mask = (j[None, :] >= start[:, None]) & (j[None, :] < end[:, None])
    mat = tf.cast(mask, tf.float32) / tf.cast(end - start, tf.float32)[:, None]
    return tf.cast(mat, dtype)


def adaptive_avg_pool(x: tf.Tensor, bins: int) -> tf.Tensor:
    """Adaptive average pooling to ``bins x bins`` exactly as PyTorch computes it.

    ``out[b, i, j, c] = mean over rows [floor(i*H/bins), ceil((i+1)*H/bins)) and
    columns [floor(j*W/bins), ceil((j+1)*W/bins)) of x[b, :, :, c]``, evaluated as two
    small matrix products (exact for dynamic H, W; exports everywhere).

    Example:
    >>> y = adaptive_avg_pool(tf.ones([1, 8, 16, 4]), 6)
    >>> tuple(y.shape)
    (1, 6, 6, 4)
    """
    if bins == 1:
        return tf.reduce_mean(x, axis=[1, 2], keepdims=True)
    in_h, in_w = _height_width(x)
    ph = adaptive_pool_matrix(bins, in_h, x.dtype)
    pw = adaptive_pool_matrix(bins, in_w, x.dtype)
    y = tf.einsum("ih,bhwc->biwc", ph, x)
    return tf.einsum("jw,biwc->bijc", pw, y)
