"""Predicts images, folders, globs or videos with an SFNet model: `python tools/predict.py --help`.

A thin wrapper of `keras_sfnet_cli.predict` (installed as `sfnet-predict`).
"""

import sys

from keras_sfnet_cli.predict import main

if __name__ == "__main__":
    sys.exit(main())
