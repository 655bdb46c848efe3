"""The two PyTorch file formats: the zip archive (torch >= 1.6) and the legacy
sequence of pickles, read record by record within the memory budget.
"""


from __future__ import annotations

import io
import logging
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from keras_sfnet.weights.checkpoint_budget import (
    LEGACY_MAGIC_NUMBER,
    LEGACY_PROTOCOL_VERSION,
    ZIP_SIGNATURE,
    CheckpointError,
    ReadBudget,
    human_bytes,
)
from keras_sfnet.weights.checkpoint_unpickler import (
    Storage,
    StorageType,
    dtype_name,
    parse_storage_id,
    restricted_load,
)

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------
# Zip format.


def load_zip(path: Path, source: str, budget: ReadBudget) -> Any:
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

        def persistent_load(pid: Any) -> Storage:
            storage_type, key, numel = parse_storage_id(pid, 4, source)
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
            return Storage.of(storage_type, key, numel, data, byteorder)

        info = records[pickles[0]]
        budget.charge_read(info.file_size, f"declares a pickle '{info.filename}'")
        data_pkl = _read_record(archive, info, source, info.file_size)
        result = restricted_load(io.BytesIO(data_pkl), source, budget, persistent_load)
        logger.debug("read zip checkpoint %s: %d storages", source, len(cache))
        return result


# Deflate cannot expand data by more than about 1032:1.
_MAX_DEFLATE_RATIO = 1032


def _check_record_size(
    info: zipfile.ZipInfo, nbytes: int, storage_type: StorageType, budget: ReadBudget, held: int
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
            f"checkpoint '{budget.source}' declares {human_bytes(nbytes)} of "
            f"{dtype_name(storage_type.dtype)} in "
            f"'{info.filename}' but the file holds {human_bytes(budget.file_size)} "
            f"({human_bytes(info.compress_size)} in that record): it is corrupt or crafted"
        )
    budget.charge_read(
        nbytes - held,
        lambda: f"declares {dtype_name(storage_type.dtype)} data in '{info.filename}'",
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
    if signature != ZIP_SIGNATURE:
        raise zipfile.BadZipFile("bad local header signature")
    file.seek(name_length + extra_length, os.SEEK_CUR)
    data = file.read(nbytes)
    if nbytes == info.file_size and zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC-32 for file {info.filename!r}")
    return data


# --------------------------------------------------------------------------------------
# Legacy format.


def looks_like_legacy(head: bytes) -> bool:
    # The first pickle is the magic number, written as PROTO n, LONG1 10 <bytes>.
    magic = b"\x8a\x0a" + LEGACY_MAGIC_NUMBER.to_bytes(10, "little")
    return len(head) >= 2 and head[0] == 0x80 and magic in head[:32]


def load_legacy(path: Path, source: str, budget: ReadBudget) -> Any:
    with open(path, "rb") as file:
        magic = restricted_load(file, source, budget)
        if magic != LEGACY_MAGIC_NUMBER:
            raise CheckpointError(f"'{source}' has an invalid legacy magic number")
        protocol = restricted_load(file, source, budget)
        if protocol != LEGACY_PROTOCOL_VERSION:
            raise CheckpointError(
                f"'{source}' has unsupported legacy protocol version {protocol!r}"
            )
        sys_info = restricted_load(file, source, budget)
        little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
        byteorder = "<" if little else ">"

        # First pass: learn each storage's dtype and size; the bytes follow the pickle.
        main_start = file.tell()
        roots: dict[str, tuple[StorageType, int]] = {}

        def scan(pid: Any) -> Storage:
            storage_type, key, numel, view = parse_storage_id(pid, 5, source)
            roots.setdefault(key, (storage_type, numel))
            if view is not None:
                numel = _parse_view(view, roots[key], source)[2]
            return Storage.of(storage_type, key, numel, None, byteorder)

        restricted_load(file, source, budget, scan)
        budget.made = 0  # what the first pass made is gone
        keys = restricted_load(file, source, budget)
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
                    f"legacy checkpoint '{source}' declares {human_bytes(nbytes)} of "
                    f"{dtype_name(storage_type.dtype)} for storage {key!r} but the file holds "
                    f"{human_bytes(budget.file_size)} ({human_bytes(max(left, 0))} after that header): "
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
        def resolve(pid: Any) -> Storage:
            storage_type, key, numel, view = parse_storage_id(pid, 5, source)
            data = blobs[key]
            if view is not None:
                _, offset, numel = _parse_view(view, roots[key], source)
                size = storage_type.itemsize
                data = data[offset * size : (offset + numel) * size]
            return Storage.of(storage_type, key, numel, data, byteorder)

        file.seek(main_start)
        result = restricted_load(file, source, budget, resolve)
        logger.debug("read legacy checkpoint %s: %d storages", source, len(blobs))
        return result


def _parse_view(view: Any, root: tuple[StorageType, int], source: str) -> tuple:
    if not (isinstance(view, tuple) and len(view) == 3):
        raise CheckpointError(f"invalid storage view record {view!r} in '{source}'")
    view_key, offset, numel = view
    if not (isinstance(offset, int) and isinstance(numel, int)) or (
        offset < 0 or numel < 0 or offset + numel > root[1]
    ):
        raise CheckpointError(f"storage view {view!r} out of bounds in '{source}'")
    return view_key, offset, numel

