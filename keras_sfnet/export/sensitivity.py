"""Selective int8: which ops of a TFLite model stay float, chosen by measurement.

Full-integer quantisation of some networks loses too many pixels (SFNet-Lite's gated
flow head: 82-85% agreement after short trainings). The calibrated model is quantised
once per candidate set, with the ops of that set denylisted (kept float, with
quantise/dequantise around them), and run on the calibration images against the
Keras model:

1. **Layer-wise error** (``QuantizationDebugger``): every quantised op's output error
   measured from the same quantised input, as RMSE over its quantisation step
   (``rmse_over_scale``; about 0.29 for plain rounding, more for ops that quantise
   badly).
2. **Measured sensitivity**: the ops are partitioned into groups along the Keras layer
   paths of their tensors (at most ``max_group_ops`` ops each) and each group alone is
   kept float; the gain in pixel agreement is that group's sensitivity.
3. **Selection**: groups are added in order of sensitivity (then layer-wise error)
   until the agreement reaches the target (the fewest that do: doubling, then
   bisection); then each chosen group, least sensitive first, goes back to int8 if
   the others keep the target without it.

Example:
>>> calibrated = CalibratedModel.from_concrete_function(function, representative)
>>> selection = select_float_ops(calibrated, keras_runner(model), representative)
>>> selection.float_nodes  # doctest: +SKIP
['sf_net_1/decoder_1/p2_gdfam_1/...']
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import tensorflow as tf

__all__ = [
    "CalibratedModel",
    "FloatSelection",
    "GroupSensitivity",
    "layer_errors",
    "litert_runner",
    "op_groups",
    "pixel_agreement",
    "select_float_ops",
]

logger = logging.getLogger(__name__)


def litert_runner(content: bytes) -> Callable[[np.ndarray], np.ndarray]:
    """``float32 (1, H, W, 3) -> float32 logits`` for a TFLite model in memory.

    Integer inputs and outputs are (de)quantised with their tensors' parameters.
    """
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=content)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    output = interpreter.get_output_details()[0]

    def run(x: np.ndarray) -> np.ndarray:
        if detail["dtype"] != np.float32 and x.dtype != detail["dtype"]:
            scale, zero_point = detail["quantization"]
            info = np.iinfo(detail["dtype"])
            x = np.clip(np.round(x / scale + zero_point), info.min, info.max)
            x = x.astype(detail["dtype"])
        interpreter.set_tensor(detail["index"], x)
        interpreter.invoke()
        y = interpreter.get_tensor(output["index"])
        if output["dtype"] != np.float32:
            scale, zero_point = output["quantization"]
            y = (y.astype(np.float32) - zero_point) * scale
        return y

    return run


def pixel_agreement(reference_ids: Sequence[np.ndarray], runner, samples) -> float:
    """Fraction of pixels where ``runner``'s argmax equals ``reference_ids``."""
    equal = total = 0
    for ids, x in zip(reference_ids, samples):
        got = np.argmax(runner(x), axis=-1)
        equal += int((got == ids).sum())
        total += ids.size
    return equal / max(total, 1)


class CalibratedModel:
    """A calibrated TFLite model (float ops with recorded ranges), quantised on demand.

    Args:
        content: the calibrated flatbuffer (``TFLiteConverter`` with
            ``_experimental_calibrate_only``).
        io_dtype: ``"float32"``, ``"int8"`` or ``"uint8"``, the quantised model's
            input/output type.
    """

    def __init__(self, content: bytes, io_dtype: str = "float32"):
        self.content = content
        self.io_dtype = io_dtype

    @classmethod
    def from_concrete_function(
        cls, function, representative_dataset, io_dtype: str = "float32"
    ) -> CalibratedModel:
        """Converts ``function`` to TFLite builtins and calibrates it on the samples."""
        converter = tf.lite.TFLiteConverter.from_concrete_functions([function])
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative_dataset
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
            tf.lite.OpsSet.TFLITE_BUILTINS,
        ]
        converter.experimental_mlir_quantizer = True
        converter._experimental_calibrate_only = True  # the ranges, not yet int8
        return cls(converter.convert(), io_dtype)

    def quantize(self, float_nodes: Iterable[str] = (), debug: bool = False) -> bytes:
        """The int8 model with the ops writing ``float_nodes`` (tensor names) kept float.

        ``debug=True`` adds the debugger's ``NUMERIC_VERIFY`` ops (float I/O).
        """
        from tensorflow.lite.python import convert

        io_type = tf.float32 if debug else tf.as_dtype(self.io_dtype)
        return convert.mlir_quantize(
            self.content,
            input_data_type=io_type,
            output_data_type=io_type,
            enable_numeric_verify=debug,
            denylisted_nodes=sorted(set(float_nodes)) or None,
        )


