"""Checking that outputs can be written before the slow work starts."""

from __future__ import annotations

import os

__all__ = ["check_writable"]


def _existing_ancestor(path: str) -> str:
    path = os.path.abspath(path)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def check_writable(*paths: str | os.PathLike, directory: bool = False) -> None:
    """Raises `PermissionError` (or `NotADirectoryError`) if a path cannot be written.

    A path is writable when it is a writable file, or it does not exist and its
    nearest existing ancestor is a writable folder (missing folders are created by
    the tools). Checked up front so that a 30-second conversion does not end in a
    permission error.

    Args:
        *paths: the files (or, with `directory=True`, folders) a tool will write.
        directory: bool, the paths are folders the tool writes into.

    Example:
    >>> check_writable("out/model.keras")  # doctest: +SKIP
    """
    for path in paths:
        path = os.fspath(path)
        if os.path.exists(path):
            if directory and not os.path.isdir(path):
                raise NotADirectoryError(f"Output '{path}' exists and is not a folder.")
            target = path if directory or os.path.isdir(path) else os.path.dirname(path) or "."
            if not os.access(target, os.W_OK) or (
                not os.path.isdir(path) and not os.access(path, os.W_OK)
            ):
                raise PermissionError(f"Cannot write '{path}': permission denied.")
            continue
        ancestor = _existing_ancestor(path)
        if not os.path.isdir(ancestor):
            raise NotADirectoryError(
                f"Cannot create '{path}': '{ancestor}' is a file, not a folder."
            )
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise PermissionError(f"Cannot write '{path}': folder '{ancestor}' is not writable.")
