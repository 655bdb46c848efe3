"""The SFNet family (DFNet, STDC, ShuffleNetV2, SFNet-Lite): exact to the authors' networks."""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_sfnet import SFNet, list_models
from keras_sfnet.convert import (
    CheckpointMismatchError,
    from_official_checkpoint,
    infer_official_config,
    to_official_state_dict,
)
from keras_sfnet.convert.official import resolve_stdc_aliases
from keras_sfnet.models.configurations import get_configuration
from keras_sfnet.models.sfnet import deep_supervision_outputs

# Manifest entry -> our configuration name.
MANIFEST_TO_NAME = {
    "sfnet_r18": "sfnet_r18",
    "sfnet_r50": "sfnet_r50",
    "sfnet_r101": "sfnet_r101",
    "sfnet_dfv1": "sfnet_dfv1",
    "sfnet_dfv1+dsn": "sfnet_dfv1_dsn",
    "sfnet_dfv2": "sfnet_dfv2",
    "sfnet_dfv2+dsn": "sfnet_dfv2_dsn",
    "sfnet_stdc1": "sfnet_stdc1",
    "sfnet_stdc2": "sfnet_stdc2",
    "sfnet_lite_r18": "sfnet_lite_r18",
    "sfnet_lite_stdc1": "sfnet_lite_stdc1",
    "sfnet_lite_stdc2": "sfnet_lite_stdc2",
}
HEAVY = ("sfnet_r50", "sfnet_r101")
GOLDEN = ("sfnet_dfv1_dsn", "sfnet_dfv2", "sfnet_lite_r18", "sfnet_lite_stdc2")
BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def _manifest(reference_dir):
    return json.loads((reference_dir / "zoo" / "manifest.json").read_text())


def _trainable(model) -> int:
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def _entries():
    return [pytest.param(k, marks=pytest.mark.slow) if k in HEAVY else k for k in MANIFEST_TO_NAME]


