"""SFNet: parameter counts, shapes, serialisation, mixed precision and input errors."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_sfnet
from keras_sfnet.backbones import ResNetBackbone

MANIFEST_MODELS = {
    "resnet-18-deep": ("resnet18", False),
    "resnet-18-deep+dsn": ("resnet18", True),
    "resnet-50-deep": ("resnet50", False),
    "resnet-101-deep": ("resnet101", False),
}


def tiny(**kwargs):
    kwargs.setdefault("num_classes", 4)
    kwargs.setdefault("decoder_filters", 16)
    return keras_sfnet.SFNet("resnet18", **kwargs)


def count(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


@pytest.mark.slow
@pytest.mark.parametrize("entry", sorted(MANIFEST_MODELS))
def test_trainable_parameters_equal_the_authors(entry, reference_dir):
    manifest = json.loads((reference_dir / "official_state_dict_manifest.json").read_text())[entry]
    backbone, dsn = MANIFEST_MODELS[entry]
    model = keras_sfnet.SFNet(backbone, num_classes=manifest["num_classes"], deep_supervision=dsn)
    assert count(model.trainable_weights) == manifest["params"]
    # Every tensor of the authors' state_dict (buffers included, num_batches_tracked excluded).
    torch_total = sum(
        int(np.prod(shape)) for name, shape in manifest["state_dict"] if "num_batches" not in name
    )
    assert count(model.weights) == torch_total


@pytest.mark.parametrize("size", [(64, 64), (97, 131), (33, 47)])
def test_any_size_gives_logits_at_input_size(size):
    model = tiny()
    x = np.random.default_rng(0).normal(size=(2, *size, 3)).astype(np.float32)
    y = model(x)
    assert tuple(y.shape) == (2, *size, 4)
    assert y.dtype == "float32"
    assert np.isfinite(y.numpy()).all()
    # Batch items are independent.
    np.testing.assert_allclose(model(x[1:]).numpy()[0], y.numpy()[1], atol=1e-4)


def test_dynamic_shape_graph_matches_eager():
    model = tiny()
    fn = tf.function(model, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    x = np.random.default_rng(1).normal(size=(1, 75, 99, 3)).astype(np.float32)
    np.testing.assert_allclose(fn(x).numpy(), model(x).numpy(), atol=1e-4)


def test_pyramid_strides():
    backbone = ResNetBackbone(18, input_shape=(128, 96, 3))
    shapes = {k: tuple(v.shape[1:]) for k, v in backbone.output.items()}
    assert shapes == {"P2": (32, 24, 64), "P3": (16, 12, 128), "P4": (8, 6, 256), "P5": (4, 3, 512)}
    bottleneck = ResNetBackbone(50, input_shape=(64, 64, 3))
    assert bottleneck.output["P5"].shape[1:] == (2, 2, 2048)


def test_dilations_are_switchable():
    dilated = ResNetBackbone(18)
    plain = ResNetBackbone(18, dilated=False)
    assert dilated.get_layer("stage3_block1_conv2").dilation_rate == (2, 2)
    assert dilated.get_layer("stage4_block2_conv2").dilation_rate == (4, 4)
    assert dilated.get_layer("stage3_block1_conv1").dilation_rate == (1, 1)
    assert plain.get_layer("stage4_block2_conv2").dilation_rate == (1, 1)
    standard = ResNetBackbone(18, stem="standard")
    assert standard.get_layer("stem_conv1").kernel_size == (7, 7)


def test_deep_supervision_outputs_and_inference_model():
    model = tiny(deep_supervision=True)
    x = np.zeros((1, 64, 96, 3), np.float32)
    out = model(x)
    assert set(out) == {"logits", "aux_p4", "aux_p3", "aux_p2"}
    assert tuple(out["logits"].shape) == (1, 64, 96, 4)
    assert tuple(out["aux_p4"].shape) == (1, 4, 6, 4)
    assert tuple(out["aux_p2"].shape) == (1, 16, 24, 4)
    logits = model.inference_model()(x)
    np.testing.assert_allclose(logits.numpy(), out["logits"].numpy(), atol=1e-6)


def test_flow_model_exposes_each_fam_flow():
    model = tiny()
    x = np.random.default_rng(2).normal(size=(1, 64, 64, 3)).astype(np.float32)
    out = model.flow_model()(x)
    assert tuple(out["flow_p4"].shape) == (1, 4, 4, 2)
    assert tuple(out["flow_p3"].shape) == (1, 8, 8, 2)
    assert tuple(out["flow_p2"].shape) == (1, 16, 16, 2)
    np.testing.assert_allclose(out["logits"].numpy(), model(x).numpy(), atol=1e-6)


@pytest.mark.parametrize("deep_supervision", [False, True])
def test_keras_file_round_trip(tmp_path, deep_supervision):
    model = tiny(deep_supervision=deep_supervision)
    # Non-trivial BN statistics so that a lost weight shows.
    for w in model.weights:
        w.assign(np.random.default_rng(len(w.path)).uniform(0.5, 1.5, w.shape).astype(np.float32))
    path = tmp_path / "sfnet.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # no custom_objects
    assert isinstance(loaded, keras_sfnet.SFNet)
    x = np.random.default_rng(3).normal(size=(1, 40, 56, 3)).astype(np.float32)
    a, b = model(x), loaded(x)
    if deep_supervision:
        a, b = a["logits"], b["logits"]
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert loaded.get_config() == model.get_config()


def test_custom_backbone_round_trip(tmp_path):
    backbone = ResNetBackbone(18, dilated=False, name="my_backbone")
    model = keras_sfnet.SFNet(backbone, num_classes=3, decoder_filters=16)
    path = tmp_path / "custom.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(4).normal(size=(1, 32, 32, 3)).astype(np.float32)
    np.testing.assert_array_equal(model(x).numpy(), loaded(x).numpy())


def test_mixed_precision_gives_finite_float32_logits(mixed_precision):
    model = tiny(deep_supervision=True)
    assert model.get_layer("decoder").compute_dtype == "float16"
    x = np.random.default_rng(5).normal(size=(2, 64, 64, 3)).astype(np.float32)
    out = model(x, training=False)
    for name, t in out.items():
        assert t.dtype == "float32", name
        assert np.isfinite(t.numpy()).all(), name
    flows = model.flow_model()(x)
    assert flows["flow_p2"].dtype == "float32"


def test_one_training_step_changes_weights():
    model = tiny()
    model.compile(
        optimizer=keras.optimizers.SGD(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x = np.random.default_rng(6).normal(size=(2, 32, 32, 3)).astype(np.float32)
    y = np.random.default_rng(7).integers(0, 4, size=(2, 32, 32))
    before = model.get_layer("classifier").kernel.numpy().copy()
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(before, model.get_layer("classifier").kernel.numpy())


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match=r"`backbone` must be one of \['resnet18'.*resnet19"):
        keras_sfnet.SFNet("resnet19")
    with pytest.raises(
        ValueError, match="`num_classes` must be an integer >= 1. Received: num_classes=0"
    ):
        keras_sfnet.SFNet("resnet18", num_classes=0)
    with pytest.raises(ValueError, match="3 channels"):
        keras_sfnet.SFNet("resnet18", input_shape=(None, None, 4))
    with pytest.raises(ValueError, match=r"\(height, width, channels\)"):
        keras_sfnet.SFNet("resnet18", input_shape=(None, 3))
    with pytest.raises(ValueError, match="`stem` must be one of"):
        keras_sfnet.SFNet("resnet18", stem="wide")


def test_bad_inputs_raise_clear_errors():
    model = tiny()
    with pytest.raises(ValueError, match=r"3-channel RGB.*inputs.shape=\(1, 32, 32, 4\)"):
        model(np.zeros((1, 32, 32, 4), np.float32))
    with pytest.raises(ValueError, match=r"Received: inputs.shape=\(32, 32, 3\). Add a batch axis"):
        model(np.zeros((32, 32, 3), np.float32))
    with pytest.raises(ValueError, match="Received: inputs.dtype=uint8"):
        model(np.zeros((1, 32, 32, 3), np.uint8))
