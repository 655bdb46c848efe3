"""SFNet's decoder switches: every ablation row builds, trains its config, round-trips."""

from __future__ import annotations

import glob
import json
import os

import keras
import numpy as np
import pytest

from keras_sfnet import SFNet
from keras_sfnet.ablation import ABLATION_ROWS, ablation_config, get_rows
from keras_sfnet.ablation.study import build_row_model
from keras_sfnet.layers import AlignedFPN, ConfigurableFPN, FCNHead, FlowAlignment
from keras_sfnet.models.decoder_switches import check_switches
from keras_sfnet.training import TrainConfig

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
R18_ROWS = [key for key, row in ABLATION_ROWS.items() if row.backbone == "resnet18"]


def _image(height=37, width=45, seed=0):
    return np.random.default_rng(seed).normal(size=(1, height, width, 3)).astype("float32")


@pytest.mark.slow
@pytest.mark.parametrize("key", R18_ROWS)
def test_every_row_gives_input_size_logits_at_an_odd_size(key):
    keras.utils.set_random_seed(0)
    model = build_row_model(ABLATION_ROWS[key], num_classes=3, decoder_filters=8)
    logits = model(_image())
    assert tuple(logits.shape) == (1, 37, 45, 3)
    assert np.all(np.isfinite(np.asarray(logits)))


def _fam_params(model):
    return sum(
        layer.count_params()
        for layer in model.decoder._flatten_layers()
        if isinstance(layer, FlowAlignment)
    )


def test_fpn_has_the_released_parameters_minus_the_fams():
    keras.utils.set_random_seed(0)
    released = SFNet(num_classes=5, decoder_filters=16)
    fpn = SFNet(num_classes=5, decoder_filters=16, decoder="fpn")
    assert isinstance(released.decoder, AlignedFPN)
    assert isinstance(fpn.decoder, ConfigurableFPN)
    assert _fam_params(fpn) == 0
    fam = _fam_params(released)
    assert fam == 3 * (16 * 8 * 2 + 3 * 3 * 16 * 2)
    assert fpn.count_params() == released.count_params() - fam
    # The released switches, spelled out, still build the released decoder.
    spelled = SFNet(num_classes=5, decoder_filters=16, fam_levels=["P5", "P4", "P3"])
    assert isinstance(spelled.decoder, AlignedFPN)


