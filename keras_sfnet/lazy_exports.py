"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists which public name lives in which module; each module is imported on
first access, so importing the package imports none of them (and never TensorFlow
for the parts of the library that run without it). A name whose module needs a
missing TensorFlow raises :class:`keras_sfnet.backend_support.TensorFlowRequiredError`
saying what to install.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

__all__ = ["SUBMODULE", "export_table", "lazy_exports", "moved_names", "static_all"]

SUBMODULE = "<submodule>"
"""The module of a name that is a submodule of the package itself."""

Table = Mapping[str, "str | Iterable[str]"]


def _import(module_path: str, package: str):
    try:
        return importlib.import_module(module_path)
    except ModuleNotFoundError as error:
        if not (error.name or "").split(".")[0] == "tensorflow":
            raise
        from keras_sfnet.backend_support import require_tensorflow

        require_tensorflow(f"{module_path} ({package})")
        raise


def _absolute(package: str, module: str) -> str:
    return f"{package}{module}" if module.startswith(".") else module


def static_all(path: Path) -> tuple[str, ...]:
    """The literal ``__all__`` of the module file at ``path``, read without importing it.

    Example:
    >>> import keras_sfnet.names, pathlib
    >>> "HEADS" in static_all(pathlib.Path(keras_sfnet.names.__file__))
    True
    """
    tree = ast.parse(Path(path).read_text(), str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise ValueError(f"{path} has no literal __all__ to export from")


def _module_file(package_dir: Path, module: str) -> Path:
    file = package_dir / f"{module}.py"
    return file if file.exists() else package_dir / module / "__init__.py"


def export_table(
    package: str,
    names: Table | None = None,
    *,
    modules: Iterable[str] = (),
    submodules: Iterable[str] = (),
    package_dir: str | Path | None = None,
) -> dict[str, str]:
    """Public name -> absolute module path, from the forms :func:`lazy_exports` takes.

    Args:
        package: the package's ``__name__``.
        names: module -> the names it gives the package. A module that starts with
            ``"."`` is relative to ``package``; names may also be given flat (name ->
            module).
        modules: submodules that give the package every name of their ``__all__``
            (read from the source, so nothing is imported).
        submodules: submodules exported as attributes themselves.
        package_dir: the package's folder (found from ``package`` when not given).

    Raises:
        ValueError: when two modules export the same name.

    Example:
    >>> export_table("json", {"json": ("dumps", "loads")})
    {'dumps': 'json', 'loads': 'json'}
    """
    table: dict[str, str] = {}

    def add(name: str, module: str) -> None:
        if table.get(name, module) != module:
            raise ValueError(f"{package}: {name!r} is exported by {table[name]} and {module}")
        table[name] = module

    for key, value in (names or {}).items():
        if isinstance(value, str):  # the flat form, name -> module
            add(key, SUBMODULE if value == SUBMODULE else _absolute(package, value))
        else:
            for name in value:
                add(name, _absolute(package, key))
    for name in submodules:
        add(name, SUBMODULE)
    modules = tuple(modules)
    if modules:
        if package_dir is None:
            spec = importlib.util.find_spec(package)
            package_dir = Path(next(iter(spec.submodule_search_locations)))
        for module in modules:
            for name in static_all(_module_file(Path(package_dir), module)):
                add(name, f"{package}.{module}")
    return table


def lazy_exports(
    package: str,
    names: Table | None = None,
    *,
    modules: Iterable[str] = (),
    submodules: Iterable[str] = (),
    bound: Iterable[str] = (),
) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package`` that import each name's module on access.

    The table (see :func:`export_table`) is worked out on first access, and
    ``package.__all__`` is served from it, so importing the package imports and
    reads nothing.

    Args:
        package: the package's ``__name__``.
        names, modules, submodules: as in :func:`export_table`. A function named like
            its own module (``logits_function``) must be imported eagerly instead:
            importing the submodule binds its name on the package, hiding the function.
        bound: names the package binds itself (eager imports), listed in ``__all__``.

    Example:
    >>> getattr_, dir_ = lazy_exports("json", {"json": ("dumps",)})
    >>> getattr_("dumps")([1])
    '[1]'
    >>> getattr_("__all__")
    ['dumps']
    """
    modules, submodules, bound = tuple(modules), tuple(submodules), tuple(bound)
    cache: dict[str, dict[str, str]] = {}

    def table() -> dict[str, str]:
        if not cache:
            cache["table"] = export_table(
                package, names, modules=modules, submodules=submodules
            )
        return cache["table"]

    def __getattr__(name: str):
        if name == "__all__":
            return sorted(set(table()) | set(bound))
        module_path = table().get(name) if not name.startswith("__") else None
        if module_path is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if module_path == SUBMODULE:
            return _import(f"{package}.{name}", package)
        return getattr(_import(module_path, package), name)

    def __dir__():
        return sorted(set(table()) | set(bound))

    return __getattr__, __dir__


def moved_names(module: str, names: Mapping[str, str]) -> Callable:
    """``__getattr__`` for a module whose public names moved: deprecated aliases.

    Each access warns (``DeprecationWarning`` naming the new home) and returns the
    object from its new module, imported by name at that moment. Library code never
    goes through these aliases; they keep users' old import paths working.

    Args:
        module: the old module's ``__name__``.
        names: the module that now defines them -> the names (or name -> module), as
            in :func:`export_table`.

    Example:
    >>> getattr_ = moved_names("old", {"json": ("dumps",)})
    >>> getattr_("dumps")([1])  # doctest: +SKIP
    '[1]'
    """

    names = export_table(module, names)

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
