"""Cityscapes test-server submission: completeness check and zip layout."""

from __future__ import annotations

import importlib.util
import os
import zipfile

import cv2
import numpy as np
import pytest

from keras_sfnet.data.synthetic import generate_synthetic_cityscapes
from keras_sfnet.evaluation import (
    check_cityscapes_submission,
    write_cityscapes_prediction,
    write_cityscapes_submission_zip,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEMS = [f"synthdorf_000000_{i:06d}" for i in range(3)]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return generate_synthetic_cityscapes(
        tmp_path_factory.mktemp("cityscapes"), num_train=0, num_val=0, num_test=3,
        image_size=(32, 64),
    )  # fmt: skip


def _predict_all(root, folder, skip=()):
    rng = np.random.default_rng(0)
    for stem in STEMS:
        if stem not in skip:
            image = os.path.join(root, "leftImg8bit", "test", "synthdorf", f"{stem}_leftImg8bit.png")
            write_cityscapes_prediction(rng.integers(0, 19, (32, 64)), image, folder)


def test_zip_holds_one_label_id_png_per_test_image(root, tmp_path):
    _predict_all(root, tmp_path)
    path = write_cityscapes_submission_zip(root, tmp_path)
    assert path == os.path.join(str(tmp_path), "cityscapes_submission.zip")
    with zipfile.ZipFile(path) as z:
        names = sorted(z.namelist())
        assert names == [f"{s}_leftImg8bit.png" for s in STEMS]  # flat, benchmark names
        label = cv2.imdecode(np.frombuffer(z.read(names[0]), np.uint8), cv2.IMREAD_UNCHANGED)
    assert label.shape == (32, 64) and label.dtype == np.uint8
    assert set(np.unique(label).tolist()) <= {7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25,
                                              26, 27, 28, 31, 32, 33}  # fmt: skip


def test_check_reports_missing_stray_and_malformed_predictions(root, tmp_path):
    _predict_all(root, tmp_path, skip=(STEMS[1],))
    with pytest.raises(ValueError, match=f"missing: 1 .*{STEMS[1]}_leftImg8bit.png"):
        check_cityscapes_submission(root, tmp_path)
    _predict_all(root, tmp_path)
    cv2.imwrite(str(tmp_path / "berlin_000000_000019_leftImg8bit.png"), np.zeros((32, 64), np.uint8))
    with pytest.raises(ValueError, match="stray: 1"):
        check_cityscapes_submission(root, tmp_path)
    os.remove(tmp_path / "berlin_000000_000019_leftImg8bit.png")
    assert sorted(check_cityscapes_submission(root, tmp_path)) == STEMS
    # trainIds instead of labelIds, and a wrong size.
    cv2.imwrite(str(tmp_path / f"{STEMS[0]}_leftImg8bit.png"), np.full((32, 64), 2, np.uint8))
    cv2.imwrite(str(tmp_path / f"{STEMS[2]}_leftImg8bit.png"), np.full((16, 64), 7, np.uint8))
    with pytest.raises(ValueError, match="bad: 2 .*not labelIds.*size 16x64"):
        check_cityscapes_submission(root, tmp_path)


def test_evaluate_tool_writes_the_submission(root, tmp_path, capsys):
    import keras_sfnet

    model_path = str(tmp_path / "tiny.keras")
    keras_sfnet.SFNet("resnet18", num_classes=19, decoder_filters=16).save(model_path)
    spec = importlib.util.spec_from_file_location(
        "evaluate_tool", os.path.join(REPO, "tools", "evaluate.py")
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    output = tmp_path / "submission"
    code = tool.main(
        ["--model", model_path, "--data-root", root, "--split", "test", "--output", str(output),
         "--quiet"]
    )  # fmt: skip
    assert code == 0
    with zipfile.ZipFile(output / "cityscapes_submission.zip") as z:
        assert sorted(z.namelist()) == [f"{s}_leftImg8bit.png" for s in STEMS]
    assert "cityscapes_submission.zip" in capsys.readouterr().out
