"""Converts an authors' SFNet checkpoint (.pth) into a Keras model: `sfnet-convert --help`.

A thin wrapper of `keras_sfnet_cli.convert` (installed as `sfnet-convert`).
"""

import sys

from keras_sfnet_cli.convert import main

if __name__ == "__main__":
    sys.exit(main())
