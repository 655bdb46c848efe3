"""Tests for keras_sfnet.metrics, including parity with cityscapesscripts."""

import os
import subprocess
import sys
import textwrap

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet.metrics import ConfusionMatrix, MeanIoU, compute_iou

IGNORE = 255


def _random_pair(seed, shape=(2, 9, 11), num_classes=4, noise=0.3):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, size=shape)
    labels[rng.random(shape) < 0.15] = IGNORE
    preds = np.where(
        rng.random(shape) < noise,
        rng.integers(0, num_classes, size=shape),
        np.where(labels == IGNORE, 0, labels),
    )
    return labels, preds


def _reference_iou(labels, preds, num_classes):
    """Brute-force float64 IoU per class (set definition)."""
    valid = labels != IGNORE
    ious = []
    for c in range(num_classes):
        tp = np.sum(valid & (labels == c) & (preds == c))
        fn = np.sum(valid & (labels == c) & (preds != c))
        fp = np.sum(valid & (labels != c) & (preds == c))
        ious.append(tp / (tp + fp + fn) if tp + fp + fn else np.nan)
    return np.array(ious)


def test_compute_iou_small_example():
    per_class, miou = compute_iou(np.array([[3, 1], [0, 4]]))
    np.testing.assert_allclose(per_class, [0.75, 0.8])
    assert miou == pytest.approx(0.775)
    per_class, miou = compute_iou(np.zeros((3, 3)))
    assert np.isnan(per_class).all() and np.isnan(miou)


def test_metric_and_numpy_helper_match_brute_force():
    labels, preds = _random_pair(0)
    expected = _reference_iou(labels, preds, 4)
    metric = MeanIoU(4)
    metric.update_state(labels, preds)
    cm = ConfusionMatrix(4)
    cm.update(labels, preds)
    np.testing.assert_allclose(metric.per_class_iou().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(cm.per_class_iou(), expected, rtol=1e-12)
    np.testing.assert_allclose(float(metric.result()), np.nanmean(expected), rtol=1e-6)
    valid = labels != IGNORE
    accuracy = np.mean(preds[valid] == labels[valid])
    np.testing.assert_allclose(float(metric.pixel_accuracy()), accuracy, rtol=1e-12)
    np.testing.assert_allclose(cm.pixel_accuracy(), accuracy, rtol=1e-12)
    np.testing.assert_array_equal(metric.confusion_matrix().numpy(), cm.confusion_matrix())


def test_streaming_equals_one_shot_and_reset():
    labels, preds = _random_pair(1, shape=(4, 6, 5))
    one_shot = MeanIoU(4)
    one_shot.update_state(labels, preds)
    streaming = MeanIoU(4)
    for i in range(4):
        streaming.update_state(labels[i : i + 1, ..., None], preds[i : i + 1, ..., None])
    np.testing.assert_array_equal(streaming.confusion.numpy(), one_shot.confusion.numpy())
    streaming.reset_state()
    assert np.isnan(float(streaming.result()))
    assert float(np.sum(streaming.confusion.numpy())) == 0.0


def test_absent_classes_are_nan_and_excluded():
    labels = np.array([[[0, 0, 1, IGNORE]]])
    preds = np.array([[[0, 1, 1, 3]]])  # class 2: absent; class 3 only on ignore
    metric = MeanIoU(4)
    metric.update_state(labels, preds)
    iou = metric.per_class_iou().numpy()
    np.testing.assert_allclose(iou[:2], [0.5, 0.5])
    assert np.isnan(iou[2]) and np.isnan(iou[3])
    assert float(metric.result()) == pytest.approx(0.5)


def test_out_of_range_prediction_is_a_false_negative():
    labels = np.array([[[0, 0, 1, 1]]])
    preds = np.array([[[0, 255, 1, 1]]])
    metric = MeanIoU(2)
    metric.update_state(labels, preds)
    np.testing.assert_allclose(metric.per_class_iou().numpy(), [0.5, 1.0])
    assert float(metric.pixel_accuracy()) == pytest.approx(0.75)
    assert metric.confusion.numpy()[0, 2] == 1


def test_logits_argmax_and_resize_with_align_corners():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(2, 4, 5, 3)).astype(np.float32)
    labels = rng.integers(0, 3, size=(2, 7, 9))
    resized = tf.compat.v1.image.resize_bilinear(logits, (7, 9), align_corners=True)
    expected = MeanIoU(3)
    expected.update_state(labels, np.argmax(resized.numpy(), -1))
    metric = MeanIoU(3)
    metric.update_state(labels, logits)
    np.testing.assert_array_equal(metric.confusion.numpy(), expected.confusion.numpy())
    same_size = MeanIoU(3, from_logits=True)
    same_size.update_state(labels, resized.numpy().astype(np.float16))
    assert float(same_size.result()) == pytest.approx(float(metric.result()), abs=1e-2)


