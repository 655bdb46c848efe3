"""Writing an artifact so that a failed export never leaves a half-valid file behind."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile

__all__ = ["staged_output"]

logger = logging.getLogger(__name__)

REJECTED_SUFFIX = ".rejected"


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


@contextlib.contextmanager
def staged_output(path: str | os.PathLike, keep_rejected: bool = False):
    """Yields a temporary path beside ``path``; moves it to ``path`` on success.

    If the body raises (conversion or parity failure), the staged artifact is
    deleted, or kept as ``path + ".rejected"`` when ``keep_rejected`` is True (for
    debugging; the name says it failed). An existing artifact at ``path`` is only
    replaced by one that passed.

    Example:
    >>> with staged_output("model.tflite") as tmp:
    ...     write_and_check(tmp)
    """
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    base = os.path.basename(path)
    staging_dir = tempfile.mkdtemp(prefix=f".{base}.", dir=parent)
    staged = os.path.join(staging_dir, base)
    try:
        yield staged
    except BaseException:
        if keep_rejected and os.path.lexists(staged):
            rejected = path + REJECTED_SUFFIX
            _remove(rejected)
            os.replace(staged, rejected)
            logger.warning("Kept the rejected artifact at %s", rejected)
        shutil.rmtree(staging_dir, ignore_errors=True)
        raise
    if not os.path.lexists(staged):
        shutil.rmtree(staging_dir, ignore_errors=True)
        raise RuntimeError(f"The exporter wrote nothing at {staged}.")
    _remove(path)
    os.replace(staged, path)
    shutil.rmtree(staging_dir, ignore_errors=True)
