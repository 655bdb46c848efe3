"""The light encoders (DFNet, STDC, ShuffleNetV2) and their ImageNet weight layouts."""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest

from keras_sfnet.backbones import (
    DFNetBackbone,
    ShuffleNetV2Backbone,
    STDCBackbone,
    get_backbone,
)
from keras_sfnet.backbones.padded_conv import avg_pool_3x3_s2
from keras_sfnet.convert import CheckpointMismatchError, load_backbone_weights
from keras_sfnet.convert.encoder_names import encoder_name_table
from keras_sfnet.convert.official import to_official_state_dict
from keras_sfnet.layers import ChannelShuffle, ChannelSplit

# torchvision's shufflenet_v2_x1_0 has 2,278,604 parameters, 1,025,000 in its fc.
TORCHVISION_SHUFFLENET_V2_TRUNK_PARAMS = 2_278_604 - 1_025_000
ENTRY_OF = {
    "dfnet1": "sfnet_dfv1",
    "dfnet2": "sfnet_dfv2",
    "stdc1": "sfnet_stdc1",
    "stdc2": "sfnet_stdc2",
}


def _manifest(reference_dir):
    return json.loads((reference_dir / "zoo" / "manifest.json").read_text())


def _used_backbone_tensors(entry):
    """``{name without 'backbone.': shape}`` of the trunk tensors an eval pass uses (one alias)."""
    tensors = {}
    for key, shape, used in entry["state_dict"]:
        if used and key.startswith("backbone.") and not key.startswith("backbone.x"):
            tensors[key.removeprefix("backbone.")] = tuple(shape)
    return tensors


def _trainable(model) -> int:
    return sum(math.prod(w.shape) for w in model.trainable_weights)


@pytest.mark.parametrize(
    "name, levels",
    [
        ("dfnet1", {"P4": (4, 128), "P5_stage4": (2, 256), "P5": (2, 512)}),
        ("dfnet2", {"P3": (8, 128), "P4": (4, 256), "P5": (2, 512)}),
        ("stdc1", {"P2": (16, 64), "P3": (8, 256), "P4": (4, 512), "P5": (2, 1024)}),
        ("shufflenetv2", {"P2": (16, 24), "P3": (8, 116), "P4": (4, 232), "P5": (2, 464)}),
    ],
)
def test_encoder_pyramid(name, levels):
    backbone = get_backbone(name)
    pyramid = backbone(np.zeros((1, 64, 64, 3), "float32"))
    got = {k: (int(v.shape[1]), int(v.shape[3])) for k, v in pyramid.items()}
    assert got == levels
    assert set(backbone.decoder_levels) == set(levels)


@pytest.mark.parametrize("name", ["dfnet1", "dfnet2", "stdc1", "stdc2"])
def test_encoder_params_equal_the_authors_trunk(name, reference_dir):
    expected = _used_backbone_tensors(_manifest(reference_dir)[ENTRY_OF[name]])
    params = sum(
        math.prod(s)
        for k, s in expected.items()
        if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))
    )
    backbone = get_backbone(name)
    assert _trainable(backbone) == params
    # Every trunk tensor the authors' eval pass uses has exactly one layer.
    table = encoder_name_table(backbone, prefix="")
    ours = set(to_official_state_dict(backbone))
    assert ours == {k for k in expected if not k.endswith("num_batches_tracked")}
    assert len(table) == len({n for n, _ in table})


def test_shufflenet_v2_params_equal_torchvision():
    assert _trainable(ShuffleNetV2Backbone(p5="conv5")) == TORCHVISION_SHUFFLENET_V2_TRUNK_PARAMS


def test_avg_pool_counts_padding_like_pytorch():
    x = np.random.default_rng(0).random((1, 5, 6, 2)).astype("float32")
    inputs = keras.Input((5, 6, 2))
    got = keras.Model(inputs, avg_pool_3x3_s2(inputs, "pool"))(x).numpy()
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    want = np.stack(
        [
            np.stack(
                [padded[0, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3].sum((0, 1)) / 9 for j in range(3)]
            )
            for i in range(3)
        ]
    )[None]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_channel_shuffle_and_split_match_torchvision_layout():
    x = np.arange(2 * 3 * 8, dtype="float32").reshape(2, 1, 3, 8)
    got = ChannelShuffle(2)(x).numpy()
    # torchvision: view(b, 2, c/2, h, w).transpose(1, 2).reshape(b, c, h, w)
    nchw = x.transpose(0, 3, 1, 2)
    want = nchw.reshape(2, 2, 4, 1, 3).transpose(0, 2, 1, 3, 4).reshape(2, 8, 1, 3)
    np.testing.assert_array_equal(got, want.transpose(0, 2, 3, 1))
    a, b = ChannelSplit()(x)
    np.testing.assert_array_equal(np.concatenate([a, b], -1), x)
    with pytest.raises(ValueError, match="divisible"):
        ChannelShuffle(3)(x)


