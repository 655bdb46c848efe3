"""Errors and the memory budget of one checkpoint read (:mod:`keras_sfnet.weights.torch_checkpoint`)."""


from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001
ZIP_SIGNATURE = b"PK\x03\x04"
BFLOAT16 = "bfloat16"
NATIVE_BYTEORDER = "<" if sys.byteorder == "little" else ">"
DEFAULT_SLACK = 64 << 20  # bytes allowed beyond the file size by default
ELEMENT_COST = 64  # bytes charged per element of a set, tuple, dict or namespace


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


def human_bytes(nbytes: int) -> str:
    """`326 bytes`, `1.5 KiB`, `13.4 GiB`, `1 TiB`."""
    if nbytes < 1024:
        return f"{nbytes} bytes"
    value = float(nbytes)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        value /= 1024
        if value < 1024 or unit == "EiB":
            break
    return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"


class ReadBudget:
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
            f"checkpoint '{self.source}' {what} ({human_bytes(nbytes)}) but the file holds "
            f"{human_bytes(self.file_size)}: loading it would take more than max_bytes="
            f"{self.limit} ({human_bytes(self.limit)}) of {kind}. Pass a larger `max_bytes` "
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


# The budget of the load in progress in this thread / task (set by `restricted_load`).
BUDGET: contextvars.ContextVar[ReadBudget] = contextvars.ContextVar("checkpoint_budget")


def charge_budget(nbytes: int, what: str | Callable[[], str]) -> None:
    BUDGET.get().charge(nbytes, what)


def sized_bytes(value: Any, consumer: str) -> int:
    """The length of a container the pickle passes to `consumer`, refusing other types."""
    if type(value) not in (list, tuple, set, frozenset, dict, str, bytes, bytearray, range):
        raise UnsafeCheckpointError(
            f"{consumer}() of a {type(value).__name__} is not allowed in a checkpoint"
        )
    return len(value)

