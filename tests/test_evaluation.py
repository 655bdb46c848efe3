"""Tests of keras_sfnet.evaluation, against the Cityscapes benchmark's own evaluation."""

from __future__ import annotations

import glob
import importlib.util
import json
import math
import os

import cv2
import numpy as np
import pytest

import keras_sfnet
from keras_sfnet.data import get_dataset_info
from keras_sfnet.data.synthetic import generate_synthetic_cityscapes
from keras_sfnet.evaluation import (
    EvaluationResult,
    cityscapes_prediction_name,
    evaluate,
    predict_cityscapes_submission,
    train_ids_to_label_ids,
    write_cityscapes_prediction,
)
from keras_sfnet.inference import Segmenter
from keras_sfnet.metrics import ConfusionMatrix

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# labelIds that the benchmark ignores (trainId 255): unlabeled, ego vehicle, ..., parking.
IGNORED_LABEL_IDS = np.array([0, 1, 2, 3, 4, 5, 6, 9, 10, 14, 15, 16, 18, 29, 30])


def _benchmark(predictions: list[str], ground_truths: list[str]) -> dict:
    """Runs cityscapesscripts' pixel-level evaluation on PNG lists."""
    ev = pytest.importorskip("cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling")
    args = ev.args
    saved = (args.evalInstLevelScore, args.JSONOutput, args.quiet)
    args.evalInstLevelScore, args.JSONOutput, args.quiet = False, False, True
    try:
        return ev.evaluateImgLists(predictions, ground_truths, args)
    finally:
        args.evalInstLevelScore, args.JSONOutput, args.quiet = saved


def _assert_same_scores(result: EvaluationResult, benchmark: dict) -> None:
    assert math.isclose(result.miou, benchmark["averageScoreClasses"], rel_tol=0, abs_tol=1e-12)
    for name, value in result.per_class_iou.items():
        expected = benchmark["classScores"][name]
        if math.isnan(expected):
            assert math.isnan(value), name
        else:
            assert math.isclose(value, expected, rel_tol=0, abs_tol=1e-12), name


@pytest.fixture(scope="module")
def model():
    return keras_sfnet.SFNet("resnet18", num_classes=19, decoder_filters=16)


@pytest.fixture(scope="module")
def cityscapes_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cityscapes")
    return generate_synthetic_cityscapes(
        root, num_train=0, num_val=2, num_test=1, image_size=(64, 128)
    )


def test_metric_equals_cityscapesscripts_on_synthetic_predictions(tmp_path):
    """Random trainId predictions vs labels with ignored pixels and absent classes."""
    rng = np.random.default_rng(0)
    info = get_dataset_info("cityscapes")
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    confusion = ConfusionMatrix(19)
    gts, preds = [], []
    for i in range(3):
        # Classes 16..18 never occur in the labels; 18 is never predicted either (NaN IoU),
        # 16 and 17 are predicted (IoU 0).
        train_ids = rng.integers(0, 16, (40, 56))
        prediction = np.where(rng.random((40, 56)) < 0.6, train_ids, rng.integers(0, 18, (40, 56)))
        label_ids = train_ids_to_label_ids(train_ids)
        ignored = rng.random((40, 56)) < 0.2
        label_ids[ignored] = rng.choice(IGNORED_LABEL_IDS, ignored.sum())
        stem = f"synth_000000_{i:06d}"
        gt_path = str(gt_dir / f"{stem}_gtFine_labelIds.png")
        cv2.imwrite(gt_path, label_ids)
        gts.append(gt_path)
        preds.append(write_cityscapes_prediction(prediction, f"{stem}_leftImg8bit.png", pred_dir))
        # Our side reads the labelIds through the dataset's own mapping.
        confusion.update(info.lookup_table(256)[label_ids], prediction)
    result = EvaluationResult(confusion.counts, info.class_names, num_images=3)
    benchmark = _benchmark(preds, gts)
    _assert_same_scores(result, benchmark)
    assert math.isnan(result.per_class_iou["bicycle"])
    assert result.per_class_iou["train"] == 0.0


