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

import _compat_pickle
import contextvars
import io
import logging
import math
import os
import pickle
import struct
import sys
import types
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "ALLOWED_GLOBALS",
    "CheckpointError",
    "UnsafeCheckpointError",
    "extract_state_dict",
    "load_torch_checkpoint",
    "read_state_dict",
]

_LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL_VERSION = 1001
_ZIP_SIGNATURE = b"PK\x03\x04"
_BFLOAT16 = "bfloat16"
_NATIVE_BYTEORDER = "<" if sys.byteorder == "little" else ">"
_DEFAULT_SLACK = 64 << 20  # bytes allowed beyond the file size by default
_ELEMENT_COST = 64  # bytes charged per element of a set, tuple, dict or namespace


class CheckpointError(ValueError):
    """A file is not a readable PyTorch checkpoint (wrong format, corrupt, truncated).

    Also raised when a checkpoint declares more data than it holds or than the
    memory budget (`max_bytes`) allows. Every message names the file and the reason.
    A subclass of `ValueError`.

    Example:

    >>> try:
    ...     load_torch_checkpoint("notes.txt")  # doctest: +SKIP
    ... except CheckpointError as error:
    ...     print(error)  # doctest: +SKIP
    """


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint's pickle asks for a global outside the allow-list.

    Example:

    >>> try:
    ...     load_torch_checkpoint("malicious.pth")  # doctest: +SKIP
    ... except UnsafeCheckpointError as error:
    ...     print(error)  # doctest: +SKIP
    refusing to load 'posix.system' from checkpoint 'malicious.pth': ...
    """


# --------------------------------------------------------------------------------------
# Memory budget of one load.


def _human(nbytes: int) -> str:
    """`326 bytes`, `1.5 KiB`, `13.4 GiB`, `1 TiB`."""
    if nbytes < 1024:
        return f"{nbytes} bytes"
    value = float(nbytes)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        value /= 1024
        if value < 1024 or unit == "EiB":
            break
    return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"


class _Budget:
    """What one load may allocate: storage bytes read, and objects the pickle makes.

    The two are counted apart, each against `limit`, so that a load's peak memory
    stays near `2 * limit`. `source` and `file_size` go into the messages.
    """

    __slots__ = ("file_size", "limit", "made", "read", "source")

    def __init__(self, source: str, file_size: int, limit: int) -> None:
        self.source = source
        self.file_size = file_size
        self.limit = limit
        self.read = 0
        self.made = 0

    def _refuse(self, what: str | Callable[[], str], nbytes: int, kind: str) -> CheckpointError:
        what = what if isinstance(what, str) else what()
        return CheckpointError(
            f"checkpoint '{self.source}' {what} ({_human(nbytes)}) but the file holds "
            f"{_human(self.file_size)}: loading it would take more than max_bytes="
            f"{self.limit} ({_human(self.limit)}) of {kind}. Pass a larger `max_bytes` "
            "only if you trust this file."
        )

    def charge_read(self, nbytes: int, what: str | Callable[[], str]) -> None:
        """Counts `nbytes` of storage data about to be read; refuses beyond `limit`."""
        if self.read + nbytes > self.limit:
            raise self._refuse(what, nbytes, "storage data")
        self.read += nbytes

    def charge(self, nbytes: int, what: str | Callable[[], str]) -> None:
        """Counts `nbytes` about to be allocated for an object; refuses beyond `limit`.

        `what` (or what it returns, when callable) says what the checkpoint declares.
        """
        if self.made + nbytes > self.limit:
            raise self._refuse(what, nbytes, "tensors and objects")
        self.made += nbytes


# The budget of the load in progress in this thread / task (set by `_restricted_load`).
_BUDGET: contextvars.ContextVar[_Budget] = contextvars.ContextVar("checkpoint_budget")


def _charge(nbytes: int, what: str | Callable[[], str]) -> None:
    _BUDGET.get().charge(nbytes, what)


def _sized(value: Any, consumer: str) -> int:
    """The length of a container the pickle passes to `consumer`, refusing other types."""
    if type(value) not in (list, tuple, set, frozenset, dict, str, bytes, bytearray, range):
        raise UnsafeCheckpointError(
            f"{consumer}() of a {type(value).__name__} is not allowed in a checkpoint"
        )
    return len(value)


# --------------------------------------------------------------------------------------
# Markers the unpickler hands out in place of torch classes. They are immutable: a
# pickle's BUILD opcode can neither set their attributes nor call a `__setstate__` on
# them, so one checkpoint cannot alter what the next one is read with. None is callable.


class _Frozen:
    """Immutable record with slots; refuses BUILD, attribute writes and deletion."""

    __slots__ = ()

    def __init__(self, **values: Any) -> None:
        if set(values) != set(self.__slots__):
            raise AssertionError(f"{type(self).__name__} needs {self.__slots__}")
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __setstate__(self, state: Any) -> None:
        raise UnsafeCheckpointError(
            f"checkpoint tries to modify the {type(self).__name__} it was given"
        )

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"


class _StorageType(_Frozen):
    """A torch storage class (`torch.HalfStorage`), reduced to its element dtype.

    `dtype` is a numpy dtype string without byte order, or "bfloat16".
    """

    __slots__ = ("dtype", "name")

    @property
    def itemsize(self) -> int:
        return 2 if self.dtype == _BFLOAT16 else _ITEMSIZES[self.dtype]


class _TensorType(_Frozen):
    """`torch.Tensor` or `torch.nn.Parameter`, only valid in `_rebuild_from_type_v2`."""

    __slots__ = ("name",)


class _NdarrayType(_Frozen):
    """`numpy.ndarray`, only valid as the first argument of `_reconstruct`."""

    __slots__ = ()


class _Storage(_Frozen):
    """One storage (or legacy storage view) of a checkpoint, as raw bytes.

    Fields: key, dtype (as in `_StorageType`), numel, data, byteorder ("<" or ">").
    `data` is None while a legacy checkpoint's main pickle is scanned before its
    storage bytes (which follow it in the file) have been read.
    """

    __slots__ = ("byteorder", "data", "dtype", "key", "numel")

    def elements(self) -> np.ndarray:
        """The storage as a 1-D array of its elements (bfloat16 as raw uint16)."""
        if self.data is None:
            raise AssertionError("storage bytes are not loaded yet")
        base = "u2" if self.dtype == _BFLOAT16 else self.dtype
        dtype = np.dtype(base)
        if self.byteorder != _NATIVE_BYTEORDER:
            dtype = dtype.newbyteorder(self.byteorder)
        return np.frombuffer(self.data, dtype=dtype, count=self.numel)


class _SafeCallable(_Frozen):
    """An allowed function, wrapped so that a pickle cannot modify it."""

    __slots__ = ("func", "name")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)


_NDARRAY = _NdarrayType()

_STORAGE_DTYPES = {
    "FloatStorage": "f4",
    "DoubleStorage": "f8",
    "HalfStorage": "f2",
    "BFloat16Storage": _BFLOAT16,
    "LongStorage": "i8",
    "IntStorage": "i4",
    "ShortStorage": "i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
    "ComplexFloatStorage": "c8",
    "ComplexDoubleStorage": "c16",
    "UntypedStorage": "u1",
}

_ITEMSIZES = {d: np.dtype(d).itemsize for d in _STORAGE_DTYPES.values() if d != _BFLOAT16}

_TORCH_DTYPE_NAMES = (
    "float16",
    "half",
    "bfloat16",
    "float32",
    "float",
    "float64",
    "double",
    "complex64",
    "cfloat",
    "complex128",
    "cdouble",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "uint8",
    "bool",
)


# --------------------------------------------------------------------------------------
# Safe stand-ins for the allowed globals.


def _tensor_from_storage(
    storage: Any, storage_offset: Any, size: Any, stride: Any
) -> np.ndarray | None:
    """Rebuilds a tensor as an owned numpy array from its storage, offset, size, stride."""
    if not isinstance(storage, _Storage):
        raise CheckpointError(f"tensor record refers to {type(storage).__name__}, not to a storage")
    if not isinstance(size, tuple | list) or not isinstance(stride, tuple | list):
        raise CheckpointError(f"tensor record has size {size!r}, stride {stride!r}")
    size = tuple(size)
    stride = tuple(stride)
    if not all(isinstance(v, int) and v >= 0 for v in (storage_offset, *size, *stride)):
        raise CheckpointError(
            f"tensor record has invalid offset/size/stride: "
            f"{storage_offset!r}, {size!r}, {stride!r}"
        )
    if len(size) != len(stride):
        raise CheckpointError(f"tensor record has size {size} but stride {stride}")
    if storage.data is None:  # first pass over a legacy pickle: shapes only
        return None
    if 0 in size:
        last = storage_offset - 1
    else:
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    if last >= storage.numel or storage_offset > storage.numel:
        raise CheckpointError(
            f"tensor (offset {storage_offset}, size {size}, stride {stride}) reaches "
            f"past the end of storage {storage.key!r} ({storage.numel} elements)"
        )
    # A view may repeat elements (stride 0, overlaps): its copy is sized by its
    # shape, not by its storage, so it is counted before it is made.
    numel = math.prod(size)
    itemsize = 4 if storage.dtype == _BFLOAT16 else _ITEMSIZES[storage.dtype]
    _charge(
        numel * itemsize,
        lambda: (
            f"declares a {_dtype_name(storage.dtype)} tensor of shape {size} (strides "
            f"{stride}) on a storage of {storage.numel} elements"
        ),
    )
    elements = storage.elements()
    if 0 in size:
        array = np.empty(size, dtype=elements.dtype)
    else:
        itemsize = elements.dtype.itemsize
        array = np.lib.stride_tricks.as_strided(
            elements[storage_offset:],
            shape=size,
            strides=tuple(s * itemsize for s in stride),
            writeable=False,
        )
    native = np.dtype("u2" if storage.dtype == _BFLOAT16 else storage.dtype)
    array = np.array(array, dtype=native, order="C")
    if storage.dtype == _BFLOAT16:
        widened = np.empty(array.shape, dtype=np.float32)
        np.left_shift(array, 16, out=widened.view(np.uint32), dtype=np.uint32)
        array = widened
    return array


def _rebuild_tensor_v2(
    storage: Any,
    storage_offset: Any,
    size: Any,
    stride: Any,
    requires_grad: Any = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> np.ndarray | None:
    return _tensor_from_storage(storage, storage_offset, size, stride)


def _rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any) -> np.ndarray | None:
    return _tensor_from_storage(storage, storage_offset, size, stride)


def _rebuild_parameter(data: Any, requires_grad: Any = False, backward_hooks: Any = None) -> Any:
    return data


def _rebuild_parameter_with_state(
    data: Any, requires_grad: Any, backward_hooks: Any, state: Any
) -> Any:
    return data


def _rebuild_from_type_v2(func: Any, new_type: Any, args: Any, state: Any) -> Any:
    if not isinstance(new_type, _TensorType):
        raise UnsafeCheckpointError(f"tensor subclass {new_type!r} is not allowed in a checkpoint")
    if not isinstance(func, _SafeCallable):
        raise CheckpointError(f"tensor rebuild function {func!r} is not allowed")
    return func(*args)


def _dtype_name(dtype: str) -> str:
    """`"float32"` for `"f4"`; `"bfloat16"` stays."""
    return dtype if dtype == _BFLOAT16 else np.dtype(dtype).name


def _torch_size(dims: Any = ()) -> tuple:
    _charge(_sized(dims, "torch.Size") * _ELEMENT_COST, "builds a torch.Size")
    return tuple(dims)


def _range(*args: Any) -> range:
    if not all(isinstance(a, int) for a in args):
        raise CheckpointError(f"invalid range record {args!r}")
    return range(*args)  # lazy; whoever expands it pays by its length


def _collection(kind: type) -> Callable[..., Any]:
    def build(items: Any = ()) -> Any:
        _charge(_sized(items, kind.__name__) * _ELEMENT_COST, f"builds a {kind.__name__}")
        return kind(items)

    return build


class _OrderedDict(OrderedDict):
    """`collections.OrderedDict` whose items and attributes (`_metadata`) count as memory."""

    def __init__(self, items: Any = (), /) -> None:
        _charge(_sized(items, "OrderedDict") * _ELEMENT_COST, "builds an OrderedDict")
        super().__init__(items)

    def __setstate__(self, state: Any) -> None:
        _set_attributes(self, state, "an OrderedDict")


class _Namespace(types.SimpleNamespace):
    """`argparse.Namespace` of a checkpoint, as a `types.SimpleNamespace`."""

    def __setstate__(self, state: Any) -> None:
        _set_attributes(self, state, "an argparse.Namespace")


def _set_attributes(target: Any, state: Any, kind: str) -> None:
    if isinstance(state, tuple) and len(state) == 2 and state[1] is None:
        state = state[0]  # (dict, slotstate) form of BUILD
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise CheckpointError(f"invalid attributes ({type(state).__name__}) for {kind}")
    _charge(len(state) * _ELEMENT_COST, f"sets {len(state)} attributes on {kind}")
    vars(target).update(state)


def _torch_device(kind: Any, index: Any = None) -> str:
    if not isinstance(kind, str) or not (index is None or isinstance(index, int)):
        raise CheckpointError(f"invalid torch.device record: {kind!r}, {index!r}")
    return kind if index is None or ":" in kind else f"{kind}:{index}"


def _codecs_encode(text: Any, encoding: Any = "utf-8") -> bytes:
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "iso-8859-1"):
        raise UnsafeCheckpointError("only _codecs.encode(str, 'latin1') (pickled bytes) is allowed")
    _charge(len(text), "builds a byte string")
    return text.encode("latin1")


def _bytes_like(kind: type) -> Callable[..., Any]:
    def build(data: Any = b"", *args: Any) -> Any:
        if isinstance(data, int):  # bytes(n) would allocate n bytes on request
            raise UnsafeCheckpointError(f"{kind.__name__}(int) is not allowed")
        _charge(_sized(data, kind.__name__), f"builds a {kind.__name__} object")
        if isinstance(data, str):
            return kind(data, *args)
        return kind(data)

    return build


def _numpy_dtype(obj: Any, align: Any = False, copy: Any = True) -> np.dtype:
    if not isinstance(obj, str):
        raise UnsafeCheckpointError(f"numpy.dtype({obj!r}) is not allowed")
    dtype = np.dtype(obj, bool(align), True)  # always a copy: BUILD then sets its state
    if dtype.hasobject:
        raise UnsafeCheckpointError("numpy object dtypes are not allowed")
    return dtype


def _numpy_scalar(dtype: Any, data: Any = None) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise UnsafeCheckpointError(f"numpy scalar of dtype {dtype!r} is not allowed")
    if not isinstance(data, bytes | bytearray) or len(data) != dtype.itemsize:
        raise CheckpointError(f"invalid numpy scalar record for dtype {dtype}")
    _charge(dtype.itemsize, "builds a numpy scalar")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


class _Array(np.ndarray):
    """A numpy array of a checkpoint; its data (copied by BUILD) counts as memory."""

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 5 and isinstance(state[2], np.dtype)):
            raise CheckpointError("invalid numpy array record")
        shape = state[1]
        if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise CheckpointError(f"invalid numpy array shape {shape!r}")
        _charge(math.prod(shape) * state[2].itemsize, f"builds a numpy array of shape {shape}")
        super().__setstate__(state)


def _numpy_reconstruct(subtype: Any, shape: Any, dtype_code: Any) -> np.ndarray:
    if subtype is not _NDARRAY:
        raise UnsafeCheckpointError(f"numpy array subclass {subtype!r} is not allowed")
    return _Array((0,), dtype=np.uint8)  # BUILD then sets shape, dtype and data


def _allowed_globals() -> dict[tuple[str, str], Any]:
    table: dict[tuple[str, str], Any] = {}

    def add(module: str, name: str, value: Any) -> None:
        if callable(value) and not isinstance(value, type):
            value = _SafeCallable(name=f"{module}.{name}", func=value)
        table[(module, name)] = value

    add("torch._utils", "_rebuild_tensor_v2", _rebuild_tensor_v2)
    add("torch._utils", "_rebuild_tensor", _rebuild_tensor)
    add("torch._utils", "_rebuild_parameter", _rebuild_parameter)
    add("torch._utils", "_rebuild_parameter_with_state", _rebuild_parameter_with_state)
    add("torch._tensor", "_rebuild_from_type_v2", _rebuild_from_type_v2)
    for module in ("torch", "torch._tensor"):
        add(module, "Tensor", _TensorType(name="torch.Tensor"))
    add("torch.nn.parameter", "Parameter", _TensorType(name="torch.nn.Parameter"))
    for name, dtype in _STORAGE_DTYPES.items():
        add("torch", name, _StorageType(name=name, dtype=dtype))
    add(
        "torch.storage",
        "UntypedStorage",
        _StorageType(name="UntypedStorage", dtype="u1"),
    )
    add("torch", "Size", _torch_size)
    add("torch", "device", _torch_device)
    for name in _TORCH_DTYPE_NAMES:
        table[("torch", name)] = name
    add("collections", "OrderedDict", _OrderedDict)
    for kind in (set, frozenset):
        add("builtins", kind.__name__, _collection(kind))
    for kind in (complex, slice):
        add("builtins", kind.__name__, kind)
    add("builtins", "range", _range)
    add("builtins", "bytes", _bytes_like(bytes))
    add("builtins", "bytearray", _bytes_like(bytearray))
    add("_codecs", "encode", _codecs_encode)
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        add(module, "scalar", _numpy_scalar)
        add(module, "_reconstruct", _numpy_reconstruct)
    add("numpy", "dtype", _numpy_dtype)
    add("numpy", "ndarray", _NDARRAY)
    add("argparse", "Namespace", _Namespace)
    return table


_ALLOWED = _allowed_globals()

#: The dotted names of every global a checkpoint's pickle may refer to.
ALLOWED_GLOBALS: frozenset[str] = frozenset(f"{m}.{n}" for m, n in _ALLOWED)

# Module renames applied before the allow-list check (as torch.load does).
_MODULE_ALIASES = {"torch.tensor": "torch._tensor"}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves globals from the allow-list and storages from a reader."""

    def __init__(
        self,
        file: BinaryIO,
        *,
        source: str,
        persistent_load: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(file, encoding="utf-8")
        self._source = source
        self._persistent_load = persistent_load

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _compat_pickle.NAME_MAPPING:  # Python 2 pickles
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        module = _MODULE_ALIASES.get(module, module)
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafeCheckpointError(
                f"refusing to load {module + '.' + name!r} from checkpoint "
                f"'{self._source}': only tensors and plain containers are allowed"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        if self._persistent_load is None:
            raise CheckpointError(
                f"unexpected persistent id {pid!r} in checkpoint '{self._source}'"
            )
        return self._persistent_load(pid)


def _restricted_load(
    file: BinaryIO,
    source: str,
    budget: _Budget,
    persistent_load: Callable[[Any], Any] | None = None,
) -> Any:
    unpickler = _RestrictedUnpickler(file, source=source, persistent_load=persistent_load)
    token = _BUDGET.set(budget)
    try:
        return unpickler.load()
    except CheckpointError as error:
        if source in str(error):
            raise
        raise type(error)(f"checkpoint '{source}': {error}") from error
    except MemoryError as error:
        raise CheckpointError(
            f"checkpoint '{source}' needs more memory than is available to unpickle it"
        ) from error
    except Exception as error:  # malformed pickle data
        raise CheckpointError(
            f"checkpoint '{source}' is truncated or corrupt: cannot unpickle it "
            f"({type(error).__name__}: {error})"
        ) from error
    finally:
        _BUDGET.reset(token)


def _parse_storage_id(pid: Any, fields: int, source: str) -> tuple:
    if (
        not isinstance(pid, tuple)
        or len(pid) != fields + 1
        or pid[0] not in ("storage", b"storage")
    ):
        kind = pid[0] if isinstance(pid, tuple) and pid else pid
        raise UnsafeCheckpointError(
            f"refusing persistent object {kind!r} in checkpoint '{source}': "
            "only tensor storages are allowed"
        )
    storage_type, key, _location, numel = pid[1:5]
    if not isinstance(storage_type, _StorageType):
        raise CheckpointError(f"storage record in checkpoint '{source}' has type {storage_type!r}")
    if isinstance(key, bytes):
        key = key.decode("ascii")
    if not isinstance(key, str) or not isinstance(numel, int) or numel < 0:
        raise CheckpointError(f"invalid storage record {pid!r} in checkpoint '{source}'")
    return (storage_type, key, numel, *pid[5:])


# --------------------------------------------------------------------------------------
# Zip format.


def _load_zip(path: Path, source: str, budget: _Budget) -> Any:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise CheckpointError(
            f"'{source}' is a corrupt or truncated zip archive, not a readable "
            f"PyTorch checkpoint ({error})"
        ) from error
    with archive:
        records = {info.filename: info for info in archive.infolist()}  # O(1) lookups
        pickles = [n for n in records if n.endswith("data.pkl") and n.count("/") <= 1]
        if not pickles:
            hint = " (a TorchScript archive?)" if any("constants.pkl" in n for n in records) else ""
            raise CheckpointError(
                f"'{source}' is a zip archive without a data.pkl record: not a "
                f"torch.save checkpoint{hint}"
            )
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = "<"
        if prefix + "byteorder" in records:
            info = records[prefix + "byteorder"]
            mark = _read_record(archive, info, source, min(info.file_size, 16))
            if mark not in (b"little", b"big"):
                raise CheckpointError(f"unknown byte order {mark!r} in '{source}'")
            byteorder = "<" if mark == b"little" else ">"
        cache: dict[str, bytes] = {}

        def persistent_load(pid: Any) -> _Storage:
            storage_type, key, numel = _parse_storage_id(pid, 4, source)
            record = f"{prefix}data/{key}"
            nbytes = numel * storage_type.itemsize
            data = cache.get(key, b"")
            if key not in cache or len(data) < nbytes:  # read it (again, if it grew)
                info = records.get(record)
                if info is None:
                    raise CheckpointError(
                        f"checkpoint '{source}' is missing storage record '{record}'"
                    )
                if info.file_size >= nbytes:
                    _check_record_size(info, nbytes, storage_type, budget, len(data))
                    data = _read_record(archive, info, source, nbytes)
                    cache[key] = data
            if len(data) < nbytes:
                size = records[record].file_size
                raise CheckpointError(
                    f"storage record '{record}' of checkpoint '{source}' "
                    f"holds {size} bytes, fewer than the {nbytes} it declares"
                )
            return _Storage(
                key=key,
                dtype=storage_type.dtype,
                numel=numel,
                data=data,
                byteorder=byteorder,
            )

        info = records[pickles[0]]
        budget.charge_read(info.file_size, f"declares a pickle '{info.filename}'")
        data_pkl = _read_record(archive, info, source, info.file_size)
        result = _restricted_load(io.BytesIO(data_pkl), source, budget, persistent_load)
        logger.debug("read zip checkpoint %s: %d storages", source, len(cache))
        return result


# Deflate cannot expand data by more than about 1032:1.
_MAX_DEFLATE_RATIO = 1032


def _check_record_size(
    info: zipfile.ZipInfo, nbytes: int, storage_type: _StorageType, budget: _Budget, held: int
) -> None:
    """Refuses a storage larger than its record can hold, or than the budget.

    `held` bytes of the record were read before (and are replaced by this read).
    """
    if info.compress_type == zipfile.ZIP_STORED:
        capacity = min(info.compress_size, budget.file_size)
    else:
        capacity = info.compress_size * _MAX_DEFLATE_RATIO + 64
    if nbytes > capacity:
        raise CheckpointError(
            f"checkpoint '{budget.source}' declares {_human(nbytes)} of "
            f"{_dtype_name(storage_type.dtype)} in "
            f"'{info.filename}' but the file holds {_human(budget.file_size)} "
            f"({_human(info.compress_size)} in that record): it is corrupt or crafted"
        )
    budget.charge_read(
        nbytes - held,
        lambda: f"declares {_dtype_name(storage_type.dtype)} data in '{info.filename}'",
    )


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... name length, extra length


def _read_record(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, nbytes: int
) -> bytes:
    """Reads the first `nbytes` of a record (never more), refusing short or corrupt ones.

    Uncompressed records (all that `torch.save` writes) are read straight from the
    file after their local header, and checked against their CRC when read whole.
    """
    try:
        if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 1:
            data = _read_stored(archive, info, nbytes)
        else:
            with archive.open(info) as stream:
                data = stream.read(nbytes)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, zlib.error) as error:
        raise CheckpointError(
            f"'{source}' is a corrupt zip archive: cannot read '{info.filename}' ({error})"
        ) from error
    if len(data) != nbytes:
        raise CheckpointError(
            f"'{source}' is a corrupt or truncated zip archive: '{info.filename}' holds "
            f"{len(data)} bytes, not the {nbytes} its directory declares"
        )
    return data


def _read_stored(archive: zipfile.ZipFile, info: zipfile.ZipInfo, nbytes: int) -> bytes:
    file = archive.fp
    file.seek(info.header_offset)
    header = file.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise zipfile.BadZipFile("truncated local header")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _ZIP_SIGNATURE:
        raise zipfile.BadZipFile("bad local header signature")
    file.seek(name_length + extra_length, os.SEEK_CUR)
    data = file.read(nbytes)
    if nbytes == info.file_size and zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC-32 for file {info.filename!r}")
    return data


# --------------------------------------------------------------------------------------
# Legacy format.


def _looks_like_legacy(head: bytes) -> bool:
    # The first pickle is the magic number, written as PROTO n, LONG1 10 <bytes>.
    magic = b"\x8a\x0a" + _LEGACY_MAGIC_NUMBER.to_bytes(10, "little")
    return len(head) >= 2 and head[0] == 0x80 and magic in head[:32]


def _load_legacy(path: Path, source: str, budget: _Budget) -> Any:
    with open(path, "rb") as file:
        magic = _restricted_load(file, source, budget)
        if magic != _LEGACY_MAGIC_NUMBER:
            raise CheckpointError(f"'{source}' has an invalid legacy magic number")
        protocol = _restricted_load(file, source, budget)
        if protocol != _LEGACY_PROTOCOL_VERSION:
            raise CheckpointError(
                f"'{source}' has unsupported legacy protocol version {protocol!r}"
            )
        sys_info = _restricted_load(file, source, budget)
        little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
        byteorder = "<" if little else ">"

        # First pass: learn each storage's dtype and size; the bytes follow the pickle.
        main_start = file.tell()
        roots: dict[str, tuple[_StorageType, int]] = {}

        def scan(pid: Any) -> _Storage:
            storage_type, key, numel, view = _parse_storage_id(pid, 5, source)
            roots.setdefault(key, (storage_type, numel))
            if view is not None:
                numel = _parse_view(view, roots[key], source)[2]
            return _Storage(
                key=key,
                dtype=storage_type.dtype,
                numel=numel,
                data=None,
                byteorder=byteorder,
            )

        _restricted_load(file, source, budget, scan)
        budget.made = 0  # what the first pass made is gone
        keys = _restricted_load(file, source, budget)
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise CheckpointError(f"'{source}' has an invalid storage key list")

        blobs: dict[str, memoryview] = {}
        for key in keys:
            if key not in roots:
                raise CheckpointError(f"'{source}' stores unreferenced storage {key!r}")
            storage_type, numel = roots[key]
            header = file.read(8)
            if len(header) != 8:
                raise CheckpointError(
                    f"legacy checkpoint '{source}' is truncated: storage {key!r} is missing"
                )
            (count,) = struct.unpack("<q", header)
            if count != numel:
                raise CheckpointError(
                    f"storage {key!r} of '{source}' holds {count} elements, "
                    f"the pickle declares {numel}"
                )
            nbytes = count * storage_type.itemsize
            left = budget.file_size - file.tell()
            if nbytes > left:
                raise CheckpointError(
                    f"legacy checkpoint '{source}' declares {_human(nbytes)} of "
                    f"{_dtype_name(storage_type.dtype)} for storage {key!r} but the file holds "
                    f"{_human(budget.file_size)} ({_human(max(left, 0))} after that header): "
                    "it is truncated, corrupt or crafted"
                )
            budget.charge_read(nbytes, f"declares storage {key!r}")
            data = file.read(nbytes)
            if len(data) != nbytes:
                raise CheckpointError(
                    f"legacy checkpoint '{source}' is truncated inside storage {key!r}"
                )
            blobs[key] = memoryview(data)
        missing = sorted(set(roots) - set(blobs))
        if missing:
            raise CheckpointError(f"checkpoint '{source}' is missing storage record(s) {missing}")

        # Second pass: the same pickle, now with the storage bytes at hand.
        def resolve(pid: Any) -> _Storage:
            storage_type, key, numel, view = _parse_storage_id(pid, 5, source)
            data = blobs[key]
            if view is not None:
                _, offset, numel = _parse_view(view, roots[key], source)
                size = storage_type.itemsize
                data = data[offset * size : (offset + numel) * size]
            return _Storage(
                key=key,
                dtype=storage_type.dtype,
                numel=numel,
                data=data,
                byteorder=byteorder,
            )

        file.seek(main_start)
        result = _restricted_load(file, source, budget, resolve)
        logger.debug("read legacy checkpoint %s: %d storages", source, len(blobs))
        return result


def _parse_view(view: Any, root: tuple[_StorageType, int], source: str) -> tuple:
    if not (isinstance(view, tuple) and len(view) == 3):
        raise CheckpointError(f"invalid storage view record {view!r} in '{source}'")
    view_key, offset, numel = view
    if not (isinstance(offset, int) and isinstance(numel, int)) or (
        offset < 0 or numel < 0 or offset + numel > root[1]
    ):
        raise CheckpointError(f"storage view {view!r} out of bounds in '{source}'")
    return view_key, offset, numel


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
        max_bytes = file_size + _DEFAULT_SLACK
    elif isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(
            f"`max_bytes` must be a non-negative int or None. Received: max_bytes={max_bytes!r}"
        )
    budget = _Budget(source, file_size, max_bytes)
    with open(path, "rb") as file:
        head = file.read(64)
    if zipfile.is_zipfile(path):
        return _load_zip(path, source, budget)
    if head.startswith(_ZIP_SIGNATURE):
        raise CheckpointError(
            f"'{source}' is a corrupt or truncated zip archive, not a readable PyTorch checkpoint"
        )
    if _looks_like_legacy(head):
        return _load_legacy(path, source, budget)
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
