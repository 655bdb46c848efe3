"""Safe, torch-free reader for PyTorch checkpoint files (`.pth`, `.pt`).

A checkpoint is untrusted input: `torch.load` without `weights_only=True` runs
arbitrary code hidden in its pickle. This module never imports torch and never
unpickles arbitrary objects. Its unpickler resolves globals from a short
allow-list (see `ALLOWED_GLOBALS`) and refuses everything else with
`UnsafeCheckpointError`, naming the refused global.

Both on-disk formats written by `torch.save` are read:

- the zip format (torch >= 1.6): `<archive>/data.pkl` plus one raw record per
  storage in `<archive>/data/<key>`, with an optional `<archive>/byteorder`;
- the legacy format (torch < 1.6, or `_use_new_zipfile_serialization=False`):
  the magic number, protocol version and system-info pickles, the main pickle,
  the pickled list of storage keys, then for each key an 8-byte little-endian
  element count followed by the storage's raw bytes.

Tensors come back as numpy arrays that own their memory (views saved on a shared
storage become independent copies) with the tensor's shape, honouring the
storage offset and strides. bfloat16 tensors come back as float32 (exact: a
16-bit shift), every other dtype unchanged.

What the allow-list admits, and what it yields:

- tensor rebuilds: `torch._utils._rebuild_tensor_v2`, `_rebuild_tensor`,
  `_rebuild_parameter`, `_rebuild_parameter_with_state` and
  `torch._tensor._rebuild_from_type_v2` (with `torch.Tensor` or
  `torch.nn.parameter.Parameter` as the type) give numpy arrays; backward hooks,
  `requires_grad` and Python attributes are dropped.
- storage types: `torch.FloatStorage`, `HalfStorage`, `BFloat16Storage`,
  `DoubleStorage`, `LongStorage`, `IntStorage`, `ShortStorage`, `CharStorage`,
  `ByteStorage`, `BoolStorage`, `ComplexFloatStorage`, `ComplexDoubleStorage`
  and `torch.UntypedStorage` (read as uint8); usable only inside a storage
  record.
- small torch values: `torch.Size` gives a tuple, `torch.device` a string such as
  `"cuda:0"`, a torch dtype such as `torch.float16` its name (`"float16"`).
- containers and values: `collections.OrderedDict`, `builtins.set`,
  `frozenset`, `complex`, `slice`, `range`, `bytes` and `bytearray` (from
  bytes-like data only), `_codecs.encode` (latin-1 text to bytes only, which is
  how protocol-2 pickles store bytes).
- numpy values that training scripts store (a `mean_iu` computed with numpy):
  `numpy.core.multiarray.scalar`, `_reconstruct`, `numpy.ndarray` and
  `numpy.dtype` (also under `numpy._core`), restricted to plain arrays and
  non-object dtypes.
- `argparse.Namespace` (saved training arguments), rebuilt as a
  `types.SimpleNamespace` with the same attributes.

The containers that could copy or expand what the pickle holds (`set`,
`frozenset`, `torch.Size`, `bytes`, `bytearray`, `OrderedDict` and namespace
attributes, numpy arrays) are safe reconstructors that count what they make
against the memory budget before making it (so `set(range(10**10))` is refused,
not attempted); they come back as `OrderedDict`, `SimpleNamespace` and
`numpy.ndarray` subclasses.

Memory is bounded by the file, not by what the file claims. Every size is
checked before anything is allocated: a storage must fit in the bytes the file
really holds (for a compressed zip record, its declared uncompressed size, read
no further than the pickle needs), and everything the pickle makes (tensor
copies, sets, tuples, byte strings, arrays) counts against a budget of
`max_bytes` (default: the file size + 64 MiB). Views with stride 0 or
overlapping elements (`torch.zeros(1).expand(60000, 60000)`) are copied only
within that budget. A file over budget raises `CheckpointError` naming the
file and what it declares ("declares 13.4 GiB of float32 but the file holds
1.5 KiB"); pass a larger `max_bytes` for a file you trust. Peak memory is thus
at most about twice the file size plus 128 MiB.

Everything else, including pickled `torch.nn.Module` objects, TorchScript
archives, sparse or quantized tensors and any other class or function, is
refused. Optimizer state dicts, epochs, metrics and command strings are plain
containers, numbers and strings, and load as such.

Example:

>>> from keras_sfnet.weights.torch_checkpoint import read_state_dict
>>> weights = read_state_dict("sfnet_resnet18.pth")  # doctest: +SKIP
>>> weights["layer0.0.0.weight"].shape  # doctest: +SKIP
(64, 3, 3, 3)
"""


from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from keras_sfnet.weights.checkpoint_archives import load_legacy, load_zip, looks_like_legacy
from keras_sfnet.weights.checkpoint_budget import (
    DEFAULT_SLACK,
    ZIP_SIGNATURE,
    CheckpointError,
    ReadBudget,
    UnsafeCheckpointError,
)
from keras_sfnet.weights.checkpoint_unpickler import ALLOWED_GLOBALS

logger = logging.getLogger(__name__)

__all__ = [
    "ALLOWED_GLOBALS",
    "CheckpointError",
    "UnsafeCheckpointError",
    "extract_state_dict",
    "load_torch_checkpoint",
    "read_state_dict",
]


# --------------------------------------------------------------------------------------
# Public API.


