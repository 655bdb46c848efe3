"""Can TensorFlow's converter write 16x8 (int16 activations, int8 weights) for SFNet?

Calibrates a family member once with TFLite's MLIR calibrator (as the selective int8
export does) and asks its MLIR quantizer for int16 activations
(``mlir_quantize(inference_type=QUANTIZED_INT16)``), first as is, then with every op
it names in an error kept float (``denylisted_nodes``), up to ``--attempts`` times.
Prints the first error, what was denylisted, and the outcome (the operator list and
the pixel agreement with Keras on the calibration images where it converts).

    nice -n 10 python benchmarks/tflite_16x8_probe.py --name sfnet_lite_stdc1 \\
        [--model runs/lite/model.keras] [--size 128 256]

Measured 2026-12-04 (TF 2.21, random Lite STDC1): the quantizer stops at the GD-FAM
warp's bilinear weight ``1 - w`` (``p2_gdfam/sub_16``: an int8 constant minus an int16
tensor, "binary op operands have same element type"); each op denylisted moves the
error to the next ``MUL``/``SUB`` of the warp's interpolation; with 17 ops float it
converts, but LiteRT refuses the model ("conv.cc:430 input->params.zero_point != 0
(-1 != 0)": asymmetric int16 activations, which its int16 kernels do not take).
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile

#: ``tensorflow/lite/toco/types.proto``: QUANTIZED_INT16.
QUANTIZED_INT16 = 6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", default="sfnet_lite_stdc1")
    parser.add_argument("--model", default=None, help="a trained .keras (default: random)")
    parser.add_argument("--size", nargs=2, type=int, default=(128, 256))
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--attempts", type=int, default=20)
    args = parser.parse_args(argv)

    import keras
    import numpy as np
    import tensorflow as tf
    from tensorflow.lite.python import convert

    import keras_sfnet
    from keras_sfnet.export.calibration import calibration_samples
    from keras_sfnet.export.sensitivity import CalibratedModel, litert_runner, pixel_agreement
    from keras_sfnet.export.tflite import tflite_operators
    from keras_sfnet.export.tracing import image_spec, keras_runner, trace_logits

    size = tuple(args.size)
    if args.model:
        model = keras.models.load_model(args.model)
    else:
        model = keras_sfnet.SFNet.from_name(args.name, num_classes=19)
    function = trace_logits(model, image_spec(size, 1), resize="op", warp="gather")
    calibration = calibration_samples(None, size, args.samples)
    samples = [np.asarray(item[0], np.float32) for item in calibration()]
    reference = [np.argmax(keras_runner(model)(x), axis=-1) for x in samples]
    calibrated = CalibratedModel.from_concrete_function(function, calibration)
    full = pixel_agreement(reference, litert_runner(calibrated.quantize()), samples)
    print(f"full int8 agreement on calibration: {100 * full:.2f}%")
    denied: list[str] = []
    for _ in range(args.attempts):
        # The quantizer's errors go to the C++ log (stderr), not into the exception.
        log = tempfile.TemporaryFile()
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)
        try:
            content = convert.mlir_quantize(
                calibrated.content,
                inference_type=QUANTIZED_INT16,
                input_data_type=tf.float32,
                output_data_type=tf.float32,
                denylisted_nodes=denied or None,
            )
            failed = None
        except Exception as error:  # ConverterError (empty message)
            failed = error
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        if failed is not None:
            log.seek(0)
            text = log.read().decode("utf-8", "replace") + str(failed)
            lines = [ln for ln in text.splitlines() if "error:" in ln and "loc(" in ln]
            first = lines[0] if lines else " ".join(text.split())[:300]
            print(f"16x8 failed (denylisted {len(denied)}): {first.strip()}")
            match = re.search(r'loc\("([^"]+)"\)', first)
            if not match or match.group(1) in denied:
                print("16x8: not convertible (the failing op stays failing when denylisted)")
                return 1
            denied.append(match.group(1))
            continue
        try:
            agreement = pixel_agreement(reference, litert_runner(content), samples)
        except RuntimeError as error:  # LiteRT refuses the quantised model
            print(f"16x8 converted with {len(denied)} ops float; LiteRT refuses it: {error}")
            return 1
        print(f"16x8 converted with {len(denied)} ops float: {tflite_operators(content)}")
        print(f"16x8 agreement on calibration: {100 * agreement:.2f}%")
        return 0
    print(f"16x8: gave up after {args.attempts} attempts")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
