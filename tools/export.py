"""Exports an SFNet model (SavedModel, TFLite, ONNX, TensorRT): `python tools/export.py --help`.

A thin wrapper of `keras_sfnet_cli.export` (installed as `sfnet-export`).
"""

import sys

from keras_sfnet_cli.export import main

if __name__ == "__main__":
    sys.exit(main())
