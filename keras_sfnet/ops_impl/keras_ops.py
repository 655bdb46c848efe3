"""Backend-independent implementations of the exactness primitives (``keras.ops``).

Used when Keras runs on JAX or PyTorch (see :mod:`keras_sfnet.ops`). Same math as the
TensorFlow implementations; the interpolation and pooling tables are computed in
float64 with numpy from the (static) sizes, so no TensorFlow is needed. On these
backends every shape is concrete when a layer runs (eager, jit and symbolic builds
alike), which is what the tables need.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_sfnet.ops_impl.bilinear import bilinear_corners, weighted_corner_sum

__all__ = [
    "adaptive_avg_pool",
    "adaptive_pool_matrix",
    "align_corners_matrix",
    "flow_warp_gather",
    "resize_align_corners",
    "resize_align_corners_matmul",
    "spatial_size",
]


def _concrete(*dims) -> bool:
    """Whether every size is a plain integer.

    JAX builds functional models with symbolic sizes (``jax.export`` dimension
    expressions) for unknown dimensions; there only the output's shape matters, and
    the primitives return zeros of the right symbolic shape (:func:`_shape_only`).
    Every real call (eager, jit, PyTorch) has integer sizes.
    """
    return all(isinstance(d, (int, np.integer)) for d in dims)


def _shape_only(shape, dtype):
    """A placeholder of a symbolic ``shape`` (the output spec of a symbolic build)."""
    return ops.zeros(tuple(shape), dtype=dtype)


def _static_int(value, what: str) -> int:
    if value is None:
        raise ValueError(
            f"keras_sfnet needs a concrete {what} on the {keras.config.backend()} backend; "
            "received an unknown (None) size. Call the model on arrays of a known size."
        )
    return int(value)


def spatial_size(x):
    """``(H, W)`` of an NHWC tensor as Python ints."""
    shape = tuple(x.shape)
    if shape[1] is None or shape[2] is None:
        dynamic = ops.shape(x)
        return (dynamic[1], dynamic[2])
    return tuple(int(d) if isinstance(d, (int, np.integer)) else d for d in shape[1:3])


def _lerp_table(n_out: int, n_in: int):
    """Align-corners source indices ``lo``, ``hi`` and weight ``frac`` (float64 numpy)."""
    scale = (n_in - 1) / max(n_out - 1, 1)
    pos = np.arange(n_out, dtype=np.float64) * scale
    lo = np.minimum(np.floor(pos).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo.astype("int32"), hi.astype("int32"), pos - lo


def align_corners_matrix(n_out, n_in, dtype="float32"):
    """Interpolation matrix (n_out x n_in) of 1-D align-corners linear resizing."""
    n_out = _static_int(n_out, "output size")
    n_in = _static_int(n_in, "input size")
    lo, hi, frac = _lerp_table(n_out, n_in)
    mat = np.zeros((n_out, n_in), np.float64)
    np.add.at(mat, (np.arange(n_out), lo), 1.0 - frac)
    np.add.at(mat, (np.arange(n_out), hi), frac)
    return ops.convert_to_tensor(mat.astype("float32"), dtype=dtype)


def _resize_axis(x, n_out: int, axis: int):
    n_in = int(x.shape[axis])
    if n_in == n_out:
        return x
    lo, hi, frac = _lerp_table(n_out, n_in)
    shape = [1, 1, 1, 1]
    shape[axis] = n_out
    weight = ops.convert_to_tensor(frac.astype("float32").reshape(shape), dtype=x.dtype)
    low = ops.take(x, ops.convert_to_tensor(lo), axis=axis)
    high = ops.take(x, ops.convert_to_tensor(hi), axis=axis)
    return low + (high - low) * weight


def resize_align_corners(x, size):
    """Align-corners bilinear resize as two separable gathers with linear weights."""
    compute = keras.backend.standardize_dtype(x.dtype)
    if not _concrete(size[0], size[1], x.shape[1], x.shape[2]):
        return _shape_only((x.shape[0], size[0], size[1], x.shape[3]), compute)
    out_h = _static_int(size[0], "output height")
    out_w = _static_int(size[1], "output width")
    y = _resize_axis(x, out_h, 1)
    y = _resize_axis(y, out_w, 2)
    return ops.cast(y, compute)


def resize_align_corners_matmul(x, size):
    """Align-corners bilinear resize as two small matrix products."""
    if not _concrete(size[0], size[1], x.shape[1], x.shape[2]):
        return _shape_only((x.shape[0], size[0], size[1], x.shape[3]), x.dtype)
    mh = align_corners_matrix(size[0], x.shape[1], x.dtype)
    mw = align_corners_matrix(size[1], x.shape[2], x.dtype)
    y = ops.einsum("ih,bhwc->biwc", mh, x)
    return ops.einsum("jw,biwc->bijc", mw, y)


def flow_warp_gather(features, flow):
    """:func:`keras_sfnet.ops.flow_warp` with four gathers (backend-independent)."""
    dtype = keras.backend.standardize_dtype(features.dtype)
    if not _concrete(*features.shape[1:], *flow.shape[1:3]):
        return _shape_only((flow.shape[0], flow.shape[1], flow.shape[2], features.shape[3]), dtype)
    flow = ops.cast(flow, "float32")
    batch = ops.shape(features)[0]
    in_h = _static_int(features.shape[1], "feature height")
    in_w = _static_int(features.shape[2], "feature width")
    channels = _static_int(features.shape[3], "channel count")
    out_h = _static_int(flow.shape[1], "flow height")
    out_w = _static_int(flow.shape[2], "flow width")

    # Base grid: linspace(-1, 1, n) (a single sample sits at -1, as torch.linspace).
    base_x = -1.0 + 2.0 * np.arange(out_w, dtype=np.float32) / np.float32(max(out_w - 1, 1))
    base_y = -1.0 + 2.0 * np.arange(out_h, dtype=np.float32) / np.float32(max(out_h - 1, 1))
    base_x = ops.convert_to_tensor(base_x.reshape(1, 1, out_w))
    base_y = ops.convert_to_tensor(base_y.reshape(1, out_h, 1))
    gx = base_x + flow[..., 0] / float(out_w)
    gy = base_y + flow[..., 1] / float(out_h)

    # Normalised -> source pixel coordinates (align_corners=True).
    x = (gx + 1.0) * 0.5 * float(in_w - 1)
    y = (gy + 1.0) * 0.5 * float(in_h - 1)
    corners = bilinear_corners(x, y, ops.floor, lambda v: ops.cast(v, "int32"))

    flat = ops.reshape(features, (-1, channels))
    batch_offset = ops.reshape(ops.arange(batch, dtype="int32") * (in_h * in_w), (-1, 1, 1))

    def corner(yi, xi, weight):
        valid = (xi >= 0) & (xi < in_w) & (yi >= 0) & (yi < in_h)
        weight = weight * ops.cast(valid, "float32")
        xc = ops.clip(xi, 0, in_w - 1)
        yc = ops.clip(yi, 0, in_h - 1)
        index = batch_offset + yc * in_w + xc
        values = ops.take(flat, index, axis=0)
        return values * ops.expand_dims(ops.cast(weight, dtype), -1)

    return weighted_corner_sum(corner, corners)


def adaptive_pool_matrix(bins: int, n, dtype="float32"):
    """Averaging matrix (bins x n) of PyTorch's 1-D adaptive average pooling."""
    n = _static_int(n, "input size")
    i = np.arange(bins)
    start = (i * n) // bins
    end = ((i + 1) * n + bins - 1) // bins
    j = np.arange(n)
    mask = (j[None, :] >= start[:, None]) & (j[None, :] < end[:, None])
    mat = mask.astype(np.float64) / (end - start)[:, None]
    return ops.convert_to_tensor(mat.astype("float32"), dtype=dtype)


def adaptive_avg_pool(x, bins: int):
    """Adaptive average pooling to ``bins x bins`` as two small matrix products."""
    if bins == 1:
        return ops.mean(x, axis=(1, 2), keepdims=True)
    if not _concrete(x.shape[1], x.shape[2]):
        return _shape_only((x.shape[0], bins, bins, x.shape[3]), x.dtype)
    ph = adaptive_pool_matrix(bins, x.shape[1], x.dtype)
    pw = adaptive_pool_matrix(bins, x.shape[2], x.dtype)
    y = ops.einsum("ih,bhwc->biwc", ph, x)
    return ops.einsum("jw,biwc->bijc", pw, y)
