"""Calling a segmentation model on batches of normalised images, in chunks."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
from keras import ops

from keras_sfnet.inference.compiled_function import compiled_function

__all__ = ["check_batch_options", "logits_function", "main_logits"]


def main_logits(outputs):
    """Picks the class logits out of a model's outputs.

    SFNet returns a tensor, or a dict with `"logits"` (deep supervision, flow
    model); any other Keras model with one of these output forms works too.

    Example:
    >>> main_logits({"logits": 1, "aux_p4": 2})
    1
    """
    if isinstance(outputs, dict):
        if "logits" not in outputs:
            raise ValueError(
                "A model with dict outputs must have a 'logits' output. "
                f"Received outputs: {sorted(outputs)}"
            )
        return outputs["logits"]
    if isinstance(outputs, (list, tuple)):
        return outputs[0]
    return outputs


def check_batch_options(batch_size, pad_to_multiple) -> None:
    """Validates `batch_size` (int >= 1) and `pad_to_multiple` (None or int >= 1).

    Example:
    >>> check_batch_options(2, None)
    """
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(
            f"`batch_size` must be an integer >= 1. Received: batch_size={batch_size!r}"
        )
    if pad_to_multiple is not None and (
        isinstance(pad_to_multiple, bool)
        or not isinstance(pad_to_multiple, (int, np.integer))
        or pad_to_multiple < 1
    ):
        raise ValueError(
            "`pad_to_multiple` must be None or an integer >= 1. "
            f"Received: pad_to_multiple={pad_to_multiple!r}"
        )


def logits_function(
    model: keras.Model, *, batch_size: int = 1, pad_to_multiple: int | None = None
) -> Callable[[np.ndarray], np.ndarray]:
    """Returns `fn(images) -> logits` that runs `model` in chunks of `batch_size`.

    `images` are float32 `(N, H, W, 3)` normalised images; the result is float32
    `(N, H, W, num_classes)` logits. With `pad_to_multiple=m`, each chunk is
    padded at the bottom and right to a multiple of `m` with zeros (the ImageNet
    mean colour after normalisation) and the logits are cropped back, for models
    that need sizes divisible by their output stride (SFNet itself does not).
    On TensorFlow the model is called through one `tf.function` traced once for
    any batch size, height and width; on JAX and PyTorch it runs eagerly.

    Args:
        model: Keras model mapping normalised NHWC images to logits (or a dict
            with `"logits"`).
        batch_size: int, defaults to 1. Images per model call.
        pad_to_multiple: int or `None`, defaults to `None` (no padding).

    Returns:
        A callable on numpy arrays.

    Example:
    >>> import keras_sfnet
    >>> fn = logits_function(keras_sfnet.SFNet("resnet18", num_classes=4, decoder_filters=16))
    >>> fn(np.zeros((1, 64, 96, 3), np.float32)).shape
    (1, 64, 96, 4)
    """
    check_batch_options(batch_size, pad_to_multiple)

    def forward(x):
        return ops.cast(main_logits(model(x, training=False)), "float32")

    call = compiled_function(forward, image_signature=True)

    def run(images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(
                f"`images` must have shape (N, H, W, 3). Received: images.shape={images.shape}"
            )
        height, width = images.shape[1:3]
        outputs = []
        for start in range(0, images.shape[0], int(batch_size)):
            chunk = images[start : start + int(batch_size)]
            if pad_to_multiple:
                pad_h = -height % pad_to_multiple
                pad_w = -width % pad_to_multiple
                if pad_h or pad_w:
                    chunk = np.pad(chunk, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)))
            logits = ops.convert_to_numpy(call(ops.convert_to_tensor(chunk)))
            outputs.append(logits[:, :height, :width])
        return np.concatenate(outputs, axis=0)

    return run
