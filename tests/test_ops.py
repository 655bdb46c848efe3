"""The exactness primitives against float64 numpy references (and torch when present)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet import ops


def np_resize_align_corners(x, out_h, out_w):
    """Float64 separable bilinear resize, align_corners=True."""

    def axis_weights(n_out, n_in):
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        pos = np.arange(n_out) * scale
        lo = np.minimum(np.floor(pos).astype(int), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, pos - lo

    x = x.astype(np.float64)
    lo, hi, f = axis_weights(out_h, x.shape[1])
    x = x[:, lo] * (1 - f)[None, :, None, None] + x[:, hi] * f[None, :, None, None]
    lo, hi, f = axis_weights(out_w, x.shape[2])
    return x[:, :, lo] * (1 - f)[None, None, :, None] + x[:, :, hi] * f[None, None, :, None]


def np_flow_warp(features, flow):
    """Float64 reference of the authors' warp: grid_sample(align_corners=True, zeros)."""
    features = features.astype(np.float64)
    flow = flow.astype(np.float64)
    b, in_h, in_w, c = features.shape
    _, h, w, _ = flow.shape
    gx = np.linspace(-1.0, 1.0, w)[None, None, :] + flow[..., 0] / w
    gy = np.linspace(-1.0, 1.0, h)[None, :, None] + flow[..., 1] / h
    x = (gx + 1) / 2 * (in_w - 1)
    y = (gy + 1) / 2 * (in_h - 1)
    x0 = np.floor(x).astype(int)
    y0 = np.floor(y).astype(int)
    out = np.zeros((b, h, w, c))
    for dy in (0, 1):
        for dx in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            wx = (x - x0) if dx else (1 - (x - x0))
            wy = (y - y0) if dy else (1 - (y - y0))
            valid = (xi >= 0) & (xi < in_w) & (yi >= 0) & (yi < in_h)
            bi = np.arange(b)[:, None, None] * np.ones_like(xi)
            vals = features[bi, np.clip(yi, 0, in_h - 1), np.clip(xi, 0, in_w - 1)]
            out += vals * (wx * wy * valid)[..., None]
    return out


def np_adaptive_avg_pool(x, bins):
    b, h, w, c = x.shape
    out = np.zeros((b, bins, bins, c))
    for i in range(bins):
        r0, r1 = (i * h) // bins, -((-(i + 1) * h) // bins)
        for j in range(bins):
            c0, c1 = (j * w) // bins, -((-(j + 1) * w) // bins)
            out[:, i, j] = x[:, r0:r1, c0:c1].astype(np.float64).mean(axis=(1, 2))
    return out


@pytest.mark.parametrize(
    "src,dst", [((9, 13), (37, 53)), ((1, 1), (5, 7)), ((8, 16), (3, 2)), ((5, 4), (1, 1))]
)
def test_resize_align_corners_matches_numpy(src, dst):
    x = np.random.default_rng(0).normal(size=(2, *src, 3)).astype(np.float32)
    expected = np_resize_align_corners(x, *dst)
    for implementation in ("op", "matmul"):
        with ops.implementation_scope(resize=implementation):
            got = ops.resize_align_corners(tf.constant(x), dst).numpy()
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=implementation)


def test_resize_corners_coincide():
    x = np.random.default_rng(1).normal(size=(1, 4, 6, 2)).astype(np.float32)
    y = ops.resize_align_corners(tf.constant(x), (13, 21)).numpy()
    for (r, c), (R, C) in [
        ((0, 0), (0, 0)),
        ((3, 5), (12, 20)),
        ((0, 5), (0, 20)),
        ((3, 0), (12, 0)),
    ]:
        np.testing.assert_allclose(y[0, R, C], x[0, r, c], atol=1e-6)


def random_flow(rng, b, h, w, scale):
    # Large displacements push many samples outside the source (zero padding).
    return (rng.normal(size=(b, h, w, 2)) * scale).astype(np.float32)


@pytest.mark.parametrize(
    "in_size,out_size,scale",
    [((5, 7), (9, 12), 4.0), ((6, 4), (6, 4), 12.0), ((3, 8), (11, 5), 30.0)],
)
def test_flow_warp_matches_numpy(in_size, out_size, scale):
    rng = np.random.default_rng(2)
    features = rng.normal(size=(2, *in_size, 3)).astype(np.float32)
    flow = random_flow(rng, 2, *out_size, scale)
    expected = np_flow_warp(features, flow)
    got = ops.flow_warp(tf.constant(features), tf.constant(flow)).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-5)
    # The test really covers out-of-bounds samples.
    w = out_size[1]
    gx = np.linspace(-1, 1, w)[None, None, :] + flow[..., 0] / w
    assert (np.abs(gx) > 1).mean() > 0.05


