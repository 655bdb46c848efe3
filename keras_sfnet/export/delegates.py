"""GPU-delegate compatibility of a TFLite model, as LiteRT's model analyzer reports it.

``tf.lite.experimental.Analyzer.analyze(..., gpu_compatibility=True)`` prints its
report (a ``GPU COMPATIBILITY WARNING`` per op the GPU delegate cannot run, or "Your
model looks compatible with GPU delegate"). :func:`gpu_delegate_compatibility`
captures that text (nothing is printed), parses it into the incompatible ops by name
and count, and first checks that the analyzer checks at all: a canary model made of
ops the GPU delegate has no kernel for (``TOPK_V2``, ``SEGMENT_SUM``) must be
reported incompatible. The analyzers of TensorFlow 2.21 and ai-edge-litert 2.3 report
that canary compatible, so on them the result is ``checked=False`` with the reason,
not a verdict.

Example:
>>> report = gpu_delegate_compatibility(open("sfnet.tflite", "rb").read())  # doctest: +SKIP
>>> report.checked, report.incompatible_ops  # doctest: +SKIP
(True, {'GATHER': 4})
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import logging
import re

__all__ = ["DelegateCompatibility", "gpu_delegate_compatibility", "parse_gpu_analysis"]

logger = logging.getLogger(__name__)

#: Ops the canary model is made of: the GPU delegate has no kernel for them.
CANARY_OPS = ("TOPK_V2", "SEGMENT_SUM")

_OP_LINE = re.compile(r"^\s*Op#(\d+)\s+([A-Z0-9_]+)\(")
_SUBGRAPH_LINE = re.compile(r"^Subgraph#(\d+)")
_WARNING = "GPU COMPATIBILITY WARNING"
_NODES = re.compile(r"issues at nodes ([0-9, ]+)")
_COMPATIBLE = "looks compatible with GPU delegate"
_VERSION = re.compile(r"TFLite runtime version ([^\s]+?)\.?\s*$", re.MULTILINE)


@dataclasses.dataclass
class DelegateCompatibility:
    """What the analyzer says about one model and the GPU delegate.

    Attributes:
        checked: bool, whether the analyzer's GPU check works here (its canary model
            was reported incompatible); False: ``compatible`` is None, see ``reason``.
        compatible: bool or None, the analyzer's verdict (None when not checked).
        incompatible_ops: dict, op name -> count of the ops it flags.
        messages: list of its warning lines (first 20).
        operators: dict, op name -> count of all ops of the model.
        runtime: str, the TFLite runtime version the analyzer names.
        reason: str, why there is no verdict ("" when checked).
        analyzer_compatible: bool or None, what the analyzer's text says, checked or
            not (None: no GPU verdict in it).
    """

    checked: bool
    compatible: bool | None
    incompatible_ops: dict
    messages: list
    operators: dict
    runtime: str = ""
    reason: str = ""
    analyzer_compatible: bool | None = None

    def summary(self) -> str:
        """One line, e.g. ``'GPU delegate: compatible (analyzer, runtime 2.21.0)'``."""
        if not self.checked:
            return f"GPU delegate: not checked ({self.reason})"
        if self.compatible:
            return f"GPU delegate: compatible (analyzer, runtime {self.runtime})"
        ops = ", ".join(f"{n} {k}" for k, n in sorted(self.incompatible_ops.items()))
        return f"GPU delegate: incompatible ops {ops} (analyzer, runtime {self.runtime})"


def parse_gpu_analysis(text: str) -> tuple[bool | None, dict, list, dict, str]:
    """``(compatible, incompatible_ops, messages, operators, runtime)`` from the text.

    ``compatible`` is None when the text holds no GPU verdict at all.

    Example:
    >>> text = "Subgraph#0 main(T#0)\\n  Op#0 TOPK_V2(T#0) -> [T#1]\\n"
    >>> text += "GPU COMPATIBILITY WARNING: Not supported op TOPK_V2\\n"
    >>> parse_gpu_analysis(text)[:2]
    (False, {'TOPK_V2': 1})
    """
    operators: dict[str, int] = {}
    names: dict[tuple[int, int], str] = {}
    flagged: dict[tuple[int, int], str] = {}
    messages: list[str] = []
    subgraph, last = 0, None
    for line in text.splitlines():
        if match := _SUBGRAPH_LINE.match(line.strip()):
            subgraph = int(match.group(1))
        if match := _OP_LINE.match(line):
            last = (subgraph, int(match.group(1)))
            names[last] = match.group(2)
            operators[match.group(2)] = operators.get(match.group(2), 0) + 1
            continue
        if _WARNING not in line:
            continue
        messages.append(line.strip())
        if nodes := _NODES.search(line):  # the subgraph's summary line
            for node in nodes.group(1).replace(" ", "").split(","):
                if node and (subgraph, int(node)) in names:
                    flagged[(subgraph, int(node))] = names[(subgraph, int(node))]
        elif last is not None:  # a warning right after its op
            flagged[last] = names[last]
    incompatible: dict[str, int] = {}
    for name in flagged.values():
        incompatible[name] = incompatible.get(name, 0) + 1
    if messages:
        compatible = False
    elif _COMPATIBLE in text:
        compatible = True
    else:
        compatible = None
    version = _VERSION.search(text)
    return compatible, incompatible, messages[:20], operators, version.group(1) if version else ""


def _analyze(content: bytes) -> str:
    """The analyzer's report with the GPU check, captured (it prints)."""
    import tensorflow as tf

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        tf.lite.experimental.Analyzer.analyze(model_content=content, gpu_compatibility=True)
    return text.getvalue()


