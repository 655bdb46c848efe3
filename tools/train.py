"""Trains SFNet: `python tools/train.py --config configs/cityscapes_r18.json --data-root DIR`.

A thin wrapper of `keras_sfnet_cli.train` (installed as `sfnet-train`); see `--help`.
"""

import sys

from keras_sfnet_cli.train import build_parser, config_from_args, main, run

__all__ = ["build_parser", "config_from_args", "main", "run"]

if __name__ == "__main__":
    sys.exit(main())
