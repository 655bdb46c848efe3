"""The Keras model API: fine-tuning to new classes, presets, compile() defaults, dtype."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types

import keras
import numpy as np
import pytest

import keras_sfnet
from keras_sfnet.weights import load_preset_metadata, load_pretrained_weights
from keras_sfnet.weights.presets import CONFIG_FILE, METADATA_FILE, PREPROCESSOR_FILE, WEIGHTS_FILE

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
HEAD_LAYERS = ("classifier", "p2_aux", "p3_aux", "p4_aux")


def tiny(num_classes=4, deep_supervision=False, seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    return keras_sfnet.SFNet(
        "resnet18",
        num_classes=num_classes,
        deep_supervision=deep_supervision,
        decoder_filters=16,
        dropout=0.0,
        **kwargs,
    )


def images(batch=2, size=(64, 64), seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, *size, 3)).astype(np.float32)


def labels(batch=2, size=(64, 64), num_classes=4, seed=1):
    y = np.random.default_rng(seed).integers(0, num_classes, size=(batch, *size))
    y[:, :4] = 255  # unlabelled pixels are ignored
    return y.astype(np.int32)


def weights_by_path(model):
    return {v.path: keras.ops.convert_to_numpy(v) for v in model.weights}


def in_head(path):
    return path.split("/")[0] in HEAD_LAYERS


def assert_same_except_heads(a, b):
    wa, wb = weights_by_path(a), weights_by_path(b)
    shared = [p for p in wa if p in wb and not in_head(p)]
    assert len(shared) > 100
    for path in shared:
        np.testing.assert_array_equal(wa[path], wb[path], err_msg=path)


# -- fine-tuning -------------------------------------------------------------------


def _synthetic_batch(batch=2, size=(64, 128)):
    """Street scenes, 5 classes: road, sidewalk, building, vegetation/terrain, sky."""
    from keras_sfnet.data.synthetic import render_street_scene

    to_class = np.full(256, 255, np.uint8)
    for label_id, cls in ((7, 0), (8, 1), (11, 2), (21, 3), (22, 3), (23, 4)):
        to_class[label_id] = cls
    xs, ys = [], []
    for seed in range(batch):
        image, label_ids = render_street_scene(seed, size)
        xs.append((image.astype(np.float32) / 255.0 - MEAN) / STD)
        ys.append(to_class[label_ids])
    return np.stack(xs), np.stack(ys).astype(np.int32)


@pytest.mark.slow
def test_fine_tune_golden_checkpoint_to_five_classes(reference_dir):
    from keras_sfnet.convert import from_official_checkpoint
    from keras_sfnet.convert.torch_checkpoint import read_state_dict

    state_dict = read_state_dict(reference_dir / "golden_sfnet_r18_fp16.pth")
    keras.utils.set_random_seed(0)
    model = from_official_checkpoint(state_dict, num_classes=5)
    assert model.num_classes == 5 and tuple(model.classifier.kernel.shape) == (1, 1, 128, 5)
    # Before the first step every non-head weight is the checkpoint's.
    reference = from_official_checkpoint(state_dict)
    assert_same_except_heads(model, reference)
    assert not np.allclose(
        model.classifier.kernel.numpy()[..., :5].ravel()[:50],
        reference.classifier.kernel.numpy()[..., :5].ravel()[:50],
    )
    x, y = _synthetic_batch()
    assert (y != 255).mean() > 0.5
    model.compile(learning_rate=0.01, decay_steps=100, jit_compile=False)
    history = model.fit(x, y, batch_size=2, epochs=4, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0], losses


def test_load_pretrained_weights_keeps_all_but_the_class_heads(tmp_path, caplog):
    pretrained = tiny(num_classes=4, deep_supervision=True, seed=1)
    pretrained.save_weights(tmp_path / "m.weights.h5")
    pretrained.save(tmp_path / "m.keras")
    for source in (tmp_path / "m.keras", tmp_path / "m.weights.h5"):
        model = tiny(num_classes=3, deep_supervision=True, seed=2)
        fresh_kernel = model.classifier.kernel.numpy().copy()
        with caplog.at_level("INFO", logger="keras_sfnet.weights.transfer"):
            fresh = load_pretrained_weights(model, source)
        assert fresh == [
            "classifier",
            "p2_aux/classifier",
            "p3_aux/classifier",
            "p4_aux/classifier",
        ]
        assert "freshly initialised" in caplog.text and "classifier" in caplog.text
        np.testing.assert_array_equal(model.classifier.kernel.numpy(), fresh_kernel)
        wa, wb = weights_by_path(model), weights_by_path(pretrained)
        for path in wa:
            if "classifier" not in path:
                np.testing.assert_array_equal(wa[path], wb[path], err_msg=path)
        # The auxiliary heads' 3x3 convs are not class-specific: they are kept.
        np.testing.assert_array_equal(wa["p2_aux/conv/conv/kernel"], wb["p2_aux/conv/conv/kernel"])


def test_pretrained_heads_are_dropped_or_added_with_deep_supervision():
    with_aux = tiny(num_classes=4, deep_supervision=True, seed=1)
    plain = tiny(num_classes=4, seed=2)
    assert load_pretrained_weights(plain, with_aux) == []
    np.testing.assert_array_equal(
        plain.classifier.kernel.numpy(), with_aux.classifier.kernel.numpy()
    )
    target = tiny(num_classes=4, deep_supervision=True, seed=3)
    assert load_pretrained_weights(target, plain) == ["p2_aux/classifier", "p2_aux/conv/bn", "p2_aux/conv/conv", "p3_aux/classifier", "p3_aux/conv/bn", "p3_aux/conv/conv", "p4_aux/classifier", "p4_aux/conv/bn", "p4_aux/conv/conv"]  # fmt: skip


def test_mismatched_architecture_is_an_error_and_assigns_nothing():
    model = tiny(num_classes=3)
    before = model.get_weights()
    wider = keras_sfnet.SFNet("resnet18", num_classes=3, decoder_filters=32)
    with pytest.raises(ValueError, match="do not fit the model: 'decoder/.*has shape"):
        load_pretrained_weights(model, wider)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="init_from"):
        load_pretrained_weights(model, tiny(num_classes=5), allow_new_heads=False)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_pretrained_weights(model, "missing.keras")


def test_train_config_init_from_and_exact_initial_weights(tmp_path):
    from keras_sfnet.training import TrainConfig, build_training_model

    pretrained = tiny(num_classes=4, seed=1)
    pretrained.save_to_preset(tmp_path / "preset")
    pretrained.save(tmp_path / "m.keras")
    config = TrainConfig(
        dataset="synthetic", decoder_filters=16, init_from=str(tmp_path / "preset")
    )
    model = build_training_model(config, num_classes=3)
    assert model.num_classes == 3
    assert_same_except_heads(model, pretrained)
    # `initial_weights` is an exact copy: a head of another size is refused.
    exact = config.replace(init_from=None, initial_weights=str(tmp_path / "m.keras"))
    with pytest.raises(ValueError, match="'classifier/.*has shape"):
        build_training_model(exact, num_classes=3)
    model = build_training_model(exact, num_classes=4)
    np.testing.assert_array_equal(
        model.classifier.kernel.numpy(), pretrained.classifier.kernel.numpy()
    )
    with pytest.raises(ValueError, match="Set one of `init_from`"):
        config.replace(initial_weights=str(tmp_path / "m.keras"))


# -- presets -----------------------------------------------------------------------


def test_preset_round_trip(tmp_path):
    model = tiny(num_classes=4, deep_supervision=True)
    x = images()
    palette = [[128, 64, 128], [244, 35, 232], [70, 70, 70], [0, 0, 142]]
    model.save_to_preset(
        tmp_path / "p", class_names=["road", "walk", "wall", "car"], palette=palette, mean_iou=0.5
    )
    names = sorted(os.listdir(tmp_path / "p"))
    assert names == sorted([CONFIG_FILE, WEIGHTS_FILE, PREPROCESSOR_FILE, METADATA_FILE])
    config = json.loads((tmp_path / "p" / CONFIG_FILE).read_text())
    assert config["class_name"] == "SFNet" and config["registered_name"] == "keras_sfnet>SFNet"
    metadata = load_preset_metadata(tmp_path / "p")
    assert metadata["class_names"][3] == "car" and metadata["palette"] == palette
    assert metadata["mean_iou"] == 0.5 and metadata["parameter_count"] == model.count_params()
    loaded = keras_sfnet.SFNet.from_preset(tmp_path / "p")
    a, b = model(x, training=False), loaded(x, training=False)
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy())
    other = keras_sfnet.SFNet.from_preset(tmp_path / "p", num_classes=6)
    assert tuple(other(x)["logits"].shape) == (2, 64, 64, 6)
    assert_same_except_heads(other, model)
    with pytest.raises(ValueError, match="one entry per class"):
        model.save_to_preset(tmp_path / "q", class_names=["a"])


def test_segmenter_from_preset(tmp_path):
    tiny(num_classes=4).save_to_preset(tmp_path / "p")
    segmenter = keras_sfnet.Segmenter.from_preset(tmp_path / "p")
    out = segmenter.predict(np.zeros((37, 45, 3), np.uint8))
    assert out.shape == (37, 45) and out.max() < 4


def test_hub_handles_download_through_the_hub_libraries(tmp_path, monkeypatch):
    model = tiny(num_classes=4)
    model.save_to_preset(tmp_path / "p")
    calls = []

    def hf_hub_download(repo_id, filename):
        calls.append(("hf", repo_id, filename))
        return str(tmp_path / "p" / filename)

    def model_download(handle, path):
        calls.append(("kaggle", handle, path))
        return str(tmp_path / "p" / path)

    monkeypatch.setitem(
        sys.modules, "huggingface_hub", types.SimpleNamespace(hf_hub_download=hf_hub_download)
    )
    monkeypatch.setitem(
        sys.modules, "kagglehub", types.SimpleNamespace(model_download=model_download)
    )
    x = images(1)
    hf = keras_sfnet.SFNet.from_preset("hf://me/sfnet-tiny")
    np.testing.assert_array_equal(hf(x).numpy(), model(x).numpy())
    assert ("hf", "me/sfnet-tiny", WEIGHTS_FILE) in calls
    kaggle = keras_sfnet.SFNet.from_preset("kaggle://me/sfnet/keras/tiny/1")
    np.testing.assert_array_equal(kaggle.classifier.kernel.numpy(), model.classifier.kernel.numpy())
    assert ("kaggle", "me/sfnet/keras/tiny/1", CONFIG_FILE) in calls
    monkeypatch.setitem(sys.modules, "kagglehub", None)  # not installed
    with pytest.raises(ImportError, match="needs the `kagglehub` package"):
        keras_sfnet.SFNet.from_preset("kaggle://me/sfnet/keras/tiny/1")
    with pytest.raises(FileNotFoundError, match="neither a folder"):
        keras_sfnet.SFNet.from_preset(tmp_path / "nothing")


# -- compile() defaults ------------------------------------------------------------


@pytest.mark.parametrize("deep_supervision", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_compile_without_arguments_then_fit(deep_supervision, tmp_path):
    from keras_sfnet.losses import SegmentationCrossEntropy
    from keras_sfnet.training import CoupledWeightDecaySGD, PolyDecay

    model = tiny(num_classes=4, deep_supervision=deep_supervision)
    model.compile()
    assert isinstance(model.optimizer, CoupledWeightDecaySGD)
    schedule = keras.saving.deserialize_keras_object(model.optimizer.get_config()["learning_rate"])
    assert isinstance(schedule, PolyDecay) and model.optimizer.get_config()["momentum"] == 0.9
    x, y = images(), labels()
    before = model.classifier.kernel.numpy().copy()
    history = model.fit(x, y, batch_size=2, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert not np.allclose(before, model.classifier.kernel.numpy())
    if deep_supervision:
        assert {"aux_p4_loss", "aux_p2_loss", "logits_loss", "logits_mean_iou"} <= set(
            history.history
        )
        assert model.loss["aux_p3"].ignore_index == 255
        losses = [
            history.history[f"{k}_loss"][-1] for k in ("logits", "aux_p4", "aux_p3", "aux_p2")
        ]
        np.testing.assert_allclose(history.history["loss"][-1], sum(losses), rtol=1e-4)
        # The compiled model reloads compiled, optimizer state included.
        model.save(tmp_path / "m.keras")
        loaded = keras.saving.load_model(tmp_path / "m.keras")
        assert isinstance(loaded.optimizer, CoupledWeightDecaySGD)
        assert int(loaded.optimizer.iterations.numpy()) == 2
        assert set(loaded.loss) == {"logits", "aux_p4", "aux_p3", "aux_p2"}
    else:
        assert isinstance(model.loss, SegmentationCrossEntropy)
        assert "mean_iou" in history.history


def test_compile_ohem_and_explicit_arguments_pass_through():
    from keras_sfnet.losses import OHEMCrossEntropy

    model = tiny(num_classes=4)
    model.compile(loss="ohem", ignore_index=0)
    assert isinstance(model.loss, OHEMCrossEntropy) and model.loss.ignore_index == 0
    model.compile(optimizer="adam", loss="mse", metrics=[])
    assert isinstance(model.optimizer, keras.optimizers.Adam) and model.loss == "mse"


# -- dtype, input checks, saving ----------------------------------------------------


def test_mixed_precision_keras_round_trip_keeps_the_policy(tmp_path):
    model = tiny(num_classes=3, dtype="mixed_float16")
    assert keras.config.dtype_policy().name == "float32"  # not changed globally
    assert model.dtype_policy.name == "mixed_float16"
    assert model.get_layer("decoder").compute_dtype == "float16"
    assert model.backbone.get_layer("stem_conv1").compute_dtype == "float16"
    assert model.get_config()["dtype"]["config"]["name"] == "mixed_float16"
    x = images(1)
    logits = model(x, training=False)
    assert logits.dtype == "float32"
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.dtype_policy.name == "mixed_float16"
    assert loaded.get_layer("decoder").compute_dtype == "float16"
    np.testing.assert_array_equal(loaded(x, training=False).numpy(), logits.numpy())
    model.compile()  # mixed_float16 gets loss scaling, as any Keras model
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert tiny(num_classes=3).dtype_policy.name == "float32"


def test_four_channel_input_gets_the_library_message():
    model = tiny(num_classes=3)
    with pytest.raises(ValueError, match="3-channel RGB images.*RGBA"):
        model(np.zeros((1, 32, 32, 4), np.float32))
    with pytest.raises(ValueError, match="3-channel RGB images"):
        model.predict(np.zeros((1, 32, 32, 4), np.float32), verbose=0)


@pytest.mark.slow
def test_load_model_in_a_fresh_process(tmp_path):
    tiny(num_classes=3).save(tmp_path / "m.keras")
    script = textwrap.dedent(
        f"""
        import keras
        try:
            keras.saving.load_model({str(tmp_path / "m.keras")!r})
        except Exception as error:
            print("WITHOUT-IMPORT:", error)
        import keras_sfnet
        model = keras.saving.load_model({str(tmp_path / "m.keras")!r})
        print("WITH-IMPORT:", type(model).__name__, model.num_classes)
        """
    )
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": repo, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env,
        timeout=300, check=True,
    )  # fmt: skip
    out = result.stdout
    without = out.split("WITHOUT-IMPORT:")[1].split("WITH-IMPORT:")[0]
    # Keras 3 imports only its own packages by module name: the message names
    # keras_sfnet's module and asks for it to be imported first.
    assert "SFNet" in without and "keras_sfnet.models.sfnet" in without and "imported" in without
    assert "WITH-IMPORT: SFNet 3" in out


def test_convert_tool_writes_a_preset(tmp_path, reference_dir, capsys):
    import importlib.util

    path = os.path.join(os.path.dirname(__file__), "..", "tools", "convert_checkpoint.py")
    spec = importlib.util.spec_from_file_location("convert_checkpoint", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    checkpoint = str(reference_dir / "golden_sfnet_r18_fp16.pth")
    args = [checkpoint, "--preset", str(tmp_path / "p"), "--dataset", "cityscapes"]
    assert tool.main(args) == 0
    assert "wrote preset" in capsys.readouterr().out
    metadata = load_preset_metadata(tmp_path / "p")
    assert len(metadata["class_names"]) == 19 and metadata["class_names"][0] == "road"
    assert metadata["source"] == "golden_sfnet_r18_fp16.pth" and len(metadata["palette"]) == 19
    model = keras_sfnet.SFNet.from_preset(tmp_path / "p", num_classes=5)
    assert model.num_classes == 5 and model.backbone_name == "resnet18"
    assert tool.main([checkpoint, "--output", str(tmp_path / "m"), "--num-classes", "5"]) == 1
    assert "--init-from" in capsys.readouterr().err


# -- fine-tuning keeps the source's architecture -----------------------------------


@pytest.fixture(scope="module")
def plain_source(tmp_path_factory):
    """A non-dilated, 16-wide, 4-class model as `.keras`, preset and run checkpoint."""
    root = tmp_path_factory.mktemp("plain")
    model = tiny(num_classes=4, seed=1, dilated=False)
    model.save(root / "m.keras")
    model.save_to_preset(root / "preset")
    (root / "run" / "checkpoints").mkdir(parents=True)
    model.save_weights(root / "run" / "checkpoints" / "ckpt-5.weights.h5")
    from keras_sfnet.training import TrainConfig

    TrainConfig(dataset="synthetic", decoder_filters=16, dilated=False).save(
        root / "run" / "config.json"
    )
    return model, root


def test_init_from_builds_the_source_architecture(plain_source, caplog):
    from keras_sfnet.training import TrainConfig, build_training_model, resolve_architecture
    from keras_sfnet.weights import pretrained_architecture

    pretrained, root = plain_source
    sources = [root / "m.keras", root / "preset", root / "run/checkpoints/ckpt-5.weights.h5"]
    for source in sources:
        architecture = pretrained_architecture(source)
        assert architecture["dilated"] is False and architecture["decoder_filters"] == 16, source
    for source in sources[:2]:
        config = TrainConfig(dataset="synthetic", init_from=str(source))  # default: dilated
        resolved = resolve_architecture(config)
        assert resolved.dilated is False and resolved.decoder_filters == 16
        assert resolved.backbone == "resnet18" and resolved.decoder_options == {}
        model = build_training_model(resolved, num_classes=3)
        assert model.dilated is False and model.decoder_filters == 16
        assert model.num_classes == 3
        assert_same_except_heads(model, pretrained)
    # An override is kept, and logged with the source's value.
    config = TrainConfig(
        dataset="synthetic", init_from=str(root / "m.keras"), architecture_overrides=["dilated"]
    )
    with caplog.at_level("INFO"):
        resolved = resolve_architecture(config)
        model = build_training_model(resolved, num_classes=3)
    assert resolved.dilated is True and model.dilated is True and resolved.decoder_filters == 16
    assert "Overriding the architecture" in caplog.text
    assert "dilated=True (source: False)" in caplog.text
    assert "dilated: False in the pretrained weights, True in the model" in caplog.text
    # An override that changes weight shapes: one error naming every differing field.
    wide = resolve_architecture(
        TrainConfig(dataset="synthetic", init_from=str(root / "m.keras"), decoder_filters=32,
                    stem="standard")
    )  # fmt: skip
    with pytest.raises(ValueError) as error:
        build_training_model(wide, num_classes=3)
    message = str(error.value)
    assert "stem: 'deep' in the pretrained weights, 'standard' in the model" in message
    assert "decoder_filters: 16 in the pretrained weights, 32 in the model" in message


def test_pretrained_model_and_weights_file_with_its_config(plain_source):
    from keras_sfnet.weights import pretrained_model

    pretrained, root = plain_source
    model = pretrained_model(root / "run/checkpoints/ckpt-5.weights.h5", num_classes=2)
    assert model.dilated is False and model.decoder_filters == 16 and model.num_classes == 2
    assert_same_except_heads(model, pretrained)
    same = pretrained_model(root / "preset")
    assert same.num_classes == 4 and same.dilated is False
    np.testing.assert_array_equal(same.classifier.kernel.numpy(), pretrained.classifier.kernel.numpy())
    # A plain model given a .weights.h5 with its config: the file's architecture, no error.
    target = tiny(num_classes=3, dilated=False)
    assert load_pretrained_weights(target, root / "run/checkpoints/ckpt-5.weights.h5") == [
        "classifier"
    ]


def test_preset_override_that_does_not_fit_names_every_field(plain_source, caplog):
    pretrained, root = plain_source
    with caplog.at_level("INFO"):
        dilated = keras_sfnet.SFNet.from_preset(root / "preset", dilated=True)
    assert dilated.dilated is True and dilated.decoder_filters == 16
    assert "dilated: False in the pretrained weights, True in the model" in caplog.text
    with pytest.raises(ValueError) as error:
        keras_sfnet.SFNet.from_preset(root / "preset", decoder_filters=32, stem="standard")
    message = str(error.value)
    assert "decoder_filters: 16 in the pretrained weights, 32 in the model" in message
    assert "stem: 'deep' in the pretrained weights, 'standard' in the model" in message
