"""Selective int8: the measured sensitivity pass and the ops it keeps float."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_sfnet.export import ParityCheck, export_tflite, tflite_operators
from keras_sfnet.export.calibration import calibration_samples
from keras_sfnet.export.sensitivity import CalibratedModel, op_groups, select_float_ops
from keras_sfnet.layers import ImageConverter

SIZE = (32, 48)


class WideRange(keras.layers.Layer):
    """Made sensitive on purpose: a 1x1 conv adds a channel 1000x larger than the
    others and a second 1x1 conv drops it again. Float, the layer is the identity;
    int8 gives the first conv's output one scale for all channels (set by the large
    one), so the kept channels lose all but a few levels."""

    def build(self, input_shape):
        channels = input_shape[-1]
        widen = np.concatenate([np.full((channels, 1), 1000.0), np.eye(channels)], axis=1)
        narrow = np.concatenate([np.zeros((1, channels)), np.eye(channels)], axis=0)
        self.widen, self.narrow = (
            self.add_weight(
                shape=(1, 1, *kernel.shape),
                initializer=keras.initializers.Constant(kernel[None, None].astype("float32")),
                trainable=False,
            )
            for kernel in (widen, narrow)
        )

    def call(self, x):
        wide = tf.nn.conv2d(x, self.widen, 1, "SAME")
        return tf.nn.conv2d(wide, self.narrow, 1, "SAME")


def _model(sensitive: bool, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    x = inputs = keras.Input((*SIZE, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="features")(x)
    if sensitive:
        x = WideRange(name="wide_range")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="mixing")(x)
    outputs = keras.layers.Conv2D(4, 1, name="classifier")(x)
    return keras.Model(inputs, outputs)


def _calibrated(model):
    function = tf.function(lambda image: model(image, training=False)).get_concrete_function(
        tf.TensorSpec([1, *SIZE, 3], tf.float32)
    )
    representative = calibration_samples(None, SIZE, num_samples=6)
    return CalibratedModel.from_concrete_function(function, representative), representative


def _keras(model):
    return lambda x: keras.ops.convert_to_numpy(model(x, training=False))


def test_sensitivity_pass_keeps_the_op_made_sensitive_float():
    model = _model(sensitive=True)
    calibrated, representative = _calibrated(model)
    selection = select_float_ops(
        calibrated, _keras(model), representative, target_agreement=0.95, max_group_ops=2
    )
    # full int8 loses the map; keeping the sensitive layer float gives it back
    assert selection.full_agreement < 0.9
    assert selection.agreement >= 0.95
    assert selection.float_nodes
    assert all("wide_range" in node for node in selection.float_nodes), selection.float_nodes
    most = selection.sensitivities[0]
    assert "wide_range" in most.label and most.gain > 0.1
    # the other layers are measured too, and matter far less
    others = [s for s in selection.sensitivities if "wide_range" not in s.label]
    assert others and max(s.gain for s in others) < most.gain / 2


def test_sensitivity_pass_keeps_full_int8_when_it_agrees():
    model = _model(sensitive=False)
    calibrated, representative = _calibrated(model)
    selection = select_float_ops(calibrated, _keras(model), representative, target_agreement=0.9)
    assert selection.full_agreement >= 0.9
    assert selection.float_nodes == [] and selection.sensitivities == []
    assert selection.evaluations == 1


def test_op_groups_follow_layer_paths_and_keep_order():
    names = [f"m/backbone/conv{i}/Relu" for i in range(5)]
    names += [f"m/decoder/fam/op{i}" for i in range(7)] + ["m/classifier/conv;m/x", "Identity"]
    groups = op_groups(names, max_group_ops=4)
    assert [n for g in groups for n in g] == names  # a partition, in execution order
    assert all(1 <= len(g) <= 4 for g in groups)
    assert not any(
        any("backbone" in n for n in g) and any("decoder" in n for n in g) for g in groups
    )
    with pytest.raises(ValueError, match="max_group_ops"):
        op_groups(names, max_group_ops=0)


def _blocks(rng, n, size=64, num_classes=4):
    """Images of coloured rectangles; the label is the rectangle's colour class."""
    palette = np.array([[230, 40, 40], [40, 200, 40], [40, 40, 230], [230, 230, 60]], np.float32)
    images, labels = [], []
    for _ in range(n):
        label = np.zeros((size, size), np.int32)
        label[:] = rng.integers(num_classes)
        for _ in range(3):
            y, x = rng.integers(0, size - 24, 2)
            h, w = rng.integers(20, 40, 2)
            label[y : y + h, x : x + w] = rng.integers(num_classes)
        image = palette[label] + rng.normal(0, 20, (size, size, 3))
        images.append(np.clip(image, 0, 255).astype(np.uint8))
        labels.append(label)
    return np.stack(images), np.stack(labels)


def _tiny_backbone() -> keras.Model:
    x = inputs = keras.Input((None, None, 3))
    pyramid = {}
    for level, filters in enumerate((8, 8, 16, 16, 16), start=1):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
        if level >= 2:
            pyramid[f"P{level}"] = x
    return keras.Model(inputs, pyramid)


@pytest.mark.slow
def test_short_trained_lite_model_int8_is_accepted_with_the_selective_recipe(tmp_path):
    import keras_sfnet

    keras.utils.set_random_seed(1)
    model = keras_sfnet.SFNet(_tiny_backbone(), num_classes=4, decoder_filters=8, head="lite")
    converter = ImageConverter()
    images, labels = _blocks(np.random.default_rng(0), 64)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(np.asarray(converter(images)), labels, batch_size=8, epochs=4, verbose=0)
    rng = np.random.default_rng(5)
    calib_images, _ = _blocks(rng, 16)
    eval_images, eval_labels = _blocks(rng, 8)
    keras_ids = np.argmax(model(np.asarray(converter(eval_images)), training=False), -1)
    assert (keras_ids == eval_labels).mean() > 0.8  # it learnt the task
    report = export_tflite(
        model,
        tmp_path / "lite_int8.tflite",
        input_size=(64, 64),
        quantization="int8",
        calibration_data=list(calib_images),
        parity=ParityCheck(
            min_agreement=0.98, max_miou_drop=0.01, eval_data=list(zip(eval_images, eval_labels))
        ),
    )
    assert report.passed and report.pixel_agreement >= 0.98 and report.miou_drop <= 0.01
    selection = report.selection
    assert selection["mode"] == "auto"
    # full int8 misses the acceptance on the calibration images; the pass kept ops float
    assert selection["calibration_agreement_full_int8"] < 0.98
    assert report.float_ops and selection["calibration_agreement"] >= 0.99
    assert selection["latency_vs_full_int8"] > 0
    assert "DEQUANTIZE" in tflite_operators(tmp_path / "lite_int8.tflite")
    # what stayed float is the flow warp of the Lite head (its gathers among them)
    assert all("gdfam" in op["tensor"] for op in report.float_ops), report.float_ops
    assert "GATHER" in {op["op"] for op in report.float_ops}
