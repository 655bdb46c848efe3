"""Checkpoint conversion: the golden case, every manifest architecture, errors, backbones."""

from __future__ import annotations

import json

import numpy as np
import pytest

import keras_sfnet
from keras_sfnet.backbones import ResNetBackbone
from keras_sfnet.convert import (
    CheckpointMismatchError,
    from_official_checkpoint,
    infer_official_config,
    load_backbone_weights,
    load_official_weights,
    to_official_state_dict,
)
from keras_sfnet.convert.torch_checkpoint import read_state_dict


def fake_state_dict(manifest_entry, seed=0):
    """Random tensors with the authors' names and shapes (BN variances positive)."""
    rng = np.random.default_rng(seed)
    sd = {}
    for name, shape in manifest_entry["state_dict"]:
        if name.endswith("num_batches_tracked"):
            continue
        if name.endswith("running_var"):
            sd[name] = rng.uniform(0.5, 2.0, shape).astype(np.float32)
        else:
            sd[name] = (rng.normal(size=shape) * 0.1).astype(np.float32)
    return sd


@pytest.fixture(scope="module")
def manifest(request):
    from conftest import REFERENCE

    path = REFERENCE / "official_state_dict_manifest.json"
    if not path.exists():
        pytest.skip(f"reference data not found at {REFERENCE}")
    return json.loads(path.read_text())


def test_golden_checkpoint_reproduces_the_authors_logits(reference_dir):
    model = from_official_checkpoint(
        reference_dir / "golden_sfnet_r18_fp16.pth", backbone="resnet18"
    )
    assert model.num_classes == 19 and not model.deep_supervision
    io = np.load(reference_dir / "golden_sfnet_r18_io.npz")
    x = io["input_nchw"].transpose(0, 2, 3, 1)
    expected = io["logits_nchw"].transpose(0, 2, 3, 1)
    assert x.shape == (1, 256, 512, 3)
    logits = model.predict(x, verbose=0)
    rel = np.linalg.norm(logits - expected) / np.linalg.norm(expected)
    assert rel < 1e-4, rel
    agreement = (logits.argmax(-1) == expected.argmax(-1)).mean()
    assert agreement > 0.999, agreement


def test_golden_state_dict_round_trips_through_the_model(reference_dir):
    sd = read_state_dict(reference_dir / "golden_sfnet_r18_fp16.pth")
    model = from_official_checkpoint(sd)
    back = to_official_state_dict(model)
    assert set(back) == set(sd)
    for name, array in sd.items():
        np.testing.assert_array_equal(back[name], array, err_msg=name)


@pytest.mark.slow
@pytest.mark.parametrize(
    "entry,backbone,dsn",
    [
        ("resnet-18-deep+dsn", "resnet18", True),
        ("resnet-50-deep", "resnet50", False),
        ("resnet-101-deep", "resnet101", False),
    ],
)
def test_every_manifest_architecture_converts(manifest, entry, backbone, dsn):
    sd = fake_state_dict(manifest[entry])
    config = infer_official_config(sd)
    assert config["backbone"] == backbone and config["deep_supervision"] is dsn
    assert config["num_classes"] == 19
    model = from_official_checkpoint(sd, input_shape=(None, None, 3))
    back = to_official_state_dict(model)
    assert set(back) == set(sd)
    for name in ("layer0.0.0.weight", "layer4.0.conv2.weight", "head.conv_last.1.bias"):
        np.testing.assert_array_equal(back[name], sd[name])
    out = model(np.zeros((1, 64, 64, 3), np.float32))
    logits = out["logits"] if dsn else out
    assert tuple(logits.shape) == (1, 64, 64, 19)


def test_module_prefix_and_wrapper_dict_are_accepted(manifest):
    sd = fake_state_dict(manifest["resnet-18-deep"])
    wrapped = {"state_dict": {f"module.{k}": v for k, v in sd.items()}, "epoch": 3, "mean_iu": 0.5}
    model = from_official_checkpoint(wrapped)
    np.testing.assert_array_equal(
        to_official_state_dict(model)["head.ppm.stages.3.1.weight"],
        sd["head.ppm.stages.3.1.weight"],
    )


