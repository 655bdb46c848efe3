"""The restricted unpickler of PyTorch checkpoints: allow-listed globals, tensor and
storage rebuilds into numpy (no torch, no code from the file runs).
"""


from __future__ import annotations

import _compat_pickle
import logging
import math
import pickle
import types
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from keras_sfnet.weights.checkpoint_budget import (
    BFLOAT16,
    BUDGET,
    ELEMENT_COST,
    NATIVE_BYTEORDER,
    CheckpointError,
    ReadBudget,
    UnsafeCheckpointError,
    charge_budget,
    sized_bytes,
)

logger = logging.getLogger(__name__)

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


class StorageType(_Frozen):
    """A torch storage class (`torch.HalfStorage`), reduced to its element dtype.

    `dtype` is a numpy dtype string without byte order, or "bfloat16".
    """

    __slots__ = ("dtype", "name")

    @property
    def itemsize(self) -> int:
        return 2 if self.dtype == BFLOAT16 else _ITEMSIZES[self.dtype]


class _TensorType(_Frozen):
    """`torch.Tensor` or `torch.nn.Parameter`, only valid in `_rebuild_from_type_v2`."""

    __slots__ = ("name",)


class _NdarrayType(_Frozen):
    """`numpy.ndarray`, only valid as the first argument of `_reconstruct`."""

    __slots__ = ()


class Storage(_Frozen):
    """One storage (or legacy storage view) of a checkpoint, as raw bytes.

    Fields: key, dtype (as in `StorageType`), numel, data, byteorder ("<" or ">").
    `data` is None while a legacy checkpoint's main pickle is scanned before its
    storage bytes (which follow it in the file) have been read.
    """

    __slots__ = ("byteorder", "data", "dtype", "key", "numel")

    @classmethod
    def of(
        cls, storage_type: StorageType, key: str, numel: int, data: bytes | None, byteorder: str
    ) -> Storage:
        """The storage ``key`` of ``numel`` elements of ``storage_type``."""
        return cls(key=key, dtype=storage_type.dtype, numel=numel, data=data, byteorder=byteorder)

    def elements(self) -> np.ndarray:
        """The storage as a 1-D array of its elements (bfloat16 as raw uint16)."""
        if self.data is None:
            raise AssertionError("storage bytes are not loaded yet")
        base = "u2" if self.dtype == BFLOAT16 else self.dtype
        dtype = np.dtype(base)
        if self.byteorder != NATIVE_BYTEORDER:
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
    "BFloat16Storage": BFLOAT16,
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

_ITEMSIZES = {d: np.dtype(d).itemsize for d in _STORAGE_DTYPES.values() if d != BFLOAT16}

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
    if not isinstance(storage, Storage):
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
    itemsize = 4 if storage.dtype == BFLOAT16 else _ITEMSIZES[storage.dtype]
    charge_budget(
        numel * itemsize,
        lambda: (
            f"declares a {dtype_name(storage.dtype)} tensor of shape {size} (strides "
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
    native = np.dtype("u2" if storage.dtype == BFLOAT16 else storage.dtype)
    array = np.array(array, dtype=native, order="C")
    if storage.dtype == BFLOAT16:
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


def dtype_name(dtype: str) -> str:
    """`"float32"` for `"f4"`; `"bfloat16"` stays."""
    return dtype if dtype == BFLOAT16 else np.dtype(dtype).name


def _torch_size(dims: Any = ()) -> tuple:
    charge_budget(sized_bytes(dims, "torch.Size") * ELEMENT_COST, "builds a torch.Size")
    return tuple(dims)


def _range(*args: Any) -> range:
    if not all(isinstance(a, int) for a in args):
        raise CheckpointError(f"invalid range record {args!r}")
    return range(*args)  # lazy; whoever expands it pays by its length


def _collection(kind: type) -> Callable[..., Any]:
    def build(items: Any = ()) -> Any:
        charge_budget(sized_bytes(items, kind.__name__) * ELEMENT_COST, f"builds a {kind.__name__}")
        return kind(items)

    return build


class _OrderedDict(OrderedDict):
    """`collections.OrderedDict` whose items and attributes (`_metadata`) count as memory."""

    def __init__(self, items: Any = (), /) -> None:
        charge_budget(sized_bytes(items, "OrderedDict") * ELEMENT_COST, "builds an OrderedDict")
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
    charge_budget(len(state) * ELEMENT_COST, f"sets {len(state)} attributes on {kind}")
    vars(target).update(state)


def _torch_device(kind: Any, index: Any = None) -> str:
    if not isinstance(kind, str) or not (index is None or isinstance(index, int)):
        raise CheckpointError(f"invalid torch.device record: {kind!r}, {index!r}")
    return kind if index is None or ":" in kind else f"{kind}:{index}"


def _codecs_encode(text: Any, encoding: Any = "utf-8") -> bytes:
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "iso-8859-1"):
        raise UnsafeCheckpointError("only _codecs.encode(str, 'latin1') (pickled bytes) is allowed")
    charge_budget(len(text), "builds a byte string")
    return text.encode("latin1")


def _bytes_like(kind: type) -> Callable[..., Any]:
    def build(data: Any = b"", *args: Any) -> Any:
        if isinstance(data, int):  # bytes(n) would allocate n bytes on request
            raise UnsafeCheckpointError(f"{kind.__name__}(int) is not allowed")
        charge_budget(sized_bytes(data, kind.__name__), f"builds a {kind.__name__} object")
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
    charge_budget(dtype.itemsize, "builds a numpy scalar")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


class _Array(np.ndarray):
    """A numpy array of a checkpoint; its data (copied by BUILD) counts as memory."""

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 5 and isinstance(state[2], np.dtype)):
            raise CheckpointError("invalid numpy array record")
        shape = state[1]
        if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise CheckpointError(f"invalid numpy array shape {shape!r}")
        charge_budget(math.prod(shape) * state[2].itemsize, f"builds a numpy array of shape {shape}")
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
        add("torch", name, StorageType(name=name, dtype=dtype))
    add(
        "torch.storage",
        "UntypedStorage",
        StorageType(name="UntypedStorage", dtype="u1"),
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


def restricted_load(
    file: BinaryIO,
    source: str,
    budget: ReadBudget,
    persistent_load: Callable[[Any], Any] | None = None,
) -> Any:
    unpickler = _RestrictedUnpickler(file, source=source, persistent_load=persistent_load)
    token = BUDGET.set(budget)
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
        BUDGET.reset(token)


def parse_storage_id(pid: Any, fields: int, source: str) -> tuple:
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
    if not isinstance(storage_type, StorageType):
        raise CheckpointError(f"storage record in checkpoint '{source}' has type {storage_type!r}")
    if isinstance(key, bytes):
        key = key.decode("ascii")
    if not isinstance(key, str) or not isinstance(numel, int) or numel < 0:
        raise CheckpointError(f"invalid storage record {pid!r} in checkpoint '{source}'")
    return (storage_type, key, numel, *pid[5:])


