"""The short training every backend runs from the same weights (shared by the tests).

Deep supervision, OHEM, the default coupled-weight-decay SGD with poly decay,
`UnbiasedBatchNormalization` and MeanIoU validation: three full-batch steps on a fixed
batch, no dropout (its random masks differ between backends by design).
"""

from __future__ import annotations

import keras
import numpy as np

import keras_sfnet

MODEL = dict(
    backbone="resnet18", num_classes=5, decoder_filters=16, deep_supervision=True, dropout=0.0
)
STEPS = 3


def batch():
    rng = np.random.default_rng(11)
    images = rng.normal(size=(2, 64, 64, 3)).astype("float32")
    labels = rng.integers(0, 5, (2, 64, 64)).astype("int32")
    labels[:, :4] = 255  # an ignored band
    return images, labels


def randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "moving_variance" in w.path:
            w.assign(rng.uniform(0.5, 1.5, w.shape).astype("float32"))
        elif "moving_mean" in w.path:
            w.assign((0.1 * rng.standard_normal(w.shape)).astype("float32"))
        else:
            w.assign((0.1 * rng.standard_normal(w.shape)).astype("float32"))


def train_three_steps(model) -> dict[str, np.ndarray]:
    """Runs the recipe; returns losses per step, BN statistics and weights after it."""
    model.compile(loss="ohem", learning_rate=0.01, decay_steps=100)
    images, labels = batch()
    history = model.fit(
        images,
        labels,
        batch_size=2,
        epochs=STEPS,
        shuffle=False,
        verbose=0,
        validation_data=(images, labels),
    )
    result = {
        "loss": np.asarray(history.history["loss"], np.float64),
        "val_mean_iou": np.asarray(history.history["val_logits_mean_iou"], np.float64),
    }
    for w in model.weights:
        result[w.path] = keras.ops.convert_to_numpy(w.value).astype(np.float64)
    return result


def build():
    return keras_sfnet.SFNet(**MODEL)
