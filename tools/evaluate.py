"""Evaluates an SFNet model (mIoU table, scores as JSON): `python tools/evaluate.py --help`.

A thin wrapper of `keras_sfnet_cli.evaluate` (installed as `sfnet-evaluate`).
"""

import sys

from keras_sfnet_cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