@functools.lru_cache(maxsize=1)
def _canary_flagged() -> tuple[bool, str]:
    """Whether the analyzer flags the canary model (and what it said)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, 64], tf.float32)])
    def canary(x):
        values, _ = tf.math.top_k(x, k=4)
        sums = tf.math.segment_sum(tf.reshape(x, [64]), tf.zeros([64], tf.int32))
        return tf.reduce_sum(values) + sums

    converter = tf.lite.TFLiteConverter.from_concrete_functions([canary.get_concrete_function()])
    compatible, incompatible, _, operators, runtime = parse_gpu_analysis(
        _analyze(converter.convert())
    )
    present = [op for op in CANARY_OPS if op in operators]
    flagged = compatible is False and all(op in incompatible for op in present)
    said = "compatible" if compatible else f"incompatible {sorted(incompatible)}"
    return flagged, f"{', '.join(present)} canary reported {said} (runtime {runtime})"


def gpu_delegate_compatibility(content: bytes) -> DelegateCompatibility:
    """The GPU-delegate compatibility of a TFLite flatbuffer, from the model analyzer.

    Args:
        content: bytes, the ``.tflite`` flatbuffer.

    Returns:
        A :class:`DelegateCompatibility`. ``checked`` is False when the analyzer
        of this TensorFlow does not flag a model the GPU delegate cannot run (the
        canary): its "compatible" would mean nothing.

    Example:
    >>> gpu_delegate_compatibility(content).summary()  # doctest: +SKIP
    'GPU delegate: not checked (TOPK_V2, SEGMENT_SUM canary reported compatible ...)'
    """
    if not isinstance(content, (bytes, bytearray)):
        raise TypeError(
            f"`content` must be the TFLite flatbuffer as bytes. Received: {type(content).__name__}"
        )
    compatible, incompatible, messages, operators, runtime = parse_gpu_analysis(
        _analyze(bytes(content))
    )
    flagged, canary = _canary_flagged()
    if compatible is None:
        reason = "the analyzer gave no GPU verdict"
    elif not flagged:
        reason = f"the analyzer does not check: the {canary}"
    else:
        reason = ""
    if reason:
        logger.info("GPU delegate compatibility not checked: %s", reason)
        return DelegateCompatibility(
            False, None, incompatible, messages, operators, runtime, reason, compatible
        )
    return DelegateCompatibility(
        True, compatible, incompatible, messages, operators, runtime, "", compatible
    )
