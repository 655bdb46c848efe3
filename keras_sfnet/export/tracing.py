"""Turning a Keras SFNet into traced TensorFlow graphs that exporters convert.

Every exporter starts here: it picks the inference outputs (the main logits of a
deep-supervision model), fixes or frees the input size, and traces the model inside
:func:`keras_sfnet.ops.implementation_scope` so that the resize and the warp are
written the way the target converter handles exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from keras_sfnet.layers.image_converter import ImageConverter
from keras_sfnet.ops import implementation_scope

__all__ = [
    "check_input_size", "check_preprocessor", "image_spec", "inference_model", "keras_runner",
    "logits_tf_function", "trace_logits",
]


def check_input_size(input_size: Sequence[int] | None) -> tuple[int, int] | None:
    """Validates ``input_size`` (``(height, width)`` or None) and returns it as ints.

    Example:
    >>> check_input_size([64, 96])
    (64, 96)
    """
    if input_size is None:
        return None
    size = tuple(input_size)
    if (
        len(size) != 2
        or any(isinstance(s, bool) or not isinstance(s, int) for s in size)
        or any(s < 32 for s in size)
    ):
        raise ValueError(
            "`input_size` must be None or (height, width), two integers >= 32. "
            f"Received: input_size={input_size!r}"
        )
    return size


def inference_model(model: keras.Model) -> keras.Model:
    """The model to export: the main logits alone, whatever the training outputs.

    Example:
    >>> model = keras_sfnet.SFNet(num_classes=4, deep_supervision=True, decoder_filters=16)
    >>> inference_model(model).outputs[0].shape[-1]
    4
    """
    if hasattr(model, "inference_model"):
        model = model.inference_model()
    if len(model.outputs) != 1:
        raise ValueError(
            "The exported model must have one output (the logits). "
            f"Received: a model with {len(model.outputs)} outputs."
        )
    return model


def image_spec(
    input_size: tuple[int, int] | None,
    batch_size: int | None = None,
    dtype: tf.DType = tf.float32,
    name: str = "image",
) -> tf.TensorSpec:
    """The ``TensorSpec`` of an NHWC RGB batch, dynamic where ``None``.

    Example:
    >>> image_spec((64, 96), batch_size=1)
    TensorSpec(shape=(1, 64, 96, 3), dtype=tf.float32, name='image')
    """
    height, width = input_size if input_size is not None else (None, None)
    return tf.TensorSpec([batch_size, height, width, 3], dtype, name=name)


def check_preprocessor(
    include_preprocessing: bool, preprocessor: ImageConverter | None
) -> ImageConverter | None:
    """The converter an export includes: None, or ``preprocessor`` (default converter).

    Example:
    >>> check_preprocessor(True, None).scale == 1 / 255
    True
    """
    if preprocessor is not None and not isinstance(preprocessor, ImageConverter):
        raise TypeError(
            "`preprocessor` must be a keras_sfnet.layers.ImageConverter or None. "
            f"Received: preprocessor={type(preprocessor).__name__}"
        )
    if not include_preprocessing:
        if preprocessor is not None:
            raise ValueError(
                "`preprocessor` is only used with include_preprocessing=True. "
                "Received: include_preprocessing=False"
            )
        return None
    return preprocessor if preprocessor is not None else ImageConverter()


def trace_logits(
    model: keras.Model,
    spec: tf.TensorSpec,
    resize: str = "op",
    warp: str = "gather",
    preprocessor: ImageConverter | None = None,
):
    """Traces ``model`` (inference mode) into a concrete function ``image -> logits``.

    Args:
        model: the Keras segmenter (one output, see :func:`inference_model`).
        spec: the input ``TensorSpec`` (float32 normalised RGB; with a
            ``preprocessor``, the images it takes, e.g. uint8).
        resize: ``"op"`` or ``"matmul"``, how align-corners resizes are written.
        warp: ``"gather"``, ``"fused"`` or ``"auto"``, how the flow warp is written.
        preprocessor: an ``ImageConverter`` traced in front of the model, or None.

    Returns:
        A ``tf.types.experimental.ConcreteFunction``.

    Example:
    >>> fn = trace_logits(model, image_spec((64, 96), 1), resize="matmul")
    """
    logits = logits_tf_function(model, preprocessor)
    with implementation_scope(resize=resize, warp=warp, conv="plain"):
        return logits.get_concrete_function(spec)


def logits_tf_function(model: keras.Model, preprocessor: ImageConverter | None = None):
    """A ``tf.function`` ``image -> logits`` of ``model`` in inference mode, untraced.

    The exporters trace it under their own :func:`keras_sfnet.ops.implementation_scope`.

    Example:
    >>> logits = logits_tf_function(model)
    >>> fn = logits.get_concrete_function(image_spec((64, 96), 1))
    """
    net = inference_model(model)

    @tf.function
    def logits(image):
        if preprocessor is not None:
            image = preprocessor(image)
        return net(image, training=False)

    return logits


def keras_runner(model: keras.Model):
    """``numpy float32 (B, H, W, 3) -> numpy logits``: Keras, the parity reference.

    Example:
    >>> logits = keras_runner(model)(np.zeros((1, 64, 64, 3), np.float32))
    """
    model = inference_model(model)
    return lambda x: keras.ops.convert_to_numpy(model(x, training=False))
