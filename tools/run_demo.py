"""The demo (synthetic data, training, mIoU, picture): `python tools/run_demo.py --help`.

A thin wrapper of `keras_sfnet_cli.demo` (installed as `sfnet-demo`).
"""

import sys

from keras_sfnet_cli.demo import build_parser, main, run

__all__ = ["build_parser", "main", "run"]

if __name__ == "__main__":
    sys.exit(main())