@pytest.mark.parametrize("entry", _entries())
def test_params_and_names_equal_the_authors_eval_network(entry, reference_dir):
    """Trainable params == params_used_in_eval; every used tensor has exactly one layer."""
    manifest = _manifest(reference_dir)[entry]
    config = get_configuration(MANIFEST_TO_NAME[entry])
    assert config.params == manifest["params_used_in_eval"]
    model = SFNet.from_name(config.name, num_classes=manifest["num_classes"])
    assert _trainable(model) == manifest["params_used_in_eval"]
    used = {k: tuple(s) for k, s, u in manifest["state_dict"] if u and not k.endswith(BUFFERS[2])}
    used = resolve_stdc_aliases(used)
    ours = {k: v.shape for k, v in to_official_state_dict(model).items()}
    assert ours == used
    # Architecture inference from the authors' names alone.
    shapes = {k: np.zeros(s, "float16") for k, s, _ in manifest["state_dict"]}
    inferred = infer_official_config(shapes)
    assert inferred["backbone"] == config.backbone
    assert inferred["head"] == config.head
    assert inferred["deep_supervision"] == config.deep_supervision


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_logits(name, reference_dir, caplog):
    zoo = reference_dir / "zoo"
    with caplog.at_level(logging.INFO, logger="keras_sfnet.weights.official"):
        model = from_official_checkpoint(zoo / f"golden_{name}_fp16.pth")
    skipped = [r.getMessage() for r in caplog.records if "never calls" in r.getMessage()]
    if "lite" in name:
        assert len(skipped) == 1 and "head.dsn.*" in skipped[0]
    if "stdc" in name:
        assert "backbone.linear.*" in skipped[0]
    io = np.load(zoo / f"golden_{name}_io.npz")
    out = model(io["input_nchw"].transpose(0, 2, 3, 1))
    logits = np.asarray(out["logits"] if isinstance(out, dict) else out).transpose(0, 3, 1, 2)
    reference = io["logits_nchw"]
    error = np.linalg.norm(logits - reference) / np.linalg.norm(reference)
    assert error < 1e-4
    assert (logits.argmax(1) == reference.argmax(1)).mean() > 0.999


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "moving_variance" in w.path:
            w.assign(rng.uniform(0.5, 1.5, w.shape).astype("float32"))
        else:
            w.assign((0.1 * rng.standard_normal(w.shape)).astype("float32"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["sfnet_dfv1_dsn", "sfnet_dfv2", "sfnet_stdc1", "sfnet_shufflenetv2", "sfnet_lite_stdc1"],
)
def test_fresh_checkpoint_round_trip(name):
    """Our weights under the authors' names convert back to the same network (96x160)."""
    source = SFNet.from_name(name, num_classes=5)
    _randomize(source, seed=0)
    state_dict = {
        f"module.{k}": v.astype("float16") for k, v in to_official_state_dict(source).items()
    }
    for key in list(state_dict):
        if ".features." in key:  # STDC checkpoints carry aliases and the ImageNet classifier
            index = key.split(".")[3]
            state_dict[key.replace(f"features.{index}.", f"x32.0.{index}.")] = state_dict[key]
    if "stdc" in name:
        state_dict["module.backbone.linear.weight"] = np.zeros((1000, 1024), "float16")
    rebuilt = from_official_checkpoint({"state_dict": state_dict})
    assert rebuilt.num_classes == 5 and rebuilt.backbone_name == source.backbone_name
    x = np.random.default_rng(1).standard_normal((1, 96, 160, 3)).astype("float32")
    expected = source.inference_model()(x)
    source_fp16 = SFNet.from_name(name, num_classes=5)
    source_fp16.set_weights([w.astype("float16").astype("float32") for w in source.get_weights()])
    np.testing.assert_allclose(
        rebuilt.inference_model()(x), source_fp16.inference_model()(x), rtol=1e-4, atol=1e-4
    )
    assert expected.shape == (1, 96, 160, 5)


AUTHORS = os.environ.get("SFSEGNETS_CHECKOUT")


@pytest.mark.slow
@pytest.mark.parametrize("entry", [k for k in MANIFEST_TO_NAME if k not in HEAVY])
def test_against_the_authors_code_at_a_new_size(entry):
    """Random weights in the authors' PyTorch network, converted, at 112x176 (not in shared/)."""
    torch = pytest.importorskip("torch")
    if not AUTHORS or not Path(AUTHORS, "network").is_dir():
        pytest.skip("set SFSEGNETS_CHECKOUT to a checkout of lxtGH/SFSegNets to compare")
    from keras_sfnet.benchmark.torch_reference import load_authors_network

    config = get_configuration(MANIFEST_TO_NAME[entry])
    torch.manual_seed(0)
    net = load_authors_network(
        AUTHORS, config.backbone, 19, head=config.head, deep_supervision=config.deep_supervision
    )
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    state_dict = {k: v.numpy() for k, v in net.state_dict().items()}
    model = from_official_checkpoint(state_dict)
    x = np.random.default_rng(0).standard_normal((1, 3, 112, 176)).astype("float32")
    with torch.no_grad():
        reference = net(torch.from_numpy(x)).numpy()
    out = model.inference_model()(x.transpose(0, 2, 3, 1))
    logits = np.asarray(out).transpose(0, 3, 1, 2)
    assert np.linalg.norm(logits - reference) / np.linalg.norm(reference) < 1e-4


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [c.name for c in list_models() if c.backbone not in ("resnet50", "resnet101")],
)
def test_keras_round_trip(name, tmp_path):
    model = SFNet.from_name(name, num_classes=3)
    _randomize(model, seed=2)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.head == model.head and loaded.backbone_name == model.backbone_name
    x = np.random.default_rng(3).standard_normal((1, 64, 96, 3)).astype("float32")
    a, b = model(x), loaded(x)
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
        a, b = a["logits"], b["logits"]
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "name, levels, aux",
    [
        ("sfnet_dfv1_dsn", ("flow_p4", "flow_p5_stage4"), ("aux_p5_stage4", "aux_p4")),
        ("sfnet_dfv2_dsn", ("flow_p3", "flow_p4"), ("aux_p4", "aux_p3")),
        ("sfnet_lite_stdc1", ("flow_p2", "flow_p2_self"), ()),
    ],
)
def test_outputs_flows_and_strides(name, levels, aux):
    model = SFNet.from_name(name, num_classes=4)
    x = np.zeros((2, 64, 96, 3), "float32")
    assert model.aux_output_names == aux
    out = model.flow_model()(x)
    assert sorted(out) == sorted(("logits", *levels))
    assert out["logits"].shape == (2, 64, 96, 4)
    assert all(out[k].shape[-1] == 2 and out[k].dtype == "float32" for k in levels)
    if aux:
        train_out = model(x, training=False)
        assert list(train_out) == ["logits", *aux]
        assert deep_supervision_outputs(model.backbone_name) == ("logits", *aux)


