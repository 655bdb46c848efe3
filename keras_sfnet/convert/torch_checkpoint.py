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

Everything else, including pickled `torch.nn.Module` objects, TorchScript
archives, sparse or quantized tensors and any other class or function, is
refused. Optimizer state dicts, epochs, metrics and command strings are plain
containers, numbers and strings, and load as such.

Example:

>>> from keras_sfnet.convert.torch_checkpoint import read_state_dict
>>> weights = read_state_dict("sfnet_resnet18.pth")  # doctest: +SKIP
>>> weights["layer0.0.0.weight"].shape  # doctest: +SKIP
(64, 3, 3, 3)
"""

from __future__ import annotations

import _compat_pickle
import io
import logging
import os
import pickle
import struct
import sys
import types
import zipfile
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


class CheckpointError(ValueError):
    """A file is not a readable PyTorch checkpoint (wrong format, corrupt, truncated).

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
        return 2 if self.dtype == _BFLOAT16 else np.dtype(self.dtype).itemsize


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


def _torch_size(dims: Any = ()) -> tuple:
    return tuple(dims)


def _torch_device(kind: Any, index: Any = None) -> str:
    if not isinstance(kind, str) or not (index is None or isinstance(index, int)):
        raise CheckpointError(f"invalid torch.device record: {kind!r}, {index!r}")
    return kind if index is None or ":" in kind else f"{kind}:{index}"


def _codecs_encode(text: Any, encoding: Any = "utf-8") -> bytes:
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "iso-8859-1"):
        raise UnsafeCheckpointError("only _codecs.encode(str, 'latin1') (pickled bytes) is allowed")
    return text.encode("latin1")


def _bytes_like(kind: type) -> Callable[..., Any]:
    def build(data: Any = b"", *args: Any) -> Any:
        if isinstance(data, int):  # bytes(n) would allocate n bytes on request
            raise UnsafeCheckpointError(f"{kind.__name__}(int) is not allowed")
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
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def _numpy_reconstruct(subtype: Any, shape: Any, dtype_code: Any) -> np.ndarray:
    if subtype is not _NDARRAY:
        raise UnsafeCheckpointError(f"numpy array subclass {subtype!r} is not allowed")
    return np.ndarray((0,), dtype=np.uint8)  # BUILD then sets shape, dtype and data


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
    add("collections", "OrderedDict", OrderedDict)
    for kind in (set, frozenset, complex, slice, range):
        add("builtins", kind.__name__, kind)
    add("builtins", "bytes", _bytes_like(bytes))
    add("builtins", "bytearray", _bytes_like(bytearray))
    add("_codecs", "encode", _codecs_encode)
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        add(module, "scalar", _numpy_scalar)
        add(module, "_reconstruct", _numpy_reconstruct)
    add("numpy", "dtype", _numpy_dtype)
    add("numpy", "ndarray", _NDARRAY)
    add("argparse", "Namespace", types.SimpleNamespace)
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
    file: BinaryIO, source: str, persistent_load: Callable[[Any], Any] | None = None
) -> Any:
    unpickler = _RestrictedUnpickler(file, source=source, persistent_load=persistent_load)
    try:
        return unpickler.load()
    except CheckpointError as error:
        if source in str(error):
            raise
        raise type(error)(f"checkpoint '{source}': {error}") from error
    except Exception as error:  # malformed pickle data
        raise CheckpointError(
            f"checkpoint '{source}' is truncated or corrupt: cannot unpickle it "
            f"({type(error).__name__}: {error})"
        ) from error


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


def _load_zip(path: Path, source: str) -> Any:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise CheckpointError(
            f"'{source}' is a corrupt or truncated zip archive, not a readable "
            f"PyTorch checkpoint ({error})"
        ) from error
    with archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
        if not pickles:
            hint = " (a TorchScript archive?)" if any("constants.pkl" in n for n in names) else ""
            raise CheckpointError(
                f"'{source}' is a zip archive without a data.pkl record: not a "
                f"torch.save checkpoint{hint}"
            )
        prefix = pickles[0][: -len("data.pkl")]
        byteorder = "<"
        if prefix + "byteorder" in names:
            mark = _read_record(archive, prefix + "byteorder", source)
            if mark not in (b"little", b"big"):
                raise CheckpointError(f"unknown byte order {mark!r} in '{source}'")
            byteorder = "<" if mark == b"little" else ">"
        cache: dict[str, bytes] = {}

        def persistent_load(pid: Any) -> _Storage:
            storage_type, key, numel = _parse_storage_id(pid, 4, source)
            if key not in cache:
                record = f"{prefix}data/{key}"
                if record not in names:
                    raise CheckpointError(
                        f"checkpoint '{source}' is missing storage record '{record}'"
                    )
                cache[key] = _read_record(archive, record, source)
            data = cache[key]
            nbytes = numel * storage_type.itemsize
            if len(data) < nbytes:
                raise CheckpointError(
                    f"storage record '{prefix}data/{key}' of checkpoint '{source}' "
                    f"holds {len(data)} bytes, fewer than the {nbytes} it declares"
                )
            return _Storage(
                key=key,
                dtype=storage_type.dtype,
                numel=numel,
                data=data,
                byteorder=byteorder,
            )

        data_pkl = _read_record(archive, pickles[0], source)
        result = _restricted_load(io.BytesIO(data_pkl), source, persistent_load)
        logger.debug("read zip checkpoint %s: %d storages", source, len(cache))
        return result


