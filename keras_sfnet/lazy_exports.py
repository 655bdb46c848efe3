"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists which public name lives in which module; each module is imported on
first access, so importing the package imports none of them (and never TensorFlow
for the parts of the library that run without it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, names: Mapping[str, str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package`` that import ``names[name]`` on access.

    Args:
        package: the package's ``__name__``.
        names: public name -> absolute module path that defines it (a value equal to
            ``f"{package}.{name}"`` exports the submodule itself).

    Example:
    >>> getattr_, dir_ = lazy_exports("json", {"dumps": "json"})
    >>> getattr_("dumps")([1])
    '[1]'
    """

    def __getattr__(name: str):
        module_path = names.get(name)
        if module_path is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(module_path)
        value = module if module_path == f"{package}.{name}" else getattr(module, name)
        return value

    def __dir__():
        return sorted(names)

    return __getattr__, __dir__
