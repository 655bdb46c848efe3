"""ONNX export through tf2onnx, checked with ONNX Runtime.

Two converter details decide exactness:

- tf2onnx 1.17 writes an align-corners ``ResizeBilinear`` with a static size as an
  ONNX ``Resize`` with float *scales*; runtimes then compute ``floor(in * scale)``
  and a 9x13 -> 37x53 resize comes out 37x52. ``resize="resize"`` (default) replaces
  the converter's handler with one that always passes explicit *sizes*
  (``coordinate_transformation_mode="align_corners"``); ``resize="matmul"`` writes
  the resize as two matrix products instead.
- The flow warp is written either as four ``Gather`` ops (``warp="gather"``, runs
  everywhere) or as one ``GridSample`` (``warp="grid_sample"``: bilinear,
  ``padding_mode="zeros"``, ``align_corners=1``, NCHW; the authors' own op, opset
  >= 16), which TensorRT runs as a native layer.
"""

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
from keras_sfnet.export.tracing import (
    check_input_size,
    check_preprocessor,
    image_spec,
    keras_runner,
    logits_tf_function,
)
from keras_sfnet.layers.image_converter import ImageConverter
from keras_sfnet.ops import implementation_scope

__all__ = ["MIN_OPSET", "ONNX_RESIZES", "ONNX_WARPS", "export_onnx", "onnx_operators"]

logger = logging.getLogger(__name__)

MIN_OPSET = 17
ONNX_RESIZES = ("resize", "matmul")
ONNX_WARPS = ("gather", "grid_sample")
INPUT_NAME = "image"
OUTPUT_NAME = "logits"
_GRID_SAMPLE_MARKER = "SFNetGridSample"


def _replace_with_nhwc(ctx, node, nchw_outputs) -> None:
    """Replaces TF ``node`` by a Transpose of the NCHW result back to NHWC, same name."""
    shapes, dtypes = node.output_shapes, node.output_dtypes
    ctx.remove_node(node.name)
    ctx.make_node(
        "Transpose",
        nchw_outputs,
        {"perm": [0, 2, 3, 1]},
        name=node.name,
        outputs=node.output,
        shapes=shapes,
        dtypes=dtypes,
    )


