"""Runs a Python script as if TensorFlow were not installed.

``python tests/helpers/without_tensorflow.py script.py [args...]`` (or ``-m module``): every import finder
is wrapped so that ``tensorflow`` (and the packages that exist only beside it:
tf2onnx, tensorboard, ai_edge_litert, tf_keras) cannot be found: ``import`` raises
ModuleNotFoundError and ``importlib.util.find_spec`` returns None, exactly as in an
environment where they were never installed.
"""

from __future__ import annotations

import runpy
import sys

BLOCKED = ("tensorflow", "tf2onnx", "tensorboard", "ai_edge_litert", "tf_keras")


def _blocked(name: str) -> bool:
    return any(name == b or name.startswith(b + ".") for b in BLOCKED)


class _HidingFinder:
    def __init__(self, finder):
        self._finder = finder

    def find_spec(self, name, path=None, target=None):
        if _blocked(name):
            return None
        return self._finder.find_spec(name, path, target)

    def __getattr__(self, attribute):
        return getattr(self._finder, attribute)


def hide_tensorflow() -> None:
    """Makes TensorFlow unimportable in this process (call before anything imports it)."""
    if any(_blocked(name) for name in sys.modules):
        raise RuntimeError("TensorFlow was imported before hide_tensorflow()")
    sys.meta_path[:] = [
        f if isinstance(f, _HidingFinder) else _HidingFinder(f) for f in sys.meta_path
    ]


if __name__ == "__main__":
    hide_tensorflow()
    if sys.argv[1] == "-m":  # python without_tensorflow.py -m pytest ...
        sys.argv = [sys.argv[2], *sys.argv[3:]]
        runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
    else:
        sys.argv = sys.argv[1:]
        runpy.run_path(sys.argv[0], run_name="__main__")
