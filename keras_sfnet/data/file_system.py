"""The file operations of the dataset listers: local paths need no TensorFlow.

Local paths use ``os``; a remote URL (``gs://``, ``s3://``, ``hdfs://`` ...) goes
through ``tf.io.gfile``, and without TensorFlow says what to install. So
``list_files`` works on a machine without TensorFlow for folders on disk.

Example:
>>> import tempfile
>>> isdir(tempfile.gettempdir()) and not exists("/no/such/folder")
True
"""

from __future__ import annotations

import os

__all__ = ["exists", "isdir", "is_remote", "listdir", "open_text"]


def is_remote(path) -> bool:
    """True for a URL such as ``gs://bucket/x`` (read through ``tf.io.gfile``)."""
    return "://" in os.fspath(path)


def _gfile(path):
    from keras_sfnet.backend_support import require_tensorflow

    require_tensorflow(f"reading '{os.fspath(path)}' (a remote path)")
    import tensorflow as tf

    return tf.io.gfile


def exists(path) -> bool:
    """Whether ``path`` exists."""
    return _gfile(path).exists(path) if is_remote(path) else os.path.exists(path)


def isdir(path) -> bool:
    """Whether ``path`` is a folder."""
    return _gfile(path).isdir(path) if is_remote(path) else os.path.isdir(path)


def listdir(path) -> list[str]:
    """The names in folder ``path`` (``tf.io.gfile.listdir``'s form: folders may end in /)."""
    return _gfile(path).listdir(path) if is_remote(path) else os.listdir(path)


def open_text(path):
    """``path`` opened for reading text."""
    return _gfile(path).GFile(path, "r") if is_remote(path) else open(path, encoding="utf-8")