def test_evaluate_equals_cityscapesscripts_end_to_end(model, cityscapes_root, tmp_path):
    result = evaluate(
        model, data_root=cityscapes_root, split="val", predictions_dir=tmp_path, verbose=0
    )
    assert result.num_images == 2
    gts = sorted(glob.glob(os.path.join(cityscapes_root, "gtFine", "val", "*", "*_labelIds.png")))
    preds = [
        str(tmp_path / os.path.basename(g).replace("_gtFine_labelIds", "_leftImg8bit")) for g in gts
    ]
    assert all(os.path.exists(p) for p in preds)
    _assert_same_scores(result, _benchmark(preds, gts))
    assert 0.0 <= result.pixel_accuracy <= 1.0


@pytest.mark.slow  # 155 s under load 12 on 2 cores (--durations, 2026-12-01)
def test_evaluate_modes(model, cityscapes_root):
    whole = evaluate(model, data_root=cityscapes_root, max_images=1, verbose=0)
    same = evaluate(model, data_root=cityscapes_root, window=(64, 128), max_images=1, verbose=0)
    np.testing.assert_array_equal(whole.confusion_matrix, same.confusion_matrix)
    tta = evaluate(
        model,
        data_root=cityscapes_root,
        scales=(0.5, 1.75),
        flip=True,
        window=48,
        batch_size=4,
        max_images=1,
        verbose=0,
    )
    assert tta.num_images == 1
    assert tta.settings["scales"] == [0.5, 1.75] and tta.settings["flip"] is True
    assert tta.confusion_matrix.sum() > 0


def test_evaluate_on_user_data_and_errors(model):
    rng = np.random.default_rng(0)
    data = [
        (rng.integers(0, 256, (33, 47, 3), dtype=np.uint8), rng.integers(0, 19, (33, 47)))
        for _ in range(2)
    ]
    result = evaluate(Segmenter(model), data, dataset=None, verbose=0)
    assert result.num_images == 2 and result.class_names[0] == "class_0"
    with pytest.raises(ValueError, match="sizes differ"):
        evaluate(model, [(data[0][0], data[0][1][:10])], dataset=None, verbose=0)
    with pytest.raises(ValueError, match="19 classes but dataset 'camvid' has 11"):
        evaluate(model, data, info=get_dataset_info("camvid"), verbose=0)
    with pytest.raises(ValueError, match="`data_root` is required"):
        evaluate(model, verbose=0)


def test_evaluate_short_side_scores_at_label_resolution(model):
    rng = np.random.default_rng(1)
    data = [
        (rng.integers(0, 256, (33, 47, 3), dtype=np.uint8), rng.integers(0, 19, (33, 47)))
        for _ in range(2)
    ]
    plain = evaluate(model, data, dataset=None, verbose=0)
    same = evaluate(model, data, dataset=None, short_side=33, verbose=0)
    np.testing.assert_array_equal(plain.confusion_matrix, same.confusion_matrix)
    small = evaluate(model, data, dataset=None, short_side=16, verbose=0)
    assert small.confusion_matrix.sum() == 2 * 33 * 47
    assert small.settings["short_side"] == 16
    assert not np.array_equal(small.confusion_matrix, plain.confusion_matrix)
    with pytest.raises(ValueError, match="`short_side` must be a positive int"):
        evaluate(model, data, dataset=None, short_side=0, verbose=0)


def test_evaluation_result_json_and_table(tmp_path):
    result = EvaluationResult(np.array([[3, 1, 0], [0, 4, 0], [0, 0, 0]]), ["a", "b", "c"], 2)
    assert math.isclose(result.miou, 0.775)
    assert math.isclose(result.pixel_accuracy, 7 / 8)
    path = tmp_path / "sub" / "r.json"
    result.save_json(path)
    saved = json.loads(path.read_text())
    assert saved["per_class_iou"] == {"a": 0.75, "b": 0.8, "c": None}
    assert saved["num_images"] == 2 and math.isclose(saved["miou"], 0.775)
    table = result.format_table()
    assert "n/a" in table and "77.50" in table and "87.50" in table


