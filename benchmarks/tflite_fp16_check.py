"""What float16 TFLite does on CPU: ops, outputs and speed vs float32, in one process.

    python benchmarks/tflite_fp16_check.py [WIDTH]   # height 256, width 512 by default

Converts a random-weight SFNet ResNet-18 to float32 and float16 TFLite, counts the
DEQUANTIZE / CONV_2D ops and tensor dtypes, compares the outputs of XNNPACK and the
builtin kernels with the float32 builtin run, then times all four interpreters
interleaved (8 rounds, 2 threads). Results are quoted in docs/export.md.
"""

from __future__ import annotations

import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from keras_sfnet import SFNet
from keras_sfnet.export.tracing import image_spec, trace_logits


def main() -> None:
    keras.utils.set_random_seed(0)
    height, width = 256, int(sys.argv[1]) if len(sys.argv) > 1 else 512
    model = SFNet(num_classes=19)
    function = trace_logits(
        model, image_spec((height, width), batch_size=1), resize="op", warp="gather"
    )
    blobs = {}
    for kind in ("float32", "float16"):
        converter = tf.lite.TFLiteConverter.from_concrete_functions([function])
        if kind == "float16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        blobs[kind] = converter.convert()
    builtin = {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES}
    interpreters = {}
    for kind, blob in blobs.items():
        plain = Interpreter(model_content=blob, **builtin)
        ops = [op["op_name"] for op in plain._get_ops_details()]
        dtypes: dict[str, int] = {}
        for tensor in plain.get_tensor_details():
            name = tensor["dtype"].__name__
            dtypes[name] = dtypes.get(name, 0) + 1
        print(
            f"{kind}: {len(blob)} bytes, {ops.count('DEQUANTIZE')} DEQUANTIZE, "
            f"{ops.count('CONV_2D')} CONV_2D, tensor dtypes {dtypes}"
        )
        for runner, kwargs in (("xnnpack", {}), ("builtin", builtin)):
            interpreter = Interpreter(model_content=blob, num_threads=2, **kwargs)
            interpreter.allocate_tensors()
            interpreters[(kind, runner)] = interpreter
    x = np.random.default_rng(0).random((1, height, width, 3), np.float32)
    outputs = {}
    for key, interpreter in interpreters.items():
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
        interpreter.invoke()
        outputs[key] = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    reference = outputs[("float32", "builtin")]
    for key, output in outputs.items():
        print(key, "max abs difference to float32 builtin", float(np.abs(output - reference).max()))
    times = {key: [] for key in interpreters}
    for _ in range(8):
        for key, interpreter in interpreters.items():
            start = time.perf_counter()
            interpreter.invoke()
            times[key].append(time.perf_counter() - start)
    for key, values in times.items():
        print(key, f"median {np.median(values):.3f} s")
    for runner in ("xnnpack", "builtin"):
        ratio = np.median(times[("float16", runner)]) / np.median(times[("float32", runner)])
        print(f"{runner}: float16 / float32 = {ratio:.3f}")
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
