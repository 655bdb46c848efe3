"""Tests of tools/predict.py and keras_sfnet.inference.predict_files."""

from __future__ import annotations

import importlib.util
import os

import cv2
import numpy as np
import pytest

import keras_sfnet
from keras_sfnet.data import get_dataset_info
from keras_sfnet.inference import Segmenter, list_inputs, predict_files

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "predict_tool", os.path.join(REPO, "tools", "predict.py")
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.fixture(scope="module")
def model():
    return keras_sfnet.SFNet("resnet18", num_classes=19, decoder_filters=16)


@pytest.fixture(scope="module")
def model_path(model, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("model") / "tiny.keras")
    model.save(path)
    return path


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), rng.integers(0, 256, (37, 53, 3), dtype=np.uint8))
    (images / "b_corrupt.jpg").write_bytes(b"not an image at all")
    cv2.imwrite(str(images / "c.jpg"), rng.integers(0, 256, (64, 40, 3), dtype=np.uint8))
    (images / "notes.txt").write_text("ignored")
    return images


def test_tool_folder_with_corrupt_file(model_path, folder, tmp_path, capsys):
    out = tmp_path / "out"
    code = _load_tool().main(["--model", model_path, "--input", str(folder), "--output", str(out)])
    assert code == 1
    captured = capsys.readouterr()
    assert "b_corrupt.jpg" in captured.err and "1 input(s) failed" in captured.err
    for stem, shape in (("a", (37, 53)), ("c", (64, 40))):
        classes = cv2.imread(str(out / f"{stem}_classes.png"), cv2.IMREAD_UNCHANGED)
        assert classes.shape == shape and classes.max() < 19
        assert cv2.imread(str(out / f"{stem}_color.png")).shape == shape + (3,)
        assert cv2.imread(str(out / f"{stem}_overlay.png")).shape == shape + (3,)
    assert not list(out.glob("b_corrupt*"))
    assert (out / "legend.png").exists()


def test_tool_show_flow_glob(model_path, folder, tmp_path):
    out = tmp_path / "out"
    code = _load_tool().main(
        ["--model", model_path, "--input", str(folder / "*.png"), "--output", str(out),
         "--show-flow", "--outputs", "color", "--quiet"]
    )  # fmt: skip
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        ["legend.png", "classes.json", "a_color.png"]
        + [f"a_flow_p{level}_{kind}.png" for level in (2, 3, 4) for kind in ("arrows", "color")]
    )
    arrows = cv2.imread(str(out / "a_flow_p2_arrows.png"))
    # The 37x53 picture under a title bar (level, stride, arrow scale).
    assert arrows.shape[1:] == (53, 3) and arrows.shape[0] > 37


def test_tool_missing_input(model_path, tmp_path, capsys):
    code = _load_tool().main(
        ["--model", model_path, "--input", str(tmp_path / "nope.png"), "--output", str(tmp_path)]
    )
    assert code == 2  # checked before the model loads
    assert capsys.readouterr().err.startswith(f"error: --input '{tmp_path / 'nope.png'}' does not")


def test_predict_files_video(model, tmp_path):
    video = str(tmp_path / "clip.avi")
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"MJPG"), 5, (48, 32))
    if not writer.isOpened():
        pytest.skip("OpenCV has no MJPG writer here")
    for i in range(5):
        writer.write(np.full((32, 48, 3), 40 * i, np.uint8))
    writer.release()
    report = predict_files(
        Segmenter(model),
        video,
        tmp_path / "out",
        info=get_dataset_info("cityscapes"),
        outputs=("classes",),
        every=2,
        verbose=0,
    )
    assert report.ok and report.num_predicted == 3
    frames = sorted(p.name for p in (tmp_path / "out" / "clip").iterdir())
    assert frames == [f"clip_{i:06d}_classes.png" for i in (0, 2, 4)]
    # The annotated video: one overlay frame per predicted frame, the source size.
    annotated = cv2.VideoCapture(str(tmp_path / "out" / "clip_overlay.mp4"))
    assert annotated.isOpened()
    assert int(annotated.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    ok, first = annotated.read()
    annotated.release()
    assert ok and first.shape == (32, 48, 3)


def test_predict_files_errors(model, folder, tmp_path):
    segmenter = Segmenter(model)
    with pytest.raises(ValueError, match="`outputs` must be a subset"):
        predict_files(segmenter, folder, tmp_path, outputs=("mask",))
    with pytest.raises(ValueError, match="19 classes but dataset 'camvid' has 11"):
        predict_files(segmenter, folder, tmp_path, info=get_dataset_info("camvid"))
    with pytest.raises(FileNotFoundError, match="No files match"):
        list_inputs(str(tmp_path / "*.bmp"))
    assert [os.path.basename(p) for p in list_inputs(folder)] == ["a.png", "b_corrupt.jpg", "c.jpg"]


def test_tool_uses_the_classes_the_model_records(folder, tmp_path, capsys):
    """A 3-class model of one's own predicts with its class names, .keras or preset alike."""
    import json

    from keras_sfnet.data import DatasetInfo
    from keras_sfnet.inference import load_model_classes, save_model_classes

    model = keras_sfnet.SFNet("resnet18", num_classes=3, decoder_filters=16)
    info = DatasetInfo(name="folder", num_classes=3, class_names=["sky", "cat", "dog"])
    path = str(tmp_path / "mine.keras")
    model.save(path)
    save_model_classes(path, info)
    assert list(load_model_classes(path).class_names) == ["sky", "cat", "dog"]
    model.save_to_preset(tmp_path / "preset", class_names=["sea", "boat", "gull"], palette=[
        [0, 0, 200], [200, 0, 0], [250, 250, 250]])  # fmt: skip
    tool = _load_tool()
    image = str(folder / "a.png")
    for source, names in ((path, ["sky", "cat", "dog"]), (str(tmp_path / "preset"), ["sea", "boat", "gull"])):  # fmt: skip
        out = tmp_path / f"out_{os.path.basename(source)}"
        assert tool.main(["--model", source, "--input", image, "--output", str(out), "--quiet"]) == 0
        classes = json.loads((out / "classes.json").read_text())
        assert classes["class_names"] == names
        assert len(classes["palette"]) == 3 and (out / "legend.png").exists()
    assert classes["palette"][0] == [0, 0, 200]  # the preset's own colours
    out = tmp_path / "named"
    argv = ["--model", path, "--input", image, "--output", str(out), "--quiet"]
    assert tool.main([*argv, "--class-names", "a,b,c"]) == 0
    assert json.loads((out / "classes.json").read_text())["class_names"] == ["a", "b", "c"]
    capsys.readouterr()
    assert tool.main([*argv, "--dataset", "cityscapes"]) == 1
    assert "predicts 3 classes but dataset 'cityscapes' has 19" in capsys.readouterr().err