def test_cityscapes_names_and_ids():
    assert train_ids_to_label_ids(np.array([[0, 1, 10, 18, 255]])).tolist() == [[7, 8, 23, 33, 0]]
    assert (
        cityscapes_prediction_name("a/b/lindau_000001_000019_leftImg8bit.png")
        == "lindau_000001_000019_leftImg8bit.png"
    )
    assert cityscapes_prediction_name("x/photo.jpg") == "photo.png"
    with pytest.raises(TypeError, match="integer trainIds"):
        train_ids_to_label_ids(np.zeros((2, 2), np.float32))


def test_cityscapes_submission(model, cityscapes_root, tmp_path):
    written = predict_cityscapes_submission(Segmenter(model), cityscapes_root, tmp_path, verbose=0)
    assert [os.path.basename(p) for p in written] == ["synthdorf_000000_000000_leftImg8bit.png"]
    values = np.unique(cv2.imread(written[0], cv2.IMREAD_UNCHANGED))
    assert set(values.tolist()) <= {
        7,
        8,
        11,
        12,
        13,
        17,
        19,
        20,
        21,
        22,
        23,
        24,
        25,
        26,
        27,
        28,
        31,
        32,
        33,
    }


def test_evaluate_tool(model, cityscapes_root, tmp_path, capsys):
    model_path = str(tmp_path / "tiny.keras")
    model.save(model_path)
    spec = importlib.util.spec_from_file_location(
        "evaluate_tool", os.path.join(REPO, "tools", "evaluate.py")
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    output = str(tmp_path / "result.json")
    code = tool.main(
        ["--model", model_path, "--data-root", cityscapes_root, "--split", "val", "--output", output,
         "--quiet", "--short-side", "48"]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "road" in printed and "mIoU" in printed
    saved = json.loads(open(output).read())
    assert {"miou", "per_class_iou", "pixel_accuracy", "num_images"} <= set(saved)
    assert saved["num_images"] == 2
    assert saved["settings"]["short_side"] == 48


def test_evaluate_tool_names_the_classes_the_model_records(tmp_path, capsys):
    """A model trained on a "folder" dataset: its class names in the table and JSON."""
    from keras_sfnet.data import DatasetInfo
    from keras_sfnet.inference import save_model_classes

    for split in ("val",):
        os.makedirs(tmp_path / "data" / "images" / split)
        os.makedirs(tmp_path / "data" / "masks" / split)
        for i in range(2):
            cv2.imwrite(str(tmp_path / "data" / "images" / split / f"{i}.png"),
                        np.full((32, 48, 3), 60 * i, np.uint8))  # fmt: skip
            cv2.imwrite(str(tmp_path / "data" / "masks" / split / f"{i}.png"),
                        np.full((32, 48), i, np.uint8))  # fmt: skip
    model = keras_sfnet.SFNet("resnet18", num_classes=3, decoder_filters=16)
    path = str(tmp_path / "mine.keras")
    model.save(path)
    save_model_classes(path, DatasetInfo(name="folder", num_classes=3,
                                         class_names=["sky", "cat", "dog"]))  # fmt: skip
    spec = importlib.util.spec_from_file_location("evaluate_tool", os.path.join(REPO, "tools", "evaluate.py"))  # fmt: skip
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    # No --dataset: the model's own ("folder"); its class names, not class_0..2.
    argv = ["--model", path, "--data-root", str(tmp_path / "data"), "--quiet"]
    assert tool.main(argv) == 0
    table = capsys.readouterr().out
    assert all(name in table for name in ("sky", "cat", "dog")) and "class_0" not in table
    scores = json.loads((tmp_path / "mine_folder_val.json").read_text())
    assert "dog" in json.dumps(scores) and "class_1" not in json.dumps(scores)
    assert tool.main([*argv, "--class-names", "a,b"]) == 1
    assert "predicts 3 classes. Received 2 class names" in capsys.readouterr().err
