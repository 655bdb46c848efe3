"""Acceptance: `tools/train.py` learns on a small Cityscapes-layout dataset of its own."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]

# Cityscapes labelIds and the train ids they map to.
ROAD, VEGETATION, SKY, CAR = 7, 21, 23, 26
TRAIN_IDS = {ROAD: 0, VEGETATION: 8, SKY: 10, CAR: 13}
COLORS = {ROAD: (128, 128, 128), VEGETATION: (40, 160, 40), SKY: (90, 150, 240), CAR: (220, 30, 30)}


def _scene(rng: np.random.Generator, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Sky above a random horizon, vegetation band, road below, one or two cars."""
    label = np.full((height, width), ROAD, np.uint8)
    horizon = int(rng.integers(height // 4, height // 2))
    label[:horizon] = SKY
    band = int(rng.integers(3, height // 6))
    label[horizon : horizon + band] = VEGETATION
    for _ in range(int(rng.integers(1, 3))):
        h, w = int(rng.integers(8, height // 3)), int(rng.integers(12, width // 3))
        y = int(rng.integers(horizon + band, height - h))
        x = int(rng.integers(0, width - w))
        label[y : y + h, x : x + w] = CAR
    label[-2:, :4] = 1  # a little "ego vehicle" (ignored)
    image = np.zeros((height, width, 3), np.float32)
    for label_id, color in COLORS.items():
        image[label == label_id] = color
    image += rng.normal(0, 12, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), label


def make_tiny_cityscapes(root: Path, num_train: int = 8, num_val: int = 2, size=(64, 128)) -> Path:
    rng = np.random.default_rng(123)
    for split, count, city in (("train", num_train, "tinytown"), ("val", num_val, "tinyville")):
        image_dir = root / "leftImg8bit" / split / city
        label_dir = root / "gtFine" / split / city
        image_dir.mkdir(parents=True)
        label_dir.mkdir(parents=True)
        for i in range(count):
            image, label = _scene(rng, *size)
            stem = f"{city}_000000_{i:06d}"
            cv2.imwrite(str(image_dir / f"{stem}_leftImg8bit.png"), image[..., ::-1])
            cv2.imwrite(str(label_dir / f"{stem}_gtFine_labelIds.png"), label)
    return root


def _train(tool, argv: list[str]):
    """Runs the tool's work as the command line would, returning the `TrainResult`."""
    return tool.run(tool.build_parser().parse_args(argv))


def _load_tool():
    spec = importlib.util.spec_from_file_location("train_tool", REPO / "tools" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def train_tool():
    return _load_tool()


def _tool_args(data_root: Path, output: Path, *extra: str) -> list[str]:
    return [
        "--dataset", "cityscapes", "--data-root", str(data_root), "--output", str(output),
        "--backbone", "resnet18", "--decoder-filters", "16", "--crop-size", "64", "64",
        "--batch-size", "4", "--lr", "0.05", "--loss", "cross_entropy",
        "--augmentation", "crop_only", "--verbose", "0", "--no-tensorboard", *extra,
    ]  # fmt: skip


@pytest.mark.slow
def test_train_tool_learns_tiny_cityscapes(tmp_path, train_tool):
    data_root = make_tiny_cityscapes(tmp_path / "tiny_cityscapes")
    output = tmp_path / "run"
    result = _train(
        train_tool, _tool_args(data_root, output, "--steps", "40", "--steps-per-epoch", "10")
    )

    assert result.step == 40
    assert result.optimizer_iterations == 40
    losses = result.history["loss"]
    assert len(losses) == 4
    assert losses[-1] < 0.6 * losses[0], losses
    # 4 of 19 classes are present: predicting one class everywhere scores < 0.25/4.
    miou = result.history["val_mean_iou"][-1]
    assert miou > 0.3, result.history

    assert (output / "model.keras").is_file()
    assert (output / "config.json").is_file()
    state = json.loads((output / "checkpoints" / "last.json").read_text())
    assert state["step"] == 40 and state["optimizer_iterations"] == 40
    assert (output / "checkpoints" / state["weights"]).is_file()
    assert (output / "checkpoints" / "best.keras").is_file()
    best = json.loads((output / "checkpoints" / "best.json").read_text())
    assert best["monitor"] == "val_mean_iou"
    assert best["value"] == pytest.approx(max(result.history["val_mean_iou"]))
    with open(output / "logs" / "training.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [10, 20, 30, 40]
    assert {"loss", "val_loss", "mean_iou", "val_mean_iou", "learning_rate"} <= set(rows[0])

    # The saved model predicts like the trained one.
    import keras

    image = np.zeros((1, 64, 128, 3), np.float32)
    reloaded = keras.saving.load_model(output / "model.keras", compile=False)
    np.testing.assert_allclose(
        reloaded.predict(image, verbose=0), result.model.predict(image, verbose=0), atol=1e-4
    )

    # A finished run resumes to nothing more; without --resume the tool refuses.
    again = _train(train_tool, _tool_args(data_root, output, "--steps", "40", "--resume"))
    assert again.step == 40 and again.initial_step == 40 and again.history == {}
    with pytest.raises(FileExistsError, match="resume=True"):
        _train(train_tool, _tool_args(data_root, output, "--steps", "40"))
    assert train_tool.main(_tool_args(data_root, output, "--steps", "40")) == 1


def test_config_from_args_overrides_file(tmp_path, train_tool):
    config_file = tmp_path / "recipe.json"
    config_file.write_text(json.dumps({"dataset": "camvid", "data_root": "/x", "steps": 100}))
    parser = train_tool.build_parser()
    args = parser.parse_args(
        ["--config", str(config_file), "--steps", "7", "--mixed-precision", "bfloat16",
         "--crop-size", "32", "48", "--val-split", "none", "--sync-bn"]
    )  # fmt: skip
    config = train_tool.config_from_args(args)
    assert config.dataset == "camvid" and config.data_root == "/x"
    assert config.steps == 7 and config.mixed_precision == "bfloat16"
    assert config.crop_size == (32, 48) and config.val_split is None and config.sync_batchnorm
    assert config.batch_size == 16  # the dataclass default, untouched


def test_fresh_clears_run_but_keeps_data(tmp_path):
    from keras_sfnet.training import clear_run

    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.json").write_text("{}")
    (tmp_path / "logs").mkdir()
    (tmp_path / "model.keras").write_text("x")
    (tmp_path / "data").mkdir()
    clear_run(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["data"]


@pytest.mark.slow
def test_run_demo_writes_model_scores_and_picture(tmp_path):
    from keras_sfnet.training.demo import run_demo

    tiny = dict(
        synthetic_num_train=4, synthetic_num_val=1, synthetic_image_size=(64, 96),
        crop_size=(64, 64), batch_size=2, steps=2, steps_per_epoch=2, checkpoint_every=None,
        validate_every=1, decoder_filters=16, verbose=0, tensorboard=True, jit_compile=False,
    )  # fmt: skip
    result = run_demo(tmp_path / "demo", **tiny)
    assert result.training.step == 2
    assert 0.0 <= result.miou <= 1.0
    picture = cv2.imread(result.prediction_path)
    # One validation image: six panels (image, truth, prediction, overlay, errors, flow)
    # enlarged to >= 384 px wide, titled, and a legend.
    assert picture.shape[1] > 6 * 384 and picture.shape[0] > 4 * 64
    scores = json.loads(Path(result.evaluation_path).read_text())
    assert scores
    assert (tmp_path / "demo" / "model.keras").is_file()
    events = list((tmp_path / "demo" / "logs" / "tensorboard").rglob("events.out.tfevents.*"))
    assert events, "TensorBoard wrote no event files"
    # Re-running resumes the finished run: no more training, same numbers.
    again = run_demo(tmp_path / "demo", **tiny)
    assert again.training.initial_step == 2 and again.training.history == {}
    assert again.miou == pytest.approx(result.miou)
    assert again.summary().startswith("Nothing trained in this call")
    assert result.summary().startswith("Trained 2 steps in")
    # The CSV row of step 2 holds the rate that step used (poly decay: > 0), not the
    # schedule's next value (0 after the last step).
    with open(tmp_path / "demo" / "logs" / "training.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [2]
    assert float(rows[0]["learning_rate"]) > 0
    # The final model carries no optimizer state (half the size); checkpoints keep it.
    import keras

    reloaded = keras.saving.load_model(tmp_path / "demo" / "model.keras")
    assert getattr(reloaded, "optimizer", None) is None and not reloaded.compiled


def _own_folder_dataset(root: Path, num_train: int = 4, num_val: int = 2) -> Path:
    """A 3-class "folder" dataset: images/{split}/*.jpg, masks/{split}/*.png, 64x96."""
    rng = np.random.default_rng(0)
    for split, count in (("train", num_train), ("val", num_val)):
        (root / "images" / split).mkdir(parents=True)
        (root / "masks" / split).mkdir(parents=True)
        for i in range(count):
            mask = np.zeros((64, 96), np.uint8)
            mask[20:40, 10:50] = 1
            mask[45:, 60:] = 2
            image = np.repeat(mask[..., None] * 80 + 40, 3, axis=2).astype(np.uint8)
            image += rng.integers(0, 20, image.shape, dtype=np.uint8)
            cv2.imwrite(str(root / "images" / split / f"{i}.jpg"), image)
            cv2.imwrite(str(root / "masks" / split / f"{i}.png"), mask)
    return root


def test_train_checks_every_label_file_before_the_first_step(tmp_path, train_tool, capsys):
    from keras_sfnet.training import TrainConfig, train

    root = _own_folder_dataset(tmp_path / "mine")
    bad = np.zeros((64, 96), np.uint8)
    bad[0, :7] = 200
    cv2.imwrite(str(root / "masks" / "train" / "3.png"), bad)
    cv2.imwrite(str(root / "masks" / "val" / "1.png"), np.zeros((60, 96), np.uint8))
    config = TrainConfig(dataset="folder", num_classes=3, data_root=str(root), steps=2,
                         crop_size=(64, 64), batch_size=2, output=str(tmp_path / "run"))  # fmt: skip
    with pytest.raises(ValueError) as error:
        train(config)
    message = str(error.value)
    assert "[train] 1 of 4 examples of 'folder' are invalid" in message
    assert f"{root / 'masks' / 'train' / '3.png'} has values" in message
    assert "Values: 200 (7 pixels)" in message
    assert "[val] 1 of 2" in message and "has size (HxW) 64x96 but its label" in message
    assert "has size 60x96: sizes must match" in message and "--no-validate-data" in message
    assert not (tmp_path / "run" / "checkpoints").exists()  # nothing trained
    # --validate-only: the same report on stdout, exit status 1.
    argv = ["--dataset", "folder", "--num-classes", "3", "--data-root", str(root),
            "--output", str(tmp_path / "run"), "--validate-only"]  # fmt: skip
    assert train_tool.main(argv) == 1
    out = capsys.readouterr().out
    assert "[train] 1 of 4 examples" in out and "Values: 200 (7 pixels)" in out
    cv2.imwrite(str(root / "masks" / "train" / "3.png"), np.zeros((64, 96), np.uint8))
    cv2.imwrite(str(root / "masks" / "val" / "1.png"), np.zeros((64, 96), np.uint8))
    assert train_tool.main(argv) == 0
    assert "[val] All 2 examples of 'folder' are valid (sizes HxW: 64x96 (2))" in (
        capsys.readouterr().out
    )


@pytest.mark.slow
def test_own_data_end_to_end(tmp_path, train_tool, caplog):
    """Train on one's own 3-class data, fine-tune from it, predict with its class names."""
    import keras

    root = _own_folder_dataset(tmp_path / "mine")
    common = ["--dataset", "folder", "--data-root", str(root), "--num-classes", "3",
              "--crop-size", "64", "64", "--batch-size", "2", "--steps", "2", "--val-split",
              "none", "--loss", "cross_entropy", "--augmentation", "crop_only", "--verbose",
              "0", "--no-tensorboard"]  # fmt: skip
    first = tmp_path / "first"
    _train(train_tool, [*common, "--no-dilated", "--decoder-filters", "16",
                        "--class-names", "sky,box,corner", "--output", str(first)])  # fmt: skip
    with caplog.at_level("INFO"):
        result = _train(
            train_tool, [*common, "--init-from", str(first / "model.keras"), "--output",
                         str(tmp_path / "second")],
        )  # fmt: skip
    assert result.model.dilated is False and result.model.decoder_filters == 16
    saved = json.loads((tmp_path / "second" / "config.json").read_text())
    assert saved["dilated"] is False and saved["decoder_filters"] == 16
    assert "Overriding" not in caplog.text
    from keras_sfnet.inference import load_model_classes

    assert list(load_model_classes(first / "model.keras").class_names) == ["sky", "box", "corner"]
    assert keras.saving.load_model(first / "model.keras", compile=False).num_classes == 3
    spec = importlib.util.spec_from_file_location("predict_tool", REPO / "tools" / "predict.py")
    predict_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(predict_tool)
    out = tmp_path / "out"
    image = str(root / "images" / "val" / "0.jpg")
    argv = ["--model", str(first / "model.keras"), "--input", image, "--output", str(out)]
    assert predict_tool.main([*argv, "--quiet"]) == 0
    assert json.loads((out / "classes.json").read_text())["class_names"] == ["sky", "box", "corner"]
