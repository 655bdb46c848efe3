"""Builds the fused flow-warp TensorFlow op: `python tools/build_kernels.py --help`.

A thin wrapper of `keras_sfnet_cli.build_kernels`.
"""

import sys

from keras_sfnet_cli.build_kernels import main

if __name__ == "__main__":
    sys.exit(main())