def test_flow_warp_zero_flow_is_align_corners_upsampling():
    x = np.random.default_rng(3).normal(size=(2, 4, 6, 5)).astype(np.float32)
    zero = tf.zeros([2, 7, 11, 2])
    warped = ops.flow_warp(tf.constant(x), zero).numpy()
    np.testing.assert_allclose(warped, np_resize_align_corners(x, 7, 11), atol=1e-5)
    np.testing.assert_allclose(
        warped, ops.resize_align_corners(tf.constant(x), (7, 11)).numpy(), atol=1e-5
    )


def test_flow_warp_single_pixel_grid():
    # linspace(-1, 1, 1) is [-1] as in torch: a 1x1 output reads the top-left corner.
    x = np.random.default_rng(4).normal(size=(1, 3, 3, 2)).astype(np.float32)
    y = ops.flow_warp(tf.constant(x), tf.zeros([1, 1, 1, 2])).numpy()
    np.testing.assert_allclose(y[0, 0, 0], x[0, 0, 0], atol=1e-6)


def test_flow_warp_gradients_match_numeric():
    rng = np.random.default_rng(5)
    features = tf.constant(rng.normal(size=(2, 4, 5, 2)), tf.float64)
    # Keep samples away from integer positions, where bilinear weights have kinks.
    flow = rng.uniform(-3, 3, size=(2, 3, 4, 2))
    flow = tf.constant(np.round(flow) + 0.37, tf.float64)

    def warp(f, fl):
        return tf.cast(ops.flow_warp(tf.cast(f, tf.float32), tf.cast(fl, tf.float32)), tf.float64)

    for argnum, arg in ((0, features), (1, flow)):

        def fn(t, argnum=argnum):
            args = [features, flow]
            args[argnum] = t
            return warp(*args)

        theoretical, numerical = tf.test.compute_gradient(fn, [arg], delta=1e-3)
        np.testing.assert_allclose(theoretical[0], numerical[0], atol=2e-3)
        assert np.abs(theoretical[0]).max() > 0


def test_flow_warp_dynamic_shapes_and_float16():
    fn = tf.function(
        ops.flow_warp,
        input_signature=[
            tf.TensorSpec([None, None, None, 3], tf.float16),
            tf.TensorSpec([None, None, None, 2], tf.float16),
        ],
    )
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 64, 48, 3)).astype(np.float32)
    flow = random_flow(rng, 3, 128, 96, 2.0)
    y16 = fn(tf.constant(x, tf.float16), tf.constant(flow, tf.float16))
    assert y16.dtype == tf.float16 and tuple(y16.shape) == (3, 128, 96, 3)
    y32 = ops.flow_warp(tf.constant(x), tf.constant(flow.astype(np.float16).astype(np.float32)))
    np.testing.assert_allclose(y16.numpy().astype(np.float32), y32.numpy(), atol=2e-2)


def test_flow_warp_float32_coordinates_address_large_maps():
    # Output 1 x 2048: sub-pixel offsets near pixel 2047 survive (float16 would round them).
    x = tf.reshape(tf.range(2048, dtype=tf.float32), [1, 1, 2048, 1])
    flow = tf.fill([1, 1, 2048, 2], 0.25) * tf.constant([1.0, 0.0])
    y = ops.flow_warp(tf.cast(x, tf.float16), tf.cast(flow, tf.float16))
    col = 2046.0
    expected = col + 0.25 / 2048 * 0.5 * 2047
    assert abs(float(y[0, 0, 2046, 0]) - expected) < 1.0  # float16 output rounding only


@pytest.mark.parametrize("shape", [(8, 16), (7, 5), (3, 3), (13, 29)])
def test_adaptive_avg_pool_matches_numpy(shape):
    x = np.random.default_rng(7).normal(size=(2, *shape, 4)).astype(np.float32)
    for bins in (1, 2, 3, 6):
        got = ops.adaptive_avg_pool(tf.constant(x), bins).numpy()
        np.testing.assert_allclose(got, np_adaptive_avg_pool(x, bins), atol=1e-5)


