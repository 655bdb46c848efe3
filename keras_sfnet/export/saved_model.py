"""SavedModel export for TF Serving: uint8 images in, class ids out."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from keras_sfnet.backend_support import require_tensorflow
from keras_sfnet.export.parity import DEFAULT_DYNAMIC_SIZES, ParityCheck, ParityReport, run_parity
from keras_sfnet.export.staging import staged_output
from keras_sfnet.export.tracing import check_input_size, image_spec, inference_model, keras_runner
from keras_sfnet.layers.image_converter import ImageConverter, image_converter_or_default
from keras_sfnet.ops import implementation_scope

__all__ = ["FLOAT_SIGNATURE", "SERVING_SIGNATURE", "export_saved_model"]

logger = logging.getLogger(__name__)

SERVING_SIGNATURE = "serving_default"
FLOAT_SIGNATURE = "serving_float"


def export_saved_model(
    model: keras.Model,
    path: str | os.PathLike,
    *,
    input_size: Sequence[int] | None = None,
    include_probabilities: bool = False,
    include_logits: bool = False,
    preprocessor: ImageConverter | None = None,
    parity: ParityCheck | None = None,
    keep_rejected: bool = False,
) -> ParityReport:
    """Exports a SavedModel for TF Serving and checks both signatures against Keras.

    Signatures (batch and, unless ``input_size`` is given, height/width dynamic):

    - ``serving_default``: ``images`` uint8 ``(B, H, W, 3)``, normalised inside by the
      ``preprocessor`` ->
      ``class_ids`` int32 ``(B, H, W)``, plus ``probabilities`` float32
      ``(B, H, W, C)`` and/or ``logits`` when asked for.
    - ``serving_float``: ``image`` float32 normalised RGB -> ``logits``: the model
      without preprocessing.

    TF Serving wants ``<model_base_path>/<version>/``: pass e.g. ``"models/sfnet/1"``.

    Args:
        model: the Keras segmenter (a deep-supervision model exports its main logits).
        path: the SavedModel directory to write.
        input_size: optional ``(height, width)`` to fix. Defaults to None (dynamic).
        include_probabilities: bool, add softmax ``probabilities`` to
            ``serving_default``. Defaults to False.
        include_logits: bool, add ``logits`` to ``serving_default``. Defaults to False.
        preprocessor: the ``keras_sfnet.layers.ImageConverter`` of ``serving_default``
            (e.g. ``ImageConverter(bgr=True)`` for OpenCV clients); None: the default
            RGB ImageNet converter.
        parity: the :class:`ParityCheck`; None for the defaults.
        keep_rejected: bool, keep a failed artifact as ``path + ".rejected"``.

    Returns:
        The passed :class:`ParityReport` of the float signature.

    Raises:
        ExportParityError: a signature does not match Keras (nothing is written).

    Example:
    >>> report = export_saved_model(model, "models/sfnet/1", include_probabilities=True)
    """
    require_tensorflow("SavedModel export", backend=True)
    size = check_input_size(input_size)
    parity = parity or ParityCheck()
    net = inference_model(model)
    preprocessor = image_converter_or_default(preprocessor)

    def serve_uint8(images):
        logits = net(preprocessor(images), training=False)
        outputs = {"class_ids": tf.argmax(logits, axis=-1, output_type=tf.int32)}
        if include_probabilities:
            outputs["probabilities"] = tf.nn.softmax(logits, axis=-1)
        if include_logits:
            outputs["logits"] = logits
        return outputs

    def serve_float(image):
        return {"logits": net(image, training=False)}

    sizes = [size] if size is not None else list(parity.sizes or DEFAULT_DYNAMIC_SIZES)
    module = tf.Module()
    module.model = net  # tracks the weights once (ExportArchive stores them twice)
    with staged_output(path, keep_rejected) as staged:
        with implementation_scope(resize="op", warp="gather", conv="plain"):
            signatures = {
                SERVING_SIGNATURE: tf.function(
                    serve_uint8, input_signature=[image_spec(size, None, tf.uint8, "images")]
                ).get_concrete_function(),
                FLOAT_SIGNATURE: tf.function(
                    serve_float, input_signature=[image_spec(size, None, tf.float32, "image")]
                ).get_concrete_function(),
            }
            tf.saved_model.save(module, staged, signatures=signatures)
        loaded = tf.saved_model.load(staged)
        uint8_fn = loaded.signatures[SERVING_SIGNATURE]
        float_fn = loaded.signatures[FLOAT_SIGNATURE]
        reference = keras_runner(net)
        report = run_parity(
            "saved_model",
            "none",
            reference,
            lambda x: float_fn(image=tf.constant(x))["logits"].numpy(),
            parity,
            sizes,
        )
        run_parity(
            "saved_model:serving_default",
            "none",
            reference,
            lambda x: uint8_fn(images=tf.constant(x))["class_ids"].numpy(),
            parity,
            sizes,
            candidate_input="uint8",
            preprocessor=preprocessor,
        )
        if include_probabilities:
            probabilities = uint8_fn(images=tf.zeros([1, *(size or sizes[0]), 3], tf.uint8))
            total = np.asarray(probabilities["probabilities"]).sum(-1)
            if not np.allclose(total, 1.0, atol=1e-4):
                raise ValueError("The exported probabilities do not sum to 1.")
    return report.written(path)
