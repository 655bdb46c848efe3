"""Builds the fused flow-warp TensorFlow op into keras_sfnet/kernels/.

Usage: python tools/build_kernels.py [--native] [--cpu-only | --cuda] [--output-dir DIR]
"""

import sys

from keras_sfnet.kernels.build import main

if __name__ == "__main__":
    sys.exit(main())