@dataclasses.dataclass
class LayerError:
    """The debugger's layer-wise error of one quantised op."""

    op: str
    tensor: str
    rmse_over_scale: float


def layer_errors(calibrated: CalibratedModel, representative_dataset) -> list[LayerError]:
    """Every quantised op's RMSE over its quantisation step, in execution order."""
    debug_model = calibrated.quantize(debug=True)
    debugger = tf.lite.experimental.QuantizationDebugger(
        quant_debug_model_content=debug_model, debug_dataset=representative_dataset
    )
    debugger.run()
    text = io.StringIO()
    debugger.layer_statistics_dump(text)
    errors = []
    for row in csv.DictReader(io.StringIO(text.getvalue())):
        scale = float(row["scale"])
        rmse = float(np.sqrt(max(float(row["mean_squared_error"]), 0.0)))
        errors.append(
            LayerError(row["op_name"], row["tensor_name"], rmse / scale if scale > 0 else 0.0)
        )
    return errors


def _path(tensor: str) -> list[str]:
    return tensor.split(";")[0].split("/")


def op_groups(tensors: Sequence[str], max_group_ops: int = 12) -> list[list[str]]:
    """Partitions tensor names into groups of related ops (execution order kept).

    The ops are split along the Keras layer paths of their names (``sf_net/decoder/
    p2_fam/flow_conv``), deeper where a group holds more than ``max_group_ops`` ops;
    consecutive small layers of one parent share a group up to that size.

    Example:
    >>> op_groups(["m/a/x", "m/a/y", "m/b/z"], max_group_ops=2)
    [['m/a/x', 'm/a/y'], ['m/b/z']]
    """
    if max_group_ops < 1:
        raise ValueError(f"`max_group_ops` must be >= 1. Received: {max_group_ops!r}")
    groups: list[list[str]] = []

    def split(members: list[str], depth: int) -> None:
        if len(members) <= max_group_ops:
            groups.append(members)
            return
        children: dict[str, list[str]] = {}
        for name in members:
            children.setdefault("/".join(_path(name)[:depth]), []).append(name)
        if len(children) == 1 and all(len(_path(n)) <= depth for n in members):
            # nothing deeper to split on: chunks in execution order
            for start in range(0, len(members), max_group_ops):
                groups.append(members[start : start + max_group_ops])
            return
        pending: list[str] = []
        for child in children.values():
            if len(child) > max_group_ops:
                if pending:
                    groups.append(pending)
                    pending = []
                split(child, depth + 1)
            else:
                if len(pending) + len(child) > max_group_ops:
                    groups.append(pending)
                    pending = []
                pending += child
        if pending:
            groups.append(pending)

    split(list(tensors), 1)
    return groups


def _label(members: Sequence[str]) -> str:
    paths = [_path(n) for n in members]
    common = []
    for parts in zip(*paths):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    label = "/".join(common) or members[0]
    return label if len(members) == 1 else f"{label} ({len(members)} ops)"


@dataclasses.dataclass
class GroupSensitivity:
    """One group of ops and what keeping it float gives.

    Attributes:
        label: str, the Keras layer path its tensors share (and the op count).
        tensors: list of the output tensor names of its ops.
        ops: list of their TFLite op types.
        agreement: float, the pixel agreement with Keras with this group alone float.
        gain: float, ``agreement`` minus the full-int8 agreement.
        max_rmse_over_scale: float, the largest layer-wise error in the group.
    """

    label: str
    tensors: list
    ops: list
    agreement: float
    gain: float
    max_rmse_over_scale: float


@dataclasses.dataclass
class FloatSelection:
    """The outcome of :func:`select_float_ops`.

    Attributes:
        float_nodes: list of tensor names whose ops stay float (empty: full int8).
        float_ops: list of ``{"op", "tensor"}`` dicts for those ops.
        full_agreement: float, pixel agreement of full int8 on the calibration images.
        agreement: float, that of the selected model.
        target: float, the agreement aimed at.
        sensitivities: list of :class:`GroupSensitivity`, most sensitive first (empty
            when full int8 already met the target).
        evaluations: int, quantised models built and run.
    """

    float_nodes: list
    float_ops: list
    full_agreement: float
    agreement: float
    target: float
    sensitivities: list
    evaluations: int

    def summary(self) -> str:
        if not self.float_nodes:
            return f"full int8 ({100 * self.full_agreement:.2f}% agreement on calibration)"
        kinds: dict[str, int] = {}
        for op in self.float_ops:
            kinds[op["op"]] = kinds.get(op["op"], 0) + 1
        ops = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        return (
            f"{len(self.float_nodes)} ops kept float ({ops}); calibration agreement "
            f"{100 * self.full_agreement:.2f}% full int8 -> {100 * self.agreement:.2f}%"
        )


