"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists which public name lives in which module; each module is imported on
first access, so importing the package imports none of them (and never TensorFlow
for the parts of the library that run without it). A name whose module needs a
missing TensorFlow raises :class:`keras_sfnet.backend_support.TensorFlowRequiredError`
saying what to install.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping

__all__ = ["SUBMODULE", "lazy_exports", "moved_names"]

SUBMODULE = "<submodule>"
"""The value of :func:`lazy_exports` names that exports a submodule."""


def _import(module_path: str, package: str):
    try:
        return importlib.import_module(module_path)
    except ModuleNotFoundError as error:
        if not (error.name or "").split(".")[0] == "tensorflow":
            raise
        from keras_sfnet.backend_support import require_tensorflow

        require_tensorflow(f"{module_path} ({package})")
        raise


def lazy_exports(package: str, names: Mapping[str, str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package`` that import ``names[name]`` on access.

    Args:
        package: the package's ``__name__``.
        names: public name -> absolute module path that defines it, or
            :data:`SUBMODULE` to export the submodule ``f"{package}.{name}"`` itself.
            A function named like its own module (``logits_function``) must be
            imported eagerly instead: importing the submodule binds its name on the
            package, which would hide the function.

    Example:
    >>> getattr_, dir_ = lazy_exports("json", {"dumps": "json"})
    >>> getattr_("dumps")([1])
    '[1]'
    """

    def __getattr__(name: str):
        module_path = names.get(name)
        if module_path is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if module_path == SUBMODULE:
            return _import(f"{package}.{name}", package)
        return getattr(_import(module_path, package), name)

    def __dir__():
        return sorted(names)

    return __getattr__, __dir__


def moved_names(module: str, names: Mapping[str, str]) -> Callable:
    """``__getattr__`` for a module whose public names moved: deprecated aliases.

    Each access warns (``DeprecationWarning`` naming the new home) and returns the
    object from its new module, imported by name at that moment. Library code never
    goes through these aliases; they keep users' old import paths working.

    Args:
        module: the old module's ``__name__``.
        names: public name -> absolute path of the module that now defines it.

    Example:
    >>> getattr_ = moved_names("old", {"dumps": "json"})
    >>> getattr_("dumps")([1])  # doctest: +SKIP
    '[1]'
    """

    def __getattr__(name: str):
        new_module = names.get(name)
        if new_module is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(
            f"`{module}.{name}` moved to `{new_module}.{name}`; import it from there "
            "(the old path is deprecated).",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(_import(new_module, module), name)

    return __getattr__