def test_sample_weight_weights_pixels():
    labels, preds = _random_pair(4)
    weights = (np.arange(labels.size).reshape(labels.shape) % 2).astype(np.float32)
    metric = MeanIoU(4)
    metric.update_state(labels, preds, sample_weight=weights)
    keep = weights > 0
    masked = MeanIoU(4)
    masked.update_state(np.where(keep, labels, IGNORE), preds)
    np.testing.assert_allclose(metric.confusion.numpy(), masked.confusion.numpy())


def test_in_xla_function_with_unknown_shapes():
    labels, preds = _random_pair(5)
    metric = MeanIoU(4)
    spec = (
        tf.TensorSpec([None, None, None], tf.int64),
        tf.TensorSpec([None, None, None], tf.int64),
    )
    tf.function(metric.update_state, input_signature=spec)(labels, preds)
    tf.function(metric.update_state, jit_compile=True)(labels, preds)
    np.testing.assert_allclose(metric.per_class_iou().numpy(), _reference_iou(labels, preds, 4))


def test_serialization_round_trip():
    metric = MeanIoU(19, ignore_index=250, from_logits=True, name="miou")
    restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert isinstance(restored, MeanIoU) and restored.get_config() == metric.get_config()


def test_argument_errors():
    with pytest.raises(ValueError, match=r"`num_classes` must be >= 1\. Received: num_classes=0"):
        MeanIoU(0)
    with pytest.raises(ValueError, match=r"`num_classes` must be >= 1\. Received: num_classes=0"):
        ConfusionMatrix(0)
    with pytest.raises(ValueError, match="`from_logits` must be one of"):
        MeanIoU(3, from_logits="yes")
    with pytest.raises(ValueError, match=r"`y_pred` must have shape"):
        MeanIoU(3).update_state(np.zeros((1, 2, 2)), np.zeros((1, 2, 2, 4)))
    with pytest.raises(ValueError, match=r"`y_true` must have shape"):
        MeanIoU(3).update_state(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="`label` and `prediction` must have the same shape"):
        ConfusionMatrix(3).update(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"`confusion` must have shape"):
        compute_iou(np.zeros((2, 4)))


def test_model_fit_validation():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    logits = keras.layers.Conv2D(3, 3, padding="same")(inputs)
    model = keras.Model(inputs, logits)
    model.compile(
        optimizer="sgd",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[MeanIoU(3)],
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 8, 8, 3)).astype(np.float32)
    y = rng.integers(0, 3, size=(4, 8, 8))
    history = model.fit(x, y, validation_data=(x, y), batch_size=2, epochs=1, verbose=0)
    metric = MeanIoU(3)
    metric.update_state(y, model.predict(x, verbose=0))
    np.testing.assert_allclose(
        history.history["val_mean_iou"][0], float(metric.result()), rtol=1e-6
    )


