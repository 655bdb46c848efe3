"""Trains and compares the SFNet paper's ablation rows: `python tools/ablate.py --help`.

A thin wrapper of `keras_sfnet_cli.ablate` (installed as `sfnet-ablate`).
"""

import sys

from keras_sfnet_cli.ablate import main

if __name__ == "__main__":
    sys.exit(main())
