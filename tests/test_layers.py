"""Layer tests: config round trip, symbolic and eager call, dtype, a training step."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from keras_sfnet.layers import (
    AlignedFPN,
    AuxiliaryHead,
    ConvBNReLU,
    FlowAlignment,
    PyramidPooling,
    ResizeLike,
    Subsample2D,
)

RNG = np.random.default_rng(0)


def pyramid(batch=2, size=64, channels=8):
    return {
        f"P{i}": RNG.normal(size=(batch, size // 2**i, size // 2**i, channels)).astype(np.float32)
        for i in range(2, 6)
    }


CASES = {
    "conv_bn_relu": (
        lambda: ConvBNReLU(8, 3),
        lambda: RNG.normal(size=(2, 9, 7, 4)).astype("float32"),
    ),
    "flow_alignment": (
        lambda: FlowAlignment(4),
        lambda: [
            RNG.normal(size=(2, 16, 12, 8)).astype("float32"),
            RNG.normal(size=(2, 8, 6, 8)).astype("float32"),
        ],
    ),
    "pyramid_pooling": (
        lambda: PyramidPooling(8),
        lambda: RNG.normal(size=(2, 8, 16, 12)).astype("float32"),
    ),
    "auxiliary_head": (
        lambda: AuxiliaryHead(5, 8),
        lambda: RNG.normal(size=(2, 8, 8, 8)).astype("float32"),
    ),
    "aligned_fpn": (lambda: AlignedFPN(8, deep_supervision=True), pyramid),
    "resize_like": (
        lambda: ResizeLike(),
        lambda: [
            RNG.normal(size=(1, 4, 4, 2)).astype("float32"),
            np.zeros((1, 9, 11, 1), "float32"),
        ],
    ),
    "subsample": (lambda: Subsample2D(2), lambda: RNG.normal(size=(1, 7, 8, 3)).astype("float32")),
}


def flat(y):
    if isinstance(y, dict):
        return [y[k] for k in sorted(y)]
    if isinstance(y, (list, tuple)):
        return list(y)
    return [y]


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_config_round_trip_and_symbolic_call(case):
    make, data = CASES[case]
    layer = make()
    x = data()
    y = layer(x)
    clone = layer.__class__.from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    for a, b in zip(flat(y), flat(clone(x)), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)
    # Symbolic call gives the eager shapes (dynamic spatial dims).
    if isinstance(x, dict):
        sym = {k: keras.Input(shape=(None, None, v.shape[-1])) for k, v in x.items()}
    elif isinstance(x, list):
        sym = [keras.Input(shape=(None, None, v.shape[-1])) for v in x]
    else:
        sym = keras.Input(shape=(None, None, x.shape[-1]))
    out = make()(sym)
    for s, e in zip(flat(out), flat(y), strict=True):
        assert s.shape[-1] == e.shape[-1]


@pytest.mark.parametrize(
    "case", ["flow_alignment", "pyramid_pooling", "aligned_fpn", "conv_bn_relu"]
)
def test_layer_mixed_precision_dtypes(case, mixed_precision):
    make, data = CASES[case]
    layer = make()
    y = layer(data())
    if case == "aligned_fpn":
        assert all(y[k].dtype == "float32" for k in y if k.startswith("flow_"))
        assert y["features"].dtype == "float16"
        assert all(y[k].dtype == "float16" for k in y if k.startswith("aux_features_"))
    elif case == "flow_alignment":
        assert y.dtype == "float16"
    else:
        assert y.dtype == "float16"


def test_flow_alignment_returns_flow_and_learns():
    fam = FlowAlignment(4, return_flow=True)
    low = keras.Input((16, 16, 8))
    high = keras.Input((8, 8, 8))
    warped, flow = fam([low, high])
    model = keras.Model([low, high], warped)
    assert tuple(flow.shape) == (None, 16, 16, 2)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = [
        RNG.normal(size=(4, 16, 16, 8)).astype("float32"),
        RNG.normal(size=(4, 8, 8, 8)).astype("float32"),
    ]
    target = RNG.normal(size=(4, 16, 16, 8)).astype("float32")
    before = fam.flow_conv.kernel.numpy().copy()
    model.fit(x, target, epochs=1, verbose=0)
    # The flow conv receives gradient through the warp's sampling weights.
    assert not np.allclose(before, fam.flow_conv.kernel.numpy())


def test_aligned_fpn_rejects_missing_levels():
    with pytest.raises(ValueError, match="needs pyramid levels"):
        AlignedFPN(8)({"P2": np.zeros((1, 8, 8, 4), "float32")})
    with pytest.raises(ValueError, match="`filters` must be an integer >= 2"):
        AlignedFPN(0)


def test_conv_bn_relu_uses_pytorch_bn_epsilon():
    layer = ConvBNReLU(4, 3)
    assert layer.bn.epsilon == 1e-5 and layer.bn.momentum == 0.9
    with pytest.raises(ValueError, match="must be odd"):
        ConvBNReLU(4, 2)
