"""The fused flow-warp op against the pure-TF warp (forward and gradients)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet import kernels, ops
from keras_sfnet.kernels import build as kernel_build

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fused():
    """The loaded op: the package's built one, else one built into a temporary folder."""
    if not kernels.is_loaded():
        if not kernel_build.compiler_available():
            pytest.skip("no C++ compiler: the fused flow-warp op cannot be built")
        import tempfile

        path = kernel_build.build_kernels(tempfile.mkdtemp(prefix="sfnet_kernels_"), cuda=False)
        assert kernels.load(path, register=False)
    return kernels.fused_flow_warp


def _case(dtype, seed=0):
    rng = np.random.default_rng(seed)
    features = tf.constant(rng.normal(size=(2, 9, 13, 5)), dtype)
    # Flows of up to +-12 output pixels: many samples fall partly or wholly outside.
    flow = tf.constant(rng.uniform(-12, 12, size=(2, 17, 11, 2)), tf.float32)
    weights = tf.constant(rng.normal(size=(2, 17, 11, 5)), dtype)
    return features, flow, weights


def _values_and_grads(fn, features, flow, weights):
    with tf.GradientTape() as tape:
        tape.watch([features, flow])
        out = fn(features, flow)
        loss = tf.reduce_sum(tf.cast(out * weights, tf.float32))
    grads = tape.gradient(loss, [features, flow])
    return out, grads


@pytest.mark.parametrize("dtype, tol", [(tf.float32, 1e-6), (tf.float64, 1e-6), (tf.float16, 2e-3)])
def test_fused_equals_gather(fused, dtype, tol):
    features, flow, weights = _case(dtype)
    expected, expected_grads = _values_and_grads(ops.flow_warp_gather, features, flow, weights)
    out, grads = _values_and_grads(fused, features, flow, weights)
    assert out.dtype == dtype and out.shape == (2, 17, 11, 5)
    assert grads[0].dtype == dtype and grads[1].dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), expected.numpy(), atol=tol, rtol=tol)
    for got, want in zip(grads, expected_grads):
        scale = max(1.0, float(tf.reduce_max(tf.abs(tf.cast(want, tf.float64)))))
        np.testing.assert_allclose(
            got.numpy().astype(np.float64), want.numpy().astype(np.float64), atol=tol * scale
        )


def test_float32_forward_is_bitwise_equal(fused):
    features, flow, _ = _case(tf.float32, seed=1)
    np.testing.assert_array_equal(
        fused(features, flow).numpy(), ops.flow_warp_gather(features, flow).numpy()
    )


def test_flow_dtype_follows_input(fused):
    features, flow, weights = _case(tf.float16, seed=2)
    flow16 = tf.cast(flow, tf.float16)
    with tf.GradientTape() as tape:
        tape.watch(flow16)
        loss = tf.reduce_sum(tf.cast(fused(features, flow16) * weights, tf.float32))
    assert tape.gradient(loss, flow16).dtype == tf.float16


def test_xla_and_scopes_use_gathers(fused):
    features, flow, _ = _case(tf.float32)
    jit = tf.function(fused, jit_compile=True)
    graph = jit.get_concrete_function(features, flow).graph
    assert not [op for op in graph.get_operations() if op.type.startswith("Sfnet")]
    np.testing.assert_allclose(
        jit(features, flow).numpy(), ops.flow_warp_gather(features, flow).numpy(), atol=1e-5
    )  # XLA fuses the coordinate arithmetic: float32 rounding differs slightly
    plain = tf.function(fused).get_concrete_function(features, flow).graph
    assert [op.type for op in plain.get_operations() if op.type.startswith("Sfnet")]


def test_registered_dispatch(fused):
    features, flow, _ = _case(tf.float32)
    was_loaded_for_flow_warp = ops.get_fused_flow_warp() is not None
    kernels.load(kernels.library_path())
    try:
        traced = tf.function(ops.flow_warp).get_concrete_function(features, flow).graph
        assert any(op.type == "SfnetFlowWarp" for op in traced.get_operations())
        with ops.implementation_scope(warp="gather"):
            exported = tf.function(ops.flow_warp).get_concrete_function(features, flow).graph
        assert not any(op.type.startswith("Sfnet") for op in exported.get_operations())
    finally:
        if not was_loaded_for_flow_warp:
            kernels.unload()


def test_load_missing_file_is_silent(tmp_path):
    assert kernels.load(tmp_path / "missing.so", register=False) in (False, True)


def test_native_build_compiles_and_matches(tmp_path):
    """``--native`` builds on this CPU (AVX512-FP16 hosts broke TF's Eigen) and is exact.

    Loaded in a child process: a process holds one flow-warp library.
    """
    if not kernel_build.compiler_available():
        pytest.skip("no C++ compiler: the fused flow-warp op cannot be built")
    import subprocess
    import sys

    path = kernel_build.build_kernels(tmp_path, native=True, cuda=False)
    child = (
        "import numpy as np, tensorflow as tf\n"
        "from keras_sfnet import kernels, ops\n"
        f"assert kernels.load({str(path)!r}, register=False)\n"
        "rng = np.random.default_rng(0)\n"
        "f = tf.constant(rng.normal(size=(2, 9, 13, 5)), tf.float32)\n"
        "w = tf.constant(rng.uniform(-12, 12, size=(2, 17, 11, 2)), tf.float32)\n"
        "np.testing.assert_array_equal(kernels.fused_flow_warp(f, w).numpy(),\n"
        "                              ops.flow_warp_gather(f, w).numpy())\n"
        "print('native-ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0 and "native-ok" in result.stdout, result.stderr[-2000:]