def test_configurable_decoder_with_released_switches_matches_aligned_fpn():
    keras.utils.set_random_seed(0)
    pyramid = {
        f"P{i}": np.random.default_rng(i)
        .normal(size=(1, 80 // 2**i, 72 // 2**i, 8))
        .astype("float32")
        for i in range(2, 6)
    }
    released = AlignedFPN(16, deep_supervision=True)
    configurable = ConfigurableFPN(16, deep_supervision=True)
    expected = released(pyramid)
    configurable(pyramid)
    assert configurable.count_params() == released.count_params()
    configurable.set_weights(released.get_weights())
    got = configurable(pyramid)
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(np.asarray(got[key]), np.asarray(expected[key]), atol=1e-5)


def test_fcn_rows_and_stride():
    keras.utils.set_random_seed(0)
    fcn = SFNet(num_classes=3, decoder_filters=8, decoder="fcn")
    dilated = SFNet(num_classes=3, decoder_filters=8, decoder="dilated_fcn")
    assert isinstance(fcn.decoder, FCNHead) and isinstance(dilated.decoder, FCNHead)
    assert fcn.count_params() == dilated.count_params()
    coarse = lambda m: keras.Model(m.input, m.get_layer("classifier").output)  # noqa: E731
    assert tuple(coarse(fcn)(_image(64, 64)).shape[1:3]) == (2, 2)
    assert tuple(coarse(dilated)(_image(64, 64)).shape[1:3]) == (8, 8)


@pytest.mark.parametrize(
    "switches",
    [
        {"decoder": "fcn", "context": "aspp"},
        {"alignment": "dcn", "fam_levels": ["P4"], "context": "non_local"},
        {"flow_estimator": "correlation", "fam_upsampling": "nearest", "final_fusion": "fam"},
    ],
)
def test_ablation_model_keras_round_trip(switches, tmp_path):
    keras.utils.set_random_seed(0)
    model = SFNet(num_classes=3, decoder_filters=8, **switches)
    x = _image(33, 41)
    expected = np.asarray(model(x))
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert reloaded.switches == model.switches
    np.testing.assert_allclose(np.asarray(reloaded(x)), expected, rtol=1e-5, atol=1e-5)


def test_deep_supervision_and_flows_follow_the_aligned_levels():
    keras.utils.set_random_seed(0)
    model = SFNet(num_classes=3, decoder_filters=8, deep_supervision=True, fam_levels=["P5", "P3"])
    out = model(_image(64, 64))
    assert sorted(out) == ["aux_p2", "aux_p3", "aux_p4", "logits"]
    flows = model.flow_model()(_image(64, 64))
    assert sorted(flows) == ["flow_p2", "flow_p4", "logits"]


@pytest.mark.parametrize(
    "switches, message",
    [
        ({"decoder": "unet"}, "decoder"),
        ({"context": "psp"}, "context"),
        ({"fam_levels": ["P2"]}, "fam_levels"),
        ({"flow_kernel_size": 4}, "flow_kernel_size"),
        ({"fam_upsampling": "bicubic"}, "fam_upsampling"),
        ({"alignment": "dcn", "flow_estimator": "correlation"}, "FAM options"),
        ({"decoder": "fpn", "fam_levels": ["P3"]}, "aligned_fpn"),
        ({"decoder": "fcn", "flow_kernel_size": 5}, "no FAM"),
    ],
)
def test_bad_switches_are_named(switches, message):
    with pytest.raises(ValueError, match=message):
        check_switches(switches)


def test_fcn_refuses_deep_supervision():
    with pytest.raises(ValueError, match="deep supervision"):
        check_switches({"decoder": "fcn"}, deep_supervision=True)


def test_config_files_are_one_per_row_and_load():
    paths = sorted(glob.glob(os.path.join(REPO, "configs", "ablations", "*.json")))
    assert [os.path.basename(p)[:-5] for p in paths] == sorted(ABLATION_ROWS)
    with open(os.path.join(REPO, "configs", "cityscapes_r18.json"), encoding="utf-8") as f:
        recipe = json.load(f)
    for path in paths:
        row = ABLATION_ROWS[os.path.basename(path)[:-5]]
        with open(path, encoding="utf-8") as f:
            assert json.load(f) == json.loads(json.dumps(ablation_config(row, recipe)))
        config = TrainConfig.from_file(path, data_root="/data/cityscapes")
        assert config.decoder_options == dict(row.decoder_options)
        check_switches(config.decoder_options, deep_supervision=config.deep_supervision)


def test_train_config_rejects_unknown_switches():
    with pytest.raises(ValueError, match="decoder_options"):
        TrainConfig(dataset="synthetic", decoder_options={"decoder_kind": "fpn"})


def test_get_rows_by_table_prefix():
    assert [r.key for r in get_rows(["2d"])] == [
        "2d_fpn_ppm", "2d_dcn_p5", "2d_fam_p5", "2d_dcn", "2d_fam",
    ]  # fmt: skip
    # An exact key wins over a prefix: "2d_fam" is not also "2d_fam_p5".
    assert [r.key for r in get_rows(["2d_fam", "1c_fam"])] == ["2d_fam", "1c_fam"]
    with pytest.raises(ValueError, match="Unknown ablation row"):
        get_rows(["9z"])


@pytest.mark.parametrize(
    "levels", [("P2", "P3", "P4", "P5"), ("P4", "P5_stage4", "P5"), ("P3", "P4", "P5")]
)
def test_configurable_decoder_on_other_levels_matches_aligned_fpn(levels):
    # DFNet's pyramids (v1, v2): the released switches give the released numbers.
    keras.utils.set_random_seed(0)
    strides = {"P2": 4, "P3": 8, "P4": 16, "P5_stage4": 32, "P5": 32}
    pyramid = {
        k: np.random.default_rng(i).normal(size=(1, 128 // strides[k], 96 // strides[k], 8))
        .astype("float32")
        for i, k in enumerate(levels)
    }
    released = AlignedFPN(16, deep_supervision=True, levels=levels)
    configurable = ConfigurableFPN(16, deep_supervision=True, levels=levels)
    expected = released(pyramid)
    configurable(pyramid)
    configurable.set_weights(released.get_weights())
    got = configurable(pyramid)
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(np.asarray(got[key]), np.asarray(expected[key]), atol=1e-5)
    plain = ConfigurableFPN(16, fam_levels=(), levels=levels)
    assert sorted(plain(pyramid)) == ["features"]
    with pytest.raises(ValueError, match="fam_levels"):
        ConfigurableFPN(16, fam_levels=("P2",), levels=levels)


@pytest.mark.parametrize("backbone", ["shufflenetv2", "dfnet1", "dfnet2"])
def test_light_backbone_fpn_baseline_is_the_released_network_minus_its_fams(backbone):
    # Table 1(d)'s light rows: FPN + PPM without FAM on ShuffleNetV2, DF1 and DF2.
    keras.utils.set_random_seed(0)
    released = SFNet(backbone, num_classes=5, decoder_filters=16)
    fpn = SFNet(backbone, num_classes=5, decoder_filters=16, decoder="fpn")
    assert isinstance(released.decoder, AlignedFPN)
    assert isinstance(fpn.decoder, ConfigurableFPN)
    assert _fam_params(fpn) == 0
    assert fpn.count_params() == released.count_params() - _fam_params(released) > 0
    assert tuple(fpn(_image(64, 64)).shape) == (1, 64, 64, 5)


def test_switches_on_dfnet_need_all_or_no_fam_levels():
    with pytest.raises(ValueError, match="only all levels"):
        SFNet("dfnet2", num_classes=3, decoder_filters=8, fam_levels=["P5"])
    with pytest.raises(ValueError, match="stride-8 dilated ResNet"):
        SFNet("dfnet1", num_classes=3, decoder_filters=8, decoder="dilated_fcn")
