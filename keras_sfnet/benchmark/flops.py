"""Counting the multiply-accumulates (MACs) of a Keras model from its traced graph."""

from __future__ import annotations

import dataclasses
import math

import keras
import tensorflow as tf

from keras_sfnet.ops import implementation_scope

__all__ = ["MacCount", "count_macs"]

_CONV_OPS = ("Conv2D", "DepthwiseConv2dNative")
_MATMUL_OPS = ("MatMul", "BatchMatMulV2", "BatchMatMulV3", "BatchMatMul", "Einsum")


@dataclasses.dataclass(frozen=True)
class MacCount:
    """Multiply-accumulates of one forward pass, by kind of operation.

    Attributes:
        conv: MACs of the convolutions (the number the paper and the torch flop
            counters report: ``prod(output shape) * kh * kw * C_in / groups``; for a
            transposed conv ``prod(input shape) * kh * kw * C_out``).
        matmul: MACs of matrix products (dense layers, einsum resizes/pooling).
        interpolation: bilinear samples (resizes and the flow warp), counted as 4 MACs
            per output element (four weighted neighbours).
        batch: the batch size the count was traced with.

    Example:
    >>> MacCount(conv=2, matmul=0, interpolation=0, batch=1).gmacs
    2e-09
    """

    conv: int
    matmul: int
    interpolation: int
    batch: int

    @property
    def gmacs(self) -> float:
        """Convolution + matrix-product GMACs per image (the paper's count)."""
        return (self.conv + self.matmul) / self.batch / 1e9

    @property
    def gflops(self) -> float:
        """``2 * gmacs``: floating-point operations per image, counting 2 per MAC."""
        return 2.0 * self.gmacs


def _shape(tensor) -> list[int]:
    dims = tensor.shape.as_list()
    if any(d is None for d in dims):
        raise ValueError(f"count_macs needs static shapes. Received: {tensor.name} {dims}")
    return dims


def _einsum_macs(op) -> int:
    equation = op.get_attr("equation").decode()
    inputs, _ = equation.split("->")
    sizes: dict[str, int] = {}
    for spec, tensor in zip(inputs.split(","), op.inputs):
        for letter, dim in zip(spec, _shape(tensor)):
            sizes[letter] = dim
    return math.prod(sizes.values())


def _nominal_outputs(op) -> int:
    """Output elements of a conv as the network defines it.

    Two TensorFlow lowerings are undone: a dilated conv runs on a
    ``SpaceToBatchND``-padded input (its output is cropped by ``BatchToSpaceND``), and
    TensorFlow refuses stride > 1 with dilation > 1, so the port computes those convs
    at stride 1 and keeps every second pixel (``Subsample2D``, a ``StridedSlice``).
    The nominal count (cropped, strided) is what the paper and torch counters report.
    """
    tensor = op.outputs[0]
    outputs = math.prod(_shape(tensor))
    consumers = list(tensor.consumers())
    while len(consumers) == 1 and consumers[0].type in ("BiasAdd", "Identity", "BatchToSpaceND"):
        tensor = consumers[0].outputs[0]
        if consumers[0].type == "BatchToSpaceND":
            outputs = math.prod(_shape(tensor))
        consumers = list(tensor.consumers())
    if len(consumers) == 1 and consumers[0].type == "StridedSlice":
        kept = math.prod(_shape(consumers[0].outputs[0]))
        if 0 < kept < outputs:
            outputs = kept
    return outputs


def _op_macs(op) -> tuple[str, int]:
    if op.type in _CONV_OPS:
        outputs = _nominal_outputs(op)
        kernel = _shape(op.inputs[1])  # (kh, kw, C_in, C_out) or (kh, kw, C_in, mult)
        per_output = kernel[0] * kernel[1] * (kernel[2] if op.type == "Conv2D" else 1)
        return "conv", round(outputs * per_output)
    if op.type == "Conv2DBackpropInput":  # a transposed conv: each input pixel x kernel
        kernel = _shape(op.inputs[1])  # (kh, kw, C_out, C_in)
        return "conv", math.prod(_shape(op.inputs[2])) * kernel[0] * kernel[1] * kernel[2]
    if op.type == "Einsum":
        return "matmul", _einsum_macs(op)
    if op.type in _MATMUL_OPS:
        a = _shape(op.inputs[0])
        out = _shape(op.outputs[0])
        transpose_a = op.type == "MatMul" and op.get_attr("transpose_a")
        inner = a[-2] if transpose_a or (op.type != "MatMul" and op.get_attr("adj_x")) else a[-1]
        return "matmul", math.prod(out) * inner
    if op.type in ("ResizeBilinear", "SfnetFlowWarp"):
        return "interpolation", 4 * math.prod(_shape(op.outputs[0]))
    return "", 0


def count_macs(model: keras.Model, input_shape) -> MacCount:
    """Counts a model's MACs for one input shape from its traced TensorFlow graph.

    The model is traced (not run) with a static input ``input_shape`` (batch
    included), and every convolution, matrix product and bilinear sampling op of the
    graph is counted from its static shapes (a stride-1 dilated conv followed by a
    subsampling slice counts as the strided conv it stands for). Elementwise ops (BatchNorm, ReLU, adds)
    are not counted, as in the torch flop counters and the paper. The flow warp's
    gathers count as one bilinear sampling per output element (4 MACs).

    Args:
        model: a Keras model on the TensorFlow backend.
        input_shape: ``(B, H, W, C)``.

    Returns:
        A :class:`MacCount`.

    Example:
    >>> from keras_sfnet import SFNet
    >>> macs = count_macs(SFNet(num_classes=19), (1, 64, 64, 3))
    >>> macs.gmacs > 0
    True
    """
    input_shape = tuple(int(d) for d in input_shape)
    function = tf.function(lambda x: model(x, training=False))
    # MACs are the math's, not the CPU kernel's: trace every convolution as one op (a
    # SplitInputConv2D's slices would hide the strided dilated conv from the counter).
    with implementation_scope(conv="plain"):
        graph = function.get_concrete_function(tf.TensorSpec(input_shape, tf.float32)).graph
    totals = {"conv": 0, "matmul": 0, "interpolation": 0}
    gathers = 0
    for op in graph.get_operations():
        kind, macs = _op_macs(op)
        if kind:
            totals[kind] += macs
        elif op.type in ("GatherV2", "Gather"):
            gathers += math.prod(_shape(op.outputs[0]))
    # The pure-TF warp is four gathers of the output size: one bilinear sample each.
    totals["interpolation"] += gathers
    return MacCount(batch=input_shape[0], **totals)
