"""Tests for the SGD with coupled weight decay and the poly schedule."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet.training.optimizers import CoupledWeightDecaySGD
from keras_sfnet.training.schedules import PolyDecay


def _torch_sgd_reference(
    params, grads_per_step, lrs, momentum, weight_decay, nesterov=False, decay_mask=None
):
    """float64 restatement of torch.optim.SGD (dampening 0)."""
    params = [np.array(p, np.float64) for p in params]
    bufs = [None] * len(params)
    decay_mask = decay_mask or [True] * len(params)
    for grads, lr in zip(grads_per_step, lrs):
        for i, g in enumerate(grads):
            g = np.array(g, np.float64)
            if decay_mask[i]:
                g = g + weight_decay * params[i]
            if momentum:
                bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + g
                step = g + momentum * bufs[i] if nesterov else bufs[i]
            else:
                step = g
            params[i] = params[i] - lr * step
    return params


def _run_keras(optimizer, params, grads_per_step):
    variables = [keras.Variable(p, name=f"v{i}") for i, p in enumerate(params)]
    for grads in grads_per_step:
        optimizer.apply_gradients(zip([tf.constant(g) for g in grads], variables))
    return [v.numpy() for v in variables]


def _problem(seed, steps=6):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(4,)).astype(np.float32)]
    grads = [[rng.normal(size=p.shape).astype(np.float32) for p in params] for _ in range(steps)]
    return params, grads


@pytest.mark.parametrize("nesterov", [False, True])
def test_matches_torch_sgd_constant_lr(nesterov):
    params, grads = _problem(0)
    opt = CoupledWeightDecaySGD(
        learning_rate=0.1, momentum=0.9, weight_decay=5e-4, nesterov=nesterov
    )
    got = _run_keras(opt, params, grads)
    expected = _torch_sgd_reference(params, grads, [0.1] * len(grads), 0.9, 5e-4, nesterov)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)


def test_matches_torch_sgd_with_schedule_and_differs_from_keras_sgd():
    params, grads = _problem(1, steps=8)
    schedule = PolyDecay(0.5, decay_steps=8, power=0.9)
    opt = CoupledWeightDecaySGD(learning_rate=schedule, momentum=0.9, weight_decay=5e-2)
    got = _run_keras(opt, params, grads)
    lrs = [float(schedule(i)) for i in range(len(grads))]
    expected = _torch_sgd_reference(params, grads, lrs, 0.9, 5e-2)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    # Keras' SGD folds the learning rate into its velocity, so with a varying
    # learning rate (and no coupled decay) it is not the PyTorch update.
    plain = _run_keras(
        keras.optimizers.SGD(learning_rate=PolyDecay(0.5, 8), momentum=0.9), params, grads
    )
    torch_plain = _torch_sgd_reference(params, grads, lrs, 0.9, 0.0)
    assert not np.allclose(plain[0], torch_plain[0], atol=1e-4)


def test_matches_real_torch_sgd():
    torch = pytest.importorskip("torch")
    params, grads = _problem(2)
    tparams = [torch.nn.Parameter(torch.tensor(p, dtype=torch.float64)) for p in params]
    topt = torch.optim.SGD(tparams, lr=0.05, momentum=0.9, weight_decay=5e-4)
    for step_grads in grads:
        for p, g in zip(tparams, step_grads):
            p.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
    got = _run_keras(CoupledWeightDecaySGD(0.05, momentum=0.9, weight_decay=5e-4), params, grads)
    for g, t in zip(got, tparams):
        np.testing.assert_allclose(g, t.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_no_momentum_and_exclusion_list():
    params, grads = _problem(3, steps=3)
    variables = [keras.Variable(params[0], name="kernel"), keras.Variable(params[1], name="bias")]
    opt = CoupledWeightDecaySGD(0.1, momentum=0.0, weight_decay=0.1, weight_decay_exclude=["bias"])
    for step_grads in grads:
        opt.apply_gradients(zip([tf.constant(g) for g in step_grads], variables))
    expected = _torch_sgd_reference(params, grads, [0.1] * 3, 0.0, 0.1, decay_mask=[True, False])
    for v, e in zip(variables, expected):
        np.testing.assert_allclose(v.numpy(), e, rtol=1e-6, atol=1e-7)
    assert opt.uses_weight_decay(variables[0]) and not opt.uses_weight_decay(variables[1])


def test_exclude_from_weight_decay_method():
    params, grads = _problem(4, steps=2)
    opt = CoupledWeightDecaySGD(0.1, weight_decay=0.1)
    variables = [keras.Variable(p, name=f"w{i}") for i, p in enumerate(params)]
    opt.exclude_from_weight_decay(var_list=[variables[1]])
    for step_grads in grads:
        opt.apply_gradients(zip([tf.constant(g) for g in step_grads], variables))
    expected = _torch_sgd_reference(params, grads, [0.1] * 2, 0.9, 0.1, decay_mask=[True, False])
    for v, e in zip(variables, expected):
        np.testing.assert_allclose(v.numpy(), e, rtol=1e-6, atol=1e-7)


def test_keras_decoupled_decay_stays_off_and_config_round_trip():
    opt = CoupledWeightDecaySGD(
        PolyDecay(0.01, 100),
        weight_decay=1e-4,
        weight_decay_exclude=("gamma", "beta"),
        clipnorm=1.0,
    )
    assert opt.weight_decay is None
    config = keras.optimizers.serialize(opt)
    restored = keras.optimizers.deserialize(config)
    assert isinstance(restored, CoupledWeightDecaySGD)
    assert restored.coupled_weight_decay == 1e-4
    assert restored.weight_decay is None
    assert restored.weight_decay_exclude == ("gamma", "beta")
    fresh = keras.optimizers.serialize(opt)
    assert keras.optimizers.serialize(restored) == fresh
    assert fresh["config"]["learning_rate"]["class_name"] == "PolyDecay"


def test_inside_loss_scale_optimizer():
    params, grads = _problem(5, steps=3)
    inner = CoupledWeightDecaySGD(0.1, momentum=0.9, weight_decay=5e-4)
    opt = keras.optimizers.LossScaleOptimizer(inner, initial_scale=128.0)
    variables = [keras.Variable(p, name=f"w{i}") for i, p in enumerate(params)]
    for step_grads in grads:
        opt.apply([tf.constant(g * 128.0) for g in step_grads], variables)
    expected = _torch_sgd_reference(params, grads, [0.1] * 3, 0.9, 5e-4)
    for v, e in zip(variables, expected):
        np.testing.assert_allclose(v.numpy(), e, rtol=1e-5, atol=1e-6)


def test_fit_and_save_round_trip(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer=CoupledWeightDecaySGD(PolyDecay(0.01, 10)), loss="mse")
    model.fit(np.ones((4, 4)), np.zeros((4, 2)), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored.optimizer, CoupledWeightDecaySGD)
    np.testing.assert_allclose(
        restored.predict(np.ones((1, 4)), verbose=0), model.predict(np.ones((1, 4)), verbose=0)
    )


def test_optimizer_argument_errors():
    with pytest.raises(
        ValueError, match=r"`weight_decay` must be >= 0\. Received: weight_decay=-1"
    ):
        CoupledWeightDecaySGD(weight_decay=-1)
    with pytest.raises(ValueError, match="`nesterov=True` requires"):
        CoupledWeightDecaySGD(momentum=0.0, nesterov=True)


def test_poly_decay_values():
    schedule = PolyDecay(0.01, decay_steps=100, power=0.9)
    for step in [0, 1, 50, 99, 100, 150]:
        expected = 0.01 * (1 - min(step, 100) / 100) ** 0.9
        np.testing.assert_allclose(float(schedule(step)), expected, rtol=1e-5, atol=1e-12)
    floored = PolyDecay(0.01, decay_steps=10, power=1.0, end_learning_rate=1e-4)
    np.testing.assert_allclose(float(floored(5)), 1e-4 + (0.01 - 1e-4) * 0.5, rtol=1e-6)
    np.testing.assert_allclose(float(floored(10)), 1e-4, rtol=1e-6)
    np.testing.assert_allclose(float(floored(10**6)), 1e-4, rtol=1e-6)


def test_poly_decay_warmup():
    schedule = PolyDecay(0.01, decay_steps=100, power=0.9, warmup_steps=10, warmup_ratio=0.1)
    plain = PolyDecay(0.01, decay_steps=100, power=0.9)
    np.testing.assert_allclose(float(schedule(0)), 0.001, rtol=1e-6)
    np.testing.assert_allclose(float(schedule(5)), float(plain(5)) * 0.55, rtol=1e-6)
    for step in [10, 11, 60]:
        np.testing.assert_allclose(float(schedule(step)), float(plain(step)), rtol=1e-6)
    values = [float(schedule(s)) for s in range(12)]
    assert np.all(np.diff(values[:11]) > 0)


def test_poly_decay_in_graph_and_serialization():
    schedule = PolyDecay(
        0.02, decay_steps=40, power=0.9, end_learning_rate=1e-5, warmup_steps=4, warmup_ratio=0.25
    )
    graph_value = tf.function(schedule)(tf.constant(7, tf.int64))
    np.testing.assert_allclose(float(graph_value), float(schedule(7)), rtol=1e-6)
    restored = keras.optimizers.schedules.deserialize(
        keras.optimizers.schedules.serialize(schedule)
    )
    assert isinstance(restored, PolyDecay) and restored.get_config() == schedule.get_config()


def test_poly_decay_argument_errors():
    with pytest.raises(
        ValueError, match=r"`decay_steps` must be an integer >= 1\. Received: decay_steps=0"
    ):
        PolyDecay(0.01, decay_steps=0)
    with pytest.raises(ValueError, match="`warmup_steps` must be <= `decay_steps`"):
        PolyDecay(0.01, decay_steps=5, warmup_steps=6)
    with pytest.raises(ValueError, match="`warmup_ratio` must be in"):
        PolyDecay(0.01, decay_steps=5, warmup_ratio=2.0)
