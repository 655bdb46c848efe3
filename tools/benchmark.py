"""Benchmarks SFNet per runtime (Markdown table): `python tools/benchmark.py --help`.

A thin wrapper of `keras_sfnet_cli.benchmark` (installed as `sfnet-benchmark`).
"""

import sys

from keras_sfnet_cli.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