def _read_record(archive: zipfile.ZipFile, name: str, source: str) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise CheckpointError(
            f"'{source}' is a corrupt zip archive: cannot read '{name}' ({error})"
        ) from error


# --------------------------------------------------------------------------------------
# Legacy format.


def _looks_like_legacy(head: bytes) -> bool:
    # The first pickle is the magic number, written as PROTO n, LONG1 10 <bytes>.
    magic = b"\x8a\x0a" + _LEGACY_MAGIC_NUMBER.to_bytes(10, "little")
    return len(head) >= 2 and head[0] == 0x80 and magic in head[:32]


def _load_legacy(path: Path, source: str) -> Any:
    with open(path, "rb") as file:
        magic = _restricted_load(file, source)
        if magic != _LEGACY_MAGIC_NUMBER:
            raise CheckpointError(f"'{source}' has an invalid legacy magic number")
        protocol = _restricted_load(file, source)
        if protocol != _LEGACY_PROTOCOL_VERSION:
            raise CheckpointError(
                f"'{source}' has unsupported legacy protocol version {protocol!r}"
            )
        sys_info = _restricted_load(file, source)
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

        _restricted_load(file, source, scan)
        keys = _restricted_load(file, source)
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
        result = _restricted_load(file, source, resolve)
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


def load_torch_checkpoint(path: str | os.PathLike) -> Any:
    """Reads a PyTorch checkpoint without torch and without running its code.

    Both `torch.save` formats are read: the zip format (torch >= 1.6) and the legacy
    format (earlier releases, or `_use_new_zipfile_serialization=False`). Tensors
    become numpy arrays (bfloat16 as float32); only the globals in
    `ALLOWED_GLOBALS` may appear in the checkpoint's pickle.

    Args:
        path: str or path-like. The checkpoint file (`.pth`, `.pt`, `.tar`).

    Returns:
        The unpickled structure (typically a dict holding `state_dict`, `optimizer`,
        `epoch`, ...) with numpy arrays in place of tensors.

    Raises:
        FileNotFoundError: `path` does not exist.
        UnsafeCheckpointError: the pickle refers to a global outside the allow-list.
        CheckpointError: the file is not a PyTorch checkpoint, or is corrupt or
            truncated.

    Example:

    >>> from keras_sfnet.convert.torch_checkpoint import load_torch_checkpoint
    >>> checkpoint = load_torch_checkpoint("sfnet_resnet18.pth")  # doctest: +SKIP
    >>> sorted(checkpoint)  # doctest: +SKIP
    ['command', 'epoch', 'mean_iu', 'optimizer', 'state_dict']
    """
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint '{source}' does not exist or is not a file")
    with open(path, "rb") as file:
        head = file.read(64)
    if zipfile.is_zipfile(path):
        return _load_zip(path, source)
    if head.startswith(_ZIP_SIGNATURE):
        raise CheckpointError(
            f"'{source}' is a corrupt or truncated zip archive, not a readable PyTorch checkpoint"
        )
    if _looks_like_legacy(head):
        return _load_legacy(path, source)
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


def read_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Reads a PyTorch checkpoint's model weights as float32 numpy arrays.

    Equivalent to `extract_state_dict(load_torch_checkpoint(path))`.

    Args:
        path: str or path-like. The checkpoint file.

    Returns:
        A dict from parameter name (without `module.`) to numpy array.

    Example:

    >>> from keras_sfnet.convert.torch_checkpoint import read_state_dict
    >>> weights = read_state_dict("sfnet_resnet18.pth")  # doctest: +SKIP
    >>> weights["layer0.0.0.weight"].dtype  # doctest: +SKIP
    dtype('float32')
    """
    return extract_state_dict(load_torch_checkpoint(path))