def test_mismatch_names_the_first_tensor_that_does_not_fit(manifest):
    sd = fake_state_dict(manifest["resnet-18-deep"])
    with pytest.raises(
        CheckpointMismatchError,
        match=r"'head.conv_last.1.weight' has shape \(19, 128, 1, 1\) in the checkpoint, but the model expects \(21, 128, 1, 1\)",
    ):
        # (from_official_checkpoint(num_classes=21) fine-tunes instead: fresh classifier)
        load_official_weights(keras_sfnet.SFNet("resnet18", num_classes=21), sd)
    with pytest.raises(
        CheckpointMismatchError,
        match=r"'layer1.0.conv1.weight' has shape \(64, 128, 3, 3\).*expects \(64, 128, 1, 1\)",
    ):
        from_official_checkpoint(sd, backbone="resnet50")
    missing = dict(sd)
    del missing["head.fpn_in.1.0.bias"]
    with pytest.raises(
        CheckpointMismatchError,
        match=r"'head.fpn_in.1.0.bias' \(expected shape \(128,\)\) is missing",
    ):
        from_official_checkpoint(missing)
    extra = dict(sd, **{"head.extra.weight": np.zeros((3,), np.float32)})
    with pytest.raises(CheckpointMismatchError, match="does not use, first 'head.extra.weight'"):
        from_official_checkpoint(extra)
    with pytest.raises(CheckpointMismatchError, match="Unsupported SFNet checkpoint: its head has no"):
        from_official_checkpoint({k: v for k, v in sd.items() if not k.startswith("head.")})
    with pytest.raises(ValueError, match="`backbone` must be one of"):
        from_official_checkpoint(sd, backbone="vgg16")


def test_failed_load_assigns_nothing(manifest):
    sd = fake_state_dict(manifest["resnet-18-deep"])
    sd["head.conv_last.1.bias"] = np.zeros((7,), np.float32)
    model = keras_sfnet.SFNet("resnet18", num_classes=19)
    before = [w.numpy().copy() for w in model.weights[:3]]
    with pytest.raises(CheckpointMismatchError):
        load_official_weights(model, sd)
    for a, w in zip(before, model.weights[:3], strict=True):
        np.testing.assert_array_equal(a, w.numpy())


def test_authors_imagenet_backbone_file_loads(manifest):
    sd = fake_state_dict(manifest["resnet-18-deep"])
    rename = {
        "layer0.0.0": "conv1.0",
        "layer0.0.1": "conv1.1",
        "layer0.0.3": "conv1.3",
        "layer0.0.4": "conv1.4",
        "layer0.0.6": "conv1.6",
        "layer0.1": "bn1",
    }
    imagenet = {}
    for k, v in sd.items():
        if k.startswith("head."):
            continue
        prefix, leaf = k.rsplit(".", 1)
        imagenet[f"{rename.get(prefix, prefix)}.{leaf}"] = v
    imagenet["fc.weight"] = np.zeros((1000, 512), np.float32)
    imagenet["fc.bias"] = np.zeros((1000,), np.float32)
    backbone = ResNetBackbone(18)
    load_backbone_weights(backbone, imagenet)
    np.testing.assert_array_equal(
        backbone.get_layer("stem_conv2").kernel.numpy(),
        sd["layer0.0.3.weight"].transpose(2, 3, 1, 0),
    )
    np.testing.assert_array_equal(
        backbone.get_layer("stem_bn3").moving_variance.numpy(), sd["layer0.1.running_var"]
    )
    # An SFNet checkpoint's trunk loads into a backbone too (head ignored).
    load_backbone_weights(ResNetBackbone(18), sd)


def test_torchvision_resnet_state_dict_loads():
    source = ResNetBackbone(50, stem="standard", dilated=False)
    rng = np.random.default_rng(1)
    for w in source.weights:
        w.assign(rng.uniform(0.5, 1.5, w.shape).astype(np.float32))
    sd = to_official_state_dict(source)
    assert "conv1.weight" in sd and sd["conv1.weight"].shape == (64, 3, 7, 7)
    sd["fc.weight"] = np.zeros((1000, 2048), np.float32)
    target = ResNetBackbone(50, stem="standard", dilated=False)
    load_backbone_weights(target, sd)
    x = rng.normal(size=(1, 45, 61, 3)).astype(np.float32)
    np.testing.assert_allclose(target(x)["P5"].numpy(), source(x)["P5"].numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="stem='standard'"):
        load_backbone_weights(ResNetBackbone(18), {"conv1.weight": np.zeros((64, 3, 7, 7))})