def select_float_ops(
    calibrated: CalibratedModel,
    reference: Callable[[np.ndarray], np.ndarray],
    representative_dataset,
    target_agreement: float = 0.99,
    max_group_ops: int = 12,
) -> FloatSelection:
    """Measures each op group's sensitivity and keeps the fewest groups float that reach
    ``target_agreement`` on the calibration images.

    Args:
        calibrated: the :class:`CalibratedModel`.
        reference: ``float32 image batch -> logits``, the Keras model.
        representative_dataset: the calibration callable (``[image]`` per sample).
        target_agreement: float in [0, 1], the pixel agreement with ``reference`` to
            reach. Defaults to 0.99.
        max_group_ops: int, the largest group measured as one. Defaults to 12.

    Returns:
        A :class:`FloatSelection`. When no selection reaches the target (even all ops
        float), it holds the best one found; the export's parity check decides.
    """
    samples = [np.asarray(item[0], np.float32) for item in representative_dataset()]
    reference_ids = [np.argmax(reference(x), axis=-1) for x in samples]
    evaluations = 0

    def agreement(nodes) -> float:
        nonlocal evaluations
        evaluations += 1
        return pixel_agreement(reference_ids, litert_runner(calibrated.quantize(nodes)), samples)

    start = time.perf_counter()
    full = agreement([])
    if full >= target_agreement:
        return FloatSelection([], [], full, full, target_agreement, [], evaluations)

    errors = layer_errors(calibrated, representative_dataset)
    by_tensor = {e.tensor: e for e in errors}
    tensors = [e.tensor for e in errors]
    sensitivities = []
    for members in op_groups(tensors, max_group_ops):
        value = agreement(members)
        sensitivities.append(
            GroupSensitivity(
                _label(members),
                members,
                [by_tensor[t].op for t in members],
                value,
                value - full,
                max(by_tensor[t].rmse_over_scale for t in members),
            )
        )
    sensitivities.sort(key=lambda s: (-s.gain, -s.max_rmse_over_scale))
    logger.info(
        "int8 sensitivity: full %.4f; most sensitive %s",
        full,
        [(s.label, round(s.gain, 4)) for s in sensitivities[:5]],
    )

    # The fewest most-sensitive groups that reach the target: doubling, then bisection.
    cache: dict[int, float] = {0: full}

    def with_top(count: int) -> float:
        if count not in cache:
            cache[count] = agreement([t for s in sensitivities[:count] for t in s.tensors])
        return cache[count]

    low, high = 0, 1
    while high < len(sensitivities) and with_top(high) < target_agreement:
        low, high = high, min(2 * high, len(sensitivities))
    if with_top(high) >= target_agreement:
        while high - low > 1:
            middle = (low + high) // 2
            if with_top(middle) >= target_agreement:
                high = middle
            else:
                low = middle
        count = high
        chosen = list(sensitivities[:count])
        reached = with_top(count)
        # Backward elimination: a group that the others make unnecessary goes back to
        # int8 (least sensitive first), as long as the target stays reached.
        for group in reversed(sensitivities[: count if count > 1 else 0]):
            trial = [s for s in chosen if s is not group]
            value = agreement([t for s in trial for t in s.tensors])
            if value >= target_agreement:
                chosen, reached = trial, value
    else:
        count = max(cache, key=lambda k: (cache[k], -k))
        chosen, reached = list(sensitivities[:count]), cache[count]
    nodes = [t for s in chosen for t in s.tensors]
    ops = [{"op": by_tensor[t].op, "tensor": t} for t in nodes]
    logger.info(
        "int8 selection: %d groups (%d ops) float, agreement %.4f, %d evaluations, %.1f s",
        len(chosen),
        len(nodes),
        reached,
        evaluations,
        time.perf_counter() - start,
    )
    return FloatSelection(nodes, ops, full, reached, target_agreement, sensitivities, evaluations)


def median_latency(content: bytes, x: np.ndarray, repeats: int = 5) -> float:
    """Median seconds of one LiteRT call (after one untimed call)."""
    run = litert_runner(content)
    run(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(x)
        times.append(time.perf_counter() - start)
    return float(np.median(times))