def test_adaptive_pool_bins_overlap_like_pytorch():
    m = ops.adaptive_pool_matrix(3, 8).numpy()
    # bins [0,3), [2,6), [5,8): overlapping when 3 does not divide 8.
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-6)
    assert m[0, 2] > 0 and m[1, 2] > 0 and m[1, 5] > 0 and m[2, 5] > 0


def test_implementation_scope_rejects_unknown():
    with pytest.raises(ValueError, match="`resize` must be one of"):
        with ops.implementation_scope(resize="nearest"):
            pass
    with pytest.raises(RuntimeError, match="fused flow-warp kernel is not loaded"):
        saved = ops.get_fused_flow_warp()
        ops.register_fused_flow_warp(None)
        try:
            with ops.implementation_scope(warp="fused"):
                ops.flow_warp(tf.zeros([1, 2, 2, 1]), tf.zeros([1, 2, 2, 2]))
        finally:
            ops.register_fused_flow_warp(saved)


def _warp_op_types(features, flow, implementation=None) -> set[str]:
    fn = tf.function(lambda f, g: ops.flow_warp(f, g, implementation=implementation))
    graph = fn.get_concrete_function(features, flow).graph
    return {op.type for op in graph.get_operations()}


def test_warp_choice_is_an_argument_or_a_scope_local_to_the_thread():
    import threading

    features, flow = tf.zeros([1, 4, 4, 2]), tf.zeros([1, 4, 4, 2])
    calls = []

    def custom(f, g):
        calls.append(threading.get_ident())
        return tf.identity(f, name="custom_warp")

    # The argument wins over the scope; a callable is traced as given.
    assert "Identity" in _warp_op_types(features, flow, implementation=custom)
    with ops.implementation_scope(warp=custom):
        assert "GatherV2" in _warp_op_types(features, flow, implementation="gather") or (
            "GatherNd" in _warp_op_types(features, flow, implementation="gather")
        )
    with pytest.raises(ValueError, match="or a callable"):
        ops.flow_warp(features, flow, implementation="grid")

    # A thread inside a scope does not change what another thread traces.
    entered, traced = threading.Event(), threading.Event()
    seen = {}

    def exporter():
        with ops.implementation_scope(warp=custom, resize="matmul"):
            entered.set()
            traced.wait(timeout=60)
            seen["exporter"] = ops._implementation("warp", "auto")

    thread = threading.Thread(target=exporter)
    thread.start()
    assert entered.wait(timeout=60)
    calls.clear()
    _warp_op_types(features, flow)
    seen["main"] = (ops._implementation("warp", "auto"), ops._implementation("resize", "op"))
    traced.set()
    thread.join()
    assert calls == [] and seen["main"] == ("auto", "op")
    assert seen["exporter"] is custom


def test_against_torch_grid_sample_and_pooling():
    torch = pytest.importorskip(
        "torch", reason="torch not installed: the numpy references above still run"
    )
    F = torch.nn.functional
    rng = np.random.default_rng(8)
    features = rng.normal(size=(2, 6, 9, 4)).astype(np.float32)
    flow = random_flow(rng, 2, 11, 14, 6.0)
    h, w = 11, 14
    # The authors' grid arithmetic, written from the paper's description.
    gy, gx = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    grid = torch.stack([gx, gy], -1)[None] + torch.from_numpy(flow) / torch.tensor([w, h])
    ref = (
        F.grid_sample(
            torch.from_numpy(features).permute(0, 3, 1, 2),
            grid,
            mode="bilinear",
            padding_mode="zeros",
            align_corners=True,
        )
        .permute(0, 2, 3, 1)
        .numpy()
    )
    np.testing.assert_allclose(ops.flow_warp(features, flow).numpy(), ref, atol=2e-5)

    x = rng.normal(size=(2, 8, 16, 3)).astype(np.float32)
    for bins in (1, 2, 3, 6):
        ref = F.adaptive_avg_pool2d(torch.from_numpy(x).permute(0, 3, 1, 2), bins)
        np.testing.assert_allclose(
            ops.adaptive_avg_pool(x, bins).numpy(), ref.permute(0, 2, 3, 1).numpy(), atol=1e-5
        )
    ref = F.interpolate(
        torch.from_numpy(x).permute(0, 3, 1, 2), size=(37, 53), mode="bilinear", align_corners=True
    )
    np.testing.assert_allclose(
        ops.resize_align_corners(x, (37, 53)).numpy(), ref.permute(0, 2, 3, 1).numpy(), atol=1e-5
    )