def _resize_handler(ctx, node, name, args):
    """tf2onnx handler: align-corners ResizeBilinear -> ONNX Resize with explicit sizes."""
    from onnx import TensorProto
    from tf2onnx import utils

    if not node.get_attr_value("align_corners") or node.get_attr_value("half_pixel_centers"):
        raise ValueError(
            f"Only align_corners=True ResizeBilinear is supported here; node {node.name} differs."
        )
    x, size = node.input[0], node.input[1]
    shape = ctx.get_shape(x)
    nchw = ctx.make_node("Transpose", [x], {"perm": [0, 3, 1, 2]})
    empty = ctx.make_const(utils.make_name("empty"), np.array([], np.float32)).output[0]
    if (
        shape is not None
        and len(shape) == 4
        and shape[0] > 0
        and shape[3] > 0
        and node.inputs[1].is_const()
    ):
        height, width = (int(v) for v in node.inputs[1].get_tensor_value())
        value = np.array([shape[0], shape[3], height, width], np.int64)
        sizes = ctx.make_const(utils.make_name("sizes"), value).output[0]
    else:
        full = ctx.make_node("Shape", [nchw.output[0]]).output[0]
        zero = ctx.make_const(utils.make_name("zero"), np.array([0], np.int64)).output[0]
        two = ctx.make_const(utils.make_name("two"), np.array([2], np.int64)).output[0]
        batch_channels = ctx.make_node("Slice", [full, zero, two]).output[0]
        height_width = ctx.make_node("Cast", [size], {"to": TensorProto.INT64}).output[0]
        sizes = ctx.make_node("Concat", [batch_channels, height_width], {"axis": 0}).output[0]
    resize = ctx.make_node(
        "Resize",
        [nchw.output[0], empty, empty, sizes],
        {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
    )
    _replace_with_nhwc(ctx, node, resize.output)


def _grid_sample_handler(ctx, node, name, args):
    """tf2onnx handler: the warp marker (features, grid) -> ONNX GridSample."""
    features, grid = node.input[0], node.input[1]
    nchw = ctx.make_node("Transpose", [features], {"perm": [0, 3, 1, 2]})
    sample = ctx.make_node(
        "GridSample",
        [nchw.output[0], grid],
        {"mode": "bilinear", "padding_mode": "zeros", "align_corners": 1},
    )
    _replace_with_nhwc(ctx, node, sample.output)


def _grid_sample_marker(features: tf.Tensor, flow: tf.Tensor) -> tf.Tensor:
    """The warp as ``GridSample(features, grid)``, traced as a marker op for tf2onnx.

    Builds the authors' normalised grid (``linspace(-1, 1, n) + flow / n``, the same
    math as :func:`keras_sfnet.ops.flow_warp_gather`) and hands it with the features
    to a placeholder op that :func:`_grid_sample_handler` turns into ONNX GridSample.
    Only for conversion: the marker does not compute the warp in TensorFlow.
    """
    flow = tf.cast(flow, tf.float32)
    grid_shape = tf.shape(flow)
    out_h, out_w = grid_shape[1], grid_shape[2]
    out_hf = tf.cast(out_h, tf.float32)
    out_wf = tf.cast(out_w, tf.float32)
    base_x = -1.0 + 2.0 * tf.cast(tf.range(out_w), tf.float32) / tf.maximum(out_wf - 1.0, 1.0)
    base_y = -1.0 + 2.0 * tf.cast(tf.range(out_h), tf.float32) / tf.maximum(out_hf - 1.0, 1.0)
    gx = tf.reshape(base_x, [1, 1, -1]) + flow[..., 0] / out_wf
    gy = tf.reshape(base_y, [1, -1, 1]) + flow[..., 1] / out_hf
    grid = tf.stack([gx, gy], axis=-1)
    warped = tf.py_function(
        lambda f, g: f, [features, grid], Tout=features.dtype, name=_GRID_SAMPLE_MARKER
    )
    return tf.ensure_shape(warped, flow.shape[:3].concatenate(features.shape[3:]))


def onnx_operators(model) -> list[str]:
    """The sorted ONNX op types of a model (``onnx.ModelProto`` or path).

    Example:
    >>> "GridSample" in onnx_operators("sfnet.onnx")  # doctest: +SKIP
    True
    """
    import onnx

    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(os.fspath(model))
    return sorted({node.op_type for node in model.graph.node})


def _rename_output(model_proto) -> None:
    import onnx

    graph = model_proto.graph
    old = graph.output[0].name
    if old == OUTPUT_NAME:
        return
    graph.node.append(onnx.helper.make_node("Identity", [old], [OUTPUT_NAME], name="logits_output"))
    graph.output[0].name = OUTPUT_NAME


def convert_to_onnx(
    model: keras.Model,
    input_size: tuple[int, int] | None = None,
    batch_size: int | None = None,
    opset: int = MIN_OPSET,
    resize: str = "resize",
    warp: str = "gather",
    preprocessor: ImageConverter | None = None,
):
    """Converts ``model`` to an ``onnx.ModelProto`` (input ``image`` NHWC float32, or
    uint8 with a ``preprocessor`` traced in front, output ``logits`` NHWC), without any
    check. See :func:`export_onnx`.

    Example:
    >>> proto = convert_to_onnx(model, (64, 96), warp="grid_sample")
    """
    import tf2onnx

    logits = logits_tf_function(model, preprocessor)
    handlers = {}
    if resize == "resize":
        handlers["ResizeBilinear"] = (_resize_handler, [])
    if warp == "grid_sample":
        handlers["EagerPyFunc"] = (_grid_sample_handler, [])
    dtype = tf.uint8 if preprocessor is not None else tf.float32
    spec = image_spec(input_size, batch_size, dtype, INPUT_NAME)
    with implementation_scope(
        resize="op" if resize == "resize" else "matmul",
        warp=_grid_sample_marker if warp == "grid_sample" else "gather",
        conv="plain",
    ):
        model_proto, _ = tf2onnx.convert.from_function(
            logits, input_signature=[spec], opset=opset, custom_op_handlers=handlers
        )
    _rename_output(model_proto)
    leftovers = [n.op_type for n in model_proto.graph.node if n.domain not in ("", "ai.onnx")]
    if leftovers:
        raise ValueError(f"The ONNX model holds non-standard ops {sorted(set(leftovers))}.")
    return model_proto


class _OrtRunner:
    def __init__(self, path: str):
        import onnxruntime as ort

        self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT_NAME], {INPUT_NAME: x})[0]