def test_list_models_names_sources_and_costs():
    configs = list_models()
    names = [c.name for c in configs]
    assert len(names) == len(set(names)) >= 14
    for config in configs:
        assert config.source and config.params > 0
        assert 0 < config.gmacs_1024x1024 < config.gmacs_1024x2048
    assert get_configuration("sfnet_lite_stdcv1").name == "sfnet_lite_stdc1"


def test_shufflenet_v2_params():
    model = SFNet.from_name("sfnet_shufflenetv2", num_classes=19)
    assert _trainable(model) == get_configuration("sfnet_shufflenetv2").params


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backbone": "dfnet3"}, r"`backbone` must be one of \['resnet18'.*'dfnet1'"),
        ({"backbone": "dfnet1", "head": "lite"}, r"no `head='lite'` on backbone='dfnet1'.*stdc1"),
        ({"head": "v3"}, r"`head` must be one of \['v1', 'lite'\]"),
        ({"head": "lite", "deep_supervision": True}, "no deep supervision"),
        ({"backbone": "stdc1", "stem": "standard"}, "ResNet backbones only"),
    ],
)
def test_bad_family_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SFNet(num_classes=3, **kwargs)


def test_unknown_configuration_lists_the_names():
    with pytest.raises(ValueError, match=r"must be one of \['sfnet_r18'.*sfnet_lite_stdc2"):
        SFNet.from_name("sfnet_lite_r50")


def test_unsupported_checkpoints_name_the_tensor(reference_dir):
    foreign = {"encoder.conv1.weight": np.zeros((8, 3, 3, 3)), "head.conv_last.1.weight": 0}
    with pytest.raises(CheckpointMismatchError, match=r"'encoder.conv1.weight'.*sfnet_lite_stdc2"):
        infer_official_config(foreign)
    # The authors' STDC1 FPN baseline has no flow alignment.
    entry = _manifest(reference_dir)["fpn_stdc1"]
    shapes = {k: np.zeros(s, "float16") for k, s, _ in entry["state_dict"]}
    with pytest.raises(CheckpointMismatchError, match="no flow alignment.*sfnet_dfv1"):
        from_official_checkpoint(shapes)


@pytest.mark.parametrize("name", ["sfnet_lite_stdc1", "sfnet_dfv1_dsn", "sfnet_shufflenetv2"])
def test_mixed_precision_outputs_stay_float32(name, mixed_precision):
    model = SFNet.from_name(name, num_classes=3)
    out = model(np.random.default_rng(0).standard_normal((1, 64, 64, 3)).astype("float32"))
    for value in out.values() if isinstance(out, dict) else [out]:
        assert value.dtype == "float32" and np.isfinite(np.asarray(value)).all()
    flows = model.flow_model()(np.zeros((1, 64, 64, 3), "float32"))
    assert all(v.dtype == "float32" for v in flows.values())


def test_new_layers_serialize():
    from keras_sfnet.layers import AlignedFPN, ChannelShuffle, GatedFlowAlignment, LiteAlignedFPN

    pyramid = {
        k: np.random.default_rng(i).standard_normal((1, s, s, 8)).astype("float32")
        for i, (k, s) in enumerate((("P2", 16), ("P4", 4), ("P5_stage4", 2), ("P5", 2)))
    }
    for layer, inputs, key in [
        (AlignedFPN(8, levels=("P4", "P5_stage4", "P5")), pyramid, "features"),
        (LiteAlignedFPN(8), pyramid, "features"),
        (GatedFlowAlignment(4), [pyramid["P2"], pyramid["P4"]], None),
        (ChannelShuffle(4), pyramid["P2"], None),
    ]:
        out = layer(inputs)
        clone = layer.__class__.from_config(layer.get_config())
        clone(inputs)
        clone.set_weights(layer.get_weights())
        a, b = (out[key], clone(inputs)[key]) if key else (out, clone(inputs))
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert AlignedFPN(8, levels=("P4", "P5_stage4", "P5"))(pyramid)["features"].shape == (
        1,
        4,
        4,
        8,
    )
    with pytest.raises(ValueError, match="at least 2 distinct"):
        AlignedFPN(8, levels=("P5",))
