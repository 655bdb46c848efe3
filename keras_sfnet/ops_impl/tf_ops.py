"""TensorFlow implementations of the exactness primitives (see :mod:`keras_sfnet.ops`).

Plain TensorFlow ops that convert to TFLite builtins and to ONNX (no
tensorflow-addons, no Flex ops), on dynamic batch/height/width, differentiable. Used
when Keras runs on the TensorFlow backend (and by the exporters). Only
:mod:`keras_sfnet.ops` imports this module.
"""

from __future__ import annotations

import tensorflow as tf

from keras_sfnet.ops_impl.bilinear import bilinear_corners, weighted_corner_sum


def _height_width(x: tf.Tensor):
    """``(H, W)`` as two Python ints where static, else scalar int32 tensors."""
    dynamic = tf.shape(x)
    return tuple(int(x.shape[i]) if x.shape[i] is not None else dynamic[i] for i in (1, 2))


def spatial_size(x: tf.Tensor):
    """``(H, W)``: Python ints where static, else an int32 tensor."""
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
    """Align-corners ``ResizeBilinear`` (a TFLite builtin); output in the input's dtype."""
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
    corners = bilinear_corners(x, y, tf.floor, lambda v: tf.cast(v, tf.int32))

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

    return weighted_corner_sum(corner, corners)


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