def export_onnx(
    model: keras.Model,
    path: str | os.PathLike,
    *,
    input_size: Sequence[int] | None = None,
    batch_size: int | None = None,
    opset: int = MIN_OPSET,
    resize: str = "resize",
    warp: str = "gather",
    include_preprocessing: bool = False,
    preprocessor: ImageConverter | None = None,
    parity: ParityCheck | None = None,
    keep_rejected: bool = False,
) -> ParityReport:
    """Exports ``model`` to ONNX with tf2onnx and checks it with ONNX Runtime (CPU).

    Input ``image``: float32 normalised RGB, NHWC (uint8 NHWC images with
    ``include_preprocessing=True``); output ``logits``: float32 NHWC at the input size.

    Args:
        model: the Keras segmenter (a deep-supervision model exports its main logits).
        path: the ``.onnx`` file to write.
        input_size: optional ``(height, width)``; None keeps them dynamic.
        batch_size: optional int; None keeps the batch dynamic.
        opset: int >= 17. Defaults to 17.
        resize: ``"resize"`` (ONNX Resize with explicit sizes, align_corners) or
            ``"matmul"`` (two matrix products). Defaults to ``"resize"``.
        warp: ``"gather"`` (four gathers) or ``"grid_sample"`` (ONNX GridSample, the
            form TensorRT runs natively). Defaults to ``"gather"``.
        include_preprocessing: bool, defaults to False. Put the ``preprocessor`` in
            the model, so that clients feed uint8 images directly.
        preprocessor: the ``keras_sfnet.layers.ImageConverter`` to include; None: the
            default one. Only with ``include_preprocessing=True``.
        parity: the :class:`ParityCheck`; None for the defaults.
        keep_rejected: bool, keep a failed artifact as ``path + ".rejected"``.

    Returns:
        The passed :class:`ParityReport`.

    Raises:
        ValueError: an unsupported option.
        ExportParityError: ONNX Runtime does not reproduce Keras (nothing is written).

    Example:
    >>> report = export_onnx(model, "sfnet.onnx", input_size=(512, 1024), warp="grid_sample")
    """
    require_tensorflow("ONNX export", backend=True)
    if isinstance(opset, bool) or not isinstance(opset, int) or opset < MIN_OPSET:
        raise ValueError(f"`opset` must be an integer >= {MIN_OPSET}. Received: opset={opset!r}")
    if resize not in ONNX_RESIZES:
        raise ValueError(
            f"`resize` must be one of {list(ONNX_RESIZES)}. Received: resize={resize!r}"
        )
    if warp not in ONNX_WARPS:
        raise ValueError(f"`warp` must be one of {list(ONNX_WARPS)}. Received: warp={warp!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"`batch_size` must be None or >= 1. Received: batch_size={batch_size!r}")
    included = check_preprocessor(include_preprocessing, preprocessor)
    size = check_input_size(input_size)
    parity = parity or ParityCheck()
    model_proto = convert_to_onnx(model, size, batch_size, opset, resize, warp, included)
    logger.info("ONNX operators: %s", onnx_operators(model_proto))

    import onnx

    sizes = [size] if size is not None else list(parity.sizes or DEFAULT_DYNAMIC_SIZES)
    with staged_output(path, keep_rejected) as staged:
        onnx.save(model_proto, staged)
        onnx.checker.check_model(staged)
        runner = _OrtRunner(staged)
        reference = keras_runner(model)
        if batch_size not in (None, 1):
            runner_1, reference_1 = runner, reference
            runner = lambda x: runner_1(np.repeat(x, batch_size, 0))[:1]  # noqa: E731
            reference = lambda x: reference_1(np.repeat(x, batch_size, 0))[:1]  # noqa: E731
        candidate_input = "uint8" if included is not None else "float32"
        report = run_parity("onnx", "none", reference, runner, parity, sizes,
                            candidate_input=candidate_input, preprocessor=preprocessor)
    report.written(path)
    return report