@pytest.mark.slow
def test_mirrored_strategy_sums_replicas(tmp_path):
    """Two logical CPUs need a fresh process (devices are fixed at TF start)."""
    script = textwrap.dedent(
        """
        import numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from keras_sfnet.metrics import ConfusionMatrix, MeanIoU
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 3, size=(4, 5, 6))
        preds = rng.integers(0, 3, size=(4, 5, 6))
        with strategy.scope():
            metric = MeanIoU(3)
        ds = strategy.experimental_distribute_dataset(
            tf.data.Dataset.from_tensor_slices((labels, preds)).batch(4))
        @tf.function
        def step(batch):
            strategy.run(metric.update_state, args=batch)
        for batch in ds:
            step(batch)
        cm = ConfusionMatrix(3)
        cm.update(labels, preds)
        np.testing.assert_array_equal(metric.confusion_matrix().numpy(), cm.confusion_matrix())
        assert abs(float(metric.result()) - cm.mean_iou()) < 1e-6
        print("OK")
        """
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0 and "OK" in result.stdout, result.stderr[-3000:]


# ---------------------------------------------------------------- Cityscapes


def test_matches_cityscapes_scripts(tmp_path, monkeypatch):
    csl = pytest.importorskip("cityscapesscripts.helpers.labels")
    cs_eval = pytest.importorskip("cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling")
    train_to_label = {lab.trainId: lab.id for lab in csl.labels if 0 <= lab.trainId < 19}
    ignored_label_ids = [lab.id for lab in csl.labels if lab.ignoreInEval and lab.id >= 0]
    assert len(train_to_label) == 19
    lut = np.full(256, 0, np.uint8)
    for train_id, label_id in train_to_label.items():
        lut[train_id] = label_id

    rng = np.random.default_rng(0)
    metric = MeanIoU(19)
    numpy_cm = ConfusionMatrix(19)
    gt_files, pred_files = [], []
    for i in range(3):
        shape = (13, 17)
        gt = rng.integers(0, 19, size=shape)
        gt[gt == 5] = 6  # trainId 5 (pole): in the prediction only (IoU 0)
        gt[rng.random(shape) < 0.2] = IGNORE
        pred = np.where(rng.random(shape) < 0.35, rng.integers(0, 19, size=shape), gt)
        pred[pred == 7] = 8  # trainId 7 (traffic sign): in the ground truth only
        pred[pred == IGNORE] = 0
        pred[gt == 3] = np.where(rng.random(np.sum(gt == 3)) < 0.5, IGNORE, 3)  # void predictions
        gt[gt == 12] = 13
        pred[pred == 12] = 13  # trainId 12 (rider): absent from both -> NaN
        gt_ids = lut[np.where(gt == IGNORE, 0, gt)]
        gt_ids[gt == IGNORE] = rng.choice(ignored_label_ids, size=np.sum(gt == IGNORE))
        pred_ids = lut[np.where(pred == IGNORE, 0, pred)]
        pred_ids[pred == IGNORE] = rng.choice(ignored_label_ids, size=np.sum(pred == IGNORE))
        gt_file = str(tmp_path / f"city_{i:06d}_000019_gtFine_labelIds.png")
        pred_file = str(tmp_path / f"city_{i:06d}_000019_pred.png")
        assert cv2.imwrite(gt_file, gt_ids) and cv2.imwrite(pred_file, pred_ids)
        gt_files.append(gt_file)
        pred_files.append(pred_file)
        metric.update_state(gt[None], pred[None])
        numpy_cm.update(gt, pred)

    args = cs_eval.args
    for name, value in {
        "evalInstLevelScore": False,
        "evalPixelAccuracy": False,
        "JSONOutput": False,
        "quiet": True,
        "colorized": False,
        "exportFile": str(tmp_path / "result.json"),
    }.items():
        monkeypatch.setattr(args, name, value)
    result = cs_eval.evaluateImgLists(pred_files, gt_files, args)

    expected = np.array([result["classScores"][csl.trainId2label[t].name] for t in range(19)])
    assert np.isnan(expected[12]) and expected[5] == 0.0 and expected[7] == 0.0
    np.testing.assert_allclose(metric.per_class_iou().numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(numpy_cm.per_class_iou(), expected, atol=1e-6)
    np.testing.assert_allclose(float(metric.result()), result["averageScoreClasses"], atol=1e-6)
    np.testing.assert_allclose(numpy_cm.mean_iou(), result["averageScoreClasses"], atol=1e-6)
