"""The dataset listings with or without TensorFlow installed.

The listers reach the disk through :mod:`keras_sfnet.data.file_system` (``os`` for
local paths, ``tf.io.gfile`` only for remote URLs), so the registry's own
``list_files`` and ``get_dataset_info`` run on a machine without TensorFlow; these
names are kept for the array pipeline's callers.

Example:
>>> from keras_sfnet.synthetic import generate_synthetic_cityscapes
>>> import tempfile
>>> root = generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=2, num_val=1)
>>> len(list_files_anywhere("cityscapes", root, "val"))
1
"""

from __future__ import annotations

from keras_sfnet.data.registry import get_dataset_info, list_files

__all__ = ["dataset_info_anywhere", "list_files_anywhere"]


def list_files_anywhere(name: str, root, split: str | None = "train", **kwargs) -> list:
    """:func:`keras_sfnet.data.list_files` (the same function: it needs no TensorFlow)."""
    return list_files(name, root, split, **kwargs)


def dataset_info_anywhere(name: str, root=None):
    """:func:`keras_sfnet.data.get_dataset_info` (no TensorFlow needed).

    Example:
    >>> dataset_info_anywhere("cityscapes").num_classes
    19
    """
    return get_dataset_info(name, root)