def _torch_resnet_d(depth):
    """A PyTorch ResNet-D trunk written from docs/architecture.md, with the authors' names."""
    torch = pytest.importorskip(
        "torch", reason="torch not installed: the independent trunk check needs it"
    )
    nn = torch.nn
    blocks = {18: (2, 2, 2, 2), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}[depth]
    expansion = 1 if depth == 18 else 4

    class Block(nn.Module):
        def __init__(self, inplanes, planes, stride, dilation):
            super().__init__()
            if depth == 18:
                self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
                self.conv2 = nn.Conv2d(planes, planes, 3, 1, dilation, dilation, bias=False)
            else:
                self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
                self.conv2 = nn.Conv2d(planes, planes, 3, stride, dilation, dilation, bias=False)
                self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
                self.bn3 = nn.BatchNorm2d(planes * 4)
            self.bn1, self.bn2 = nn.BatchNorm2d(planes), nn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inplanes != planes * expansion:
                self.downsample = nn.Sequential(
                    nn.Conv2d(inplanes, planes * expansion, 1, stride, bias=False),
                    nn.BatchNorm2d(planes * expansion),
                )

        def forward(self, x):
            y = torch.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            if depth != 18:
                y = self.bn3(self.conv3(torch.relu(y)))
            return torch.relu(y + (x if self.downsample is None else self.downsample(x)))

    class Trunk(nn.Module):
        def __init__(self):
            super().__init__()
            stem = nn.Sequential(
                nn.Conv2d(3, 64, 3, 2, 1, bias=False),
                nn.BatchNorm2d(64),
                nn.ReLU(),
                nn.Conv2d(64, 64, 3, 1, 1, bias=False),
                nn.BatchNorm2d(64),
                nn.ReLU(),
                nn.Conv2d(64, 128, 3, 1, 1, bias=False),
            )
            self.layer0 = nn.Sequential(stem, nn.BatchNorm2d(128), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
            inplanes = 128
            for i, (planes, n, dilation) in enumerate(
                zip((64, 128, 256, 512), blocks, (1, 1, 2, 4), strict=True)
            ):
                layers = []
                for b in range(n):
                    stride = 2 if (i > 0 and b == 0) else 1
                    layers.append(Block(inplanes, planes, stride, dilation))
                    inplanes = planes * expansion
                setattr(self, f"layer{i + 1}", nn.Sequential(*layers))

        def forward(self, x):
            x = self.layer0(x)
            outs = []
            for i in range(1, 5):
                x = getattr(self, f"layer{i}")(x)
                outs.append(x)
            return outs

    return torch, Trunk().eval()


@pytest.mark.slow
@pytest.mark.parametrize("depth", [18, 50])
def test_trunk_matches_an_independent_pytorch_resnet_d(depth):
    torch, trunk = _torch_resnet_d(depth)
    backbone = ResNetBackbone(depth)
    rng = np.random.default_rng(2)
    for w in backbone.weights:
        if len(w.shape) == 4:  # He-scaled conv kernels keep activations O(1) through the trunk
            value = rng.normal(size=w.shape) * np.sqrt(1.0 / np.prod(w.shape[:3]))
        elif "variance" in w.path:
            value = rng.uniform(0.5, 1.5, w.shape)
        else:
            value = rng.normal(size=w.shape) * 0.2 + (1.0 if "gamma" in w.path else 0.0)
        w.assign(value.astype(np.float32))
    sd = {k: torch.from_numpy(v) for k, v in to_official_state_dict(backbone).items()}
    missing, unexpected = trunk.load_state_dict(sd, strict=False)
    assert not unexpected and all("num_batches" in k for k in missing)
    x = rng.normal(size=(1, 67, 91, 3)).astype(np.float32)  # odd sizes: padding matters
    with torch.no_grad():
        expected = [
            t.permute(0, 2, 3, 1).numpy() for t in trunk(torch.from_numpy(x).permute(0, 3, 1, 2))
        ]
    got = backbone(x)
    for level, ref in zip(("P2", "P3", "P4", "P5"), expected, strict=True):
        out = got[level].numpy()
        assert out.shape == ref.shape, level
        rel = np.linalg.norm(out - ref) / np.linalg.norm(ref)
        assert rel < 1e-4, (level, rel)