def load_torch_checkpoint(path: str | os.PathLike, *, max_bytes: int | None = None) -> Any:
    """Reads a PyTorch checkpoint without torch and without running its code.

    Both `torch.save` formats are read: the zip format (torch >= 1.6) and the legacy
    format (earlier releases, or `_use_new_zipfile_serialization=False`). Tensors
    become numpy arrays (bfloat16 as float32); only the globals in
    `ALLOWED_GLOBALS` may appear in the checkpoint's pickle.

    Memory is bounded: the storage data read and, separately, the tensors and objects
    made may each take at most `max_bytes`, and every declared size is checked
    against the bytes the file really holds before anything is allocated.

    Args:
        path: str or path-like. The checkpoint file (`.pth`, `.pt`, `.tar`).
        max_bytes: int or `None`. Memory budget in bytes (see above); `None` (the
            default) allows the file size + 64 MiB, which every genuine checkpoint
            fits unless it shares storages between many tensors or holds bfloat16
            tensors (read as float32, twice their size) larger than 64 MiB.

    Returns:
        The unpickled structure (typically a dict holding `state_dict`, `optimizer`,
        `epoch`, ...) with numpy arrays in place of tensors.

    Raises:
        FileNotFoundError: `path` does not exist.
        UnsafeCheckpointError: the pickle refers to a global outside the allow-list.
        CheckpointError: the file is not a PyTorch checkpoint, is corrupt or
            truncated, or declares more data than it holds or than `max_bytes`.

    Example:

    >>> from keras_sfnet.weights.torch_checkpoint import load_torch_checkpoint
    >>> checkpoint = load_torch_checkpoint("sfnet_resnet18.pth")  # doctest: +SKIP
    >>> sorted(checkpoint)  # doctest: +SKIP
    ['command', 'epoch', 'mean_iu', 'optimizer', 'state_dict']
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint '{source}' does not exist or is not a file")
    file_size = path.stat().st_size
    if max_bytes is None:
        max_bytes = file_size + DEFAULT_SLACK
    elif isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(
            f"`max_bytes` must be a non-negative int or None. Received: max_bytes={max_bytes!r}"
        )
    budget = ReadBudget(source, file_size, max_bytes)
    with open(path, "rb") as file:
        head = file.read(64)
    if zipfile.is_zipfile(path):
        return load_zip(path, source, budget)
    if head.startswith(ZIP_SIGNATURE):
        raise CheckpointError(
            f"'{source}' is a corrupt or truncated zip archive, not a readable PyTorch checkpoint"
        )
    if looks_like_legacy(head):
        return load_legacy(path, source, budget)
    raise CheckpointError(
        f"'{source}' is not a PyTorch checkpoint (neither a zip archive nor a legacy torch pickle)"
    )


def extract_state_dict(obj: Any) -> dict[str, np.ndarray]:
    """Picks the model weights out of a loaded checkpoint and normalizes them.

    The state dict is `obj["state_dict"]`, else `obj["model"]`, else `obj` itself
    when it is a flat mapping of arrays. A leading `module.` (left by
    `DataParallel`) is stripped from every key, `num_batches_tracked` entries are
    dropped, and floating arrays are cast to float32; integer and boolean arrays are
    kept as they are.

    Args:
        obj: object. What `load_torch_checkpoint` returned.

    Returns:
        A dict from parameter name to numpy array, in checkpoint order.

    Raises:
        TypeError: `obj` is not a mapping, or a state dict entry is not an array.
        ValueError: no state dict is found, or two keys collide once `module.` is
            stripped.

    Example:

    >>> import numpy as np
    >>> extract_state_dict({"state_dict": {"module.conv.weight": np.ones(2, "f2")}})
    {'conv.weight': array([1., 1.], dtype=float32)}
    """
    if not isinstance(obj, Mapping):
        raise TypeError(
            f"expected a checkpoint mapping, got {type(obj).__name__}; "
            "pass what load_torch_checkpoint returned"
        )
    if isinstance(obj.get("state_dict"), Mapping):
        state, where = obj["state_dict"], "checkpoint['state_dict']"
    elif isinstance(obj.get("model"), Mapping):
        state, where = obj["model"], "checkpoint['model']"
    elif obj and all(isinstance(v, np.ndarray) for v in obj.values()):
        state, where = obj, "checkpoint"
    else:
        raise ValueError(
            "no state dict found: expected a 'state_dict' or 'model' mapping, or a flat "
            f"mapping of arrays. Received keys: {list(obj)[:10]}"
        )
    result: dict[str, np.ndarray] = {}
    for key, value in state.items():
        if not isinstance(key, str):
            raise TypeError(f"{where} has a non-string key {key!r}")
        if key.split(".")[-1] == "num_batches_tracked":
            continue
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{where}[{key!r}] is a {type(value).__name__}, not a tensor")
        name = key.removeprefix("module.")
        if name in result:
            raise ValueError(f"{where} has both {key!r} and {name!r}")
        if np.issubdtype(value.dtype, np.floating):
            value = value.astype(np.float32, copy=False)
        result[name] = value
    logger.debug("extracted %d arrays from %s", len(result), where)
    return result


def read_state_dict(
    path: str | os.PathLike, *, max_bytes: int | None = None
) -> dict[str, np.ndarray]:
    """Reads a PyTorch checkpoint's model weights as float32 numpy arrays.

    Equivalent to `extract_state_dict(load_torch_checkpoint(path, max_bytes=max_bytes))`.

    Args:
        path: str or path-like. The checkpoint file.
        max_bytes: int or `None`. Memory budget, see `load_torch_checkpoint`.

    Returns:
        A dict from parameter name (without `module.`) to numpy array.

    Example:

    >>> from keras_sfnet.weights.torch_checkpoint import read_state_dict
    >>> weights = read_state_dict("sfnet_resnet18.pth")  # doctest: +SKIP
    >>> weights["layer0.0.0.weight"].dtype  # doctest: +SKIP
    dtype('float32')
    """
    return extract_state_dict(load_torch_checkpoint(path, max_bytes=max_bytes))