def _random_state_dict(shapes, seed):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(s).astype("float32") for k, s in shapes.items()}


@pytest.mark.parametrize("name", ["dfnet1", "stdc2"])
def test_load_authors_imagenet_files(name, reference_dir):
    """df*_imagenet.pth: bare trunk + classifier; STDCNet*.tar: {"state_dict"} with aliases."""
    entry = _manifest(reference_dir)[ENTRY_OF[name]]
    shapes = {
        k.removeprefix("backbone."): tuple(s)
        for k, s, _ in entry["state_dict"]
        if k.startswith("backbone.")
    }
    state_dict = _random_state_dict(shapes, seed=1)
    if name.startswith("dfnet"):
        state_dict["fc.weight"] = np.zeros((1000, 512), "float32")
        state_dict["fc.bias"] = np.zeros((1000,), "float32")
        checkpoint = state_dict
    else:
        assert "x2.0.0.conv.weight" in state_dict and "linear.weight" in state_dict
        for key in list(state_dict):  # aliases are the same tensors
            if key.startswith("x"):
                stride, index, rest = key.split(".", 3)[0], key.split(".")[2], key.split(".", 3)[3]
                state_dict[key] = state_dict[f"features.{index}.{rest}"]
                assert stride in ("x2", "x4", "x8", "x16", "x32")
        checkpoint = {"state_dict": state_dict, "epoch": 3}
    backbone = get_backbone(name)
    load_backbone_weights(backbone, checkpoint)
    back = to_official_state_dict(backbone)
    for key, value in back.items():
        np.testing.assert_array_equal(value, state_dict[key])


def test_load_torchvision_shufflenet_v2():
    source = ShuffleNetV2Backbone(p5="conv5")
    rng = np.random.default_rng(2)
    for w in source.weights:
        w.assign(rng.standard_normal(w.shape).astype("float32"))
    state_dict = to_official_state_dict(source)
    assert "stage2.0.branch1.0.weight" in state_dict
    assert state_dict["stage2.0.branch1.0.weight"].shape == (24, 1, 3, 3)
    assert state_dict["conv5.0.weight"].shape == (1024, 464, 1, 1)
    state_dict["fc.weight"] = np.zeros((1000, 1024), "float32")
    state_dict["fc.bias"] = np.zeros((1000,), "float32")
    x = rng.standard_normal((1, 64, 64, 3)).astype("float32")
    for p5 in ("conv5", "stage4"):
        target = ShuffleNetV2Backbone(p5=p5)
        load_backbone_weights(target, state_dict)
        np.testing.assert_allclose(target(x)["P4"], source(x)["P4"], rtol=1e-5, atol=1e-5)


def test_load_backbone_weights_names_the_misfit(reference_dir):
    entry = _manifest(reference_dir)["sfnet_dfv1"]
    shapes = {k: tuple(s) for k, s, _ in entry["state_dict"] if k.startswith("backbone.")}
    state_dict = _random_state_dict(shapes, seed=3)
    with pytest.raises(CheckpointMismatchError, match="backbone.stage2_1.0.conv1.weight"):
        load_backbone_weights(DFNetBackbone(version=2), state_dict)


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (DFNetBackbone, {"version": 3}),
        (STDCBackbone, {"version": 0}),
        (ShuffleNetV2Backbone, {"p5": "conv6"}),
    ],
)
def test_bad_encoder_arguments(cls, kwargs):
    with pytest.raises(ValueError, match="must be one of"):
        cls(**kwargs)


def test_shufflenet_v2_trunk_matches_torchvision():
    """Our trunk with torchvision's weights reproduces its stage outputs (odd input size)."""
    torch = pytest.importorskip("torch")
    models = pytest.importorskip(
        "torchvision.models", reason="torchvision is not installed (optional: trunk parity)"
    )
    torch.manual_seed(0)
    net = models.shufflenet_v2_x1_0(weights=None).eval()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 1.5)
    backbone = ShuffleNetV2Backbone(p5="conv5")
    load_backbone_weights(backbone, {k: v.numpy() for k, v in net.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 3, 70, 98)).astype("float32")
    with torch.no_grad():
        t = torch.from_numpy(x)
        p2 = net.maxpool(net.conv1(t))
        p3 = net.stage2(p2)
        p4 = net.stage3(p3)
        p5 = net.conv5(net.stage4(p4))
    ours = backbone(x.transpose(0, 2, 3, 1))
    for key, reference in zip(("P2", "P3", "P4", "P5"), (p2, p3, p4, p5)):
        reference = reference.numpy().transpose(0, 2, 3, 1)
        error = np.linalg.norm(ours[key] - reference) / np.linalg.norm(reference)
        assert error < 1e-5, key
