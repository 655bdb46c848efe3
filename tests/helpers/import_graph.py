"""The import graph of ``keras_sfnet``, read with ``ast`` (function-level imports too).

Run ``python -m tests.helpers.import_graph`` for a report: import cycles between
modules and between packages, upward imports out of the model core, imports of
another module's ``_private`` names and modules over the size limit. The structure
tests assert the same facts.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

from keras_sfnet.lazy_exports import SUBMODULE, export_table

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "keras_sfnet"
MAX_LINES = 600

#: The model core: these packages never import the layers above them.
CORE = ("ops", "ops_impl", "kernels", "layers", "backbones", "decoders", "models",
        "losses", "metrics", "optimizers", "names", "version", "backend_support",
        "lazy_exports",
        "parameter_message")
#: The one documented upward edge: SFNet.from_preset / save_to_preset /
#: load_pretrained_weights reach the weights layer lazily (``sfnet._weights_layer``);
#: ``weights.loading`` is given the model class and never imports the model.
ALLOWED_UPWARD = {("keras_sfnet.models.sfnet", "keras_sfnet.weights.loading")}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (resolved through lazy package exports)
    name: str | None  # the imported name for ``from x import name``
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def library_files(package: str = PACKAGE) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}


def _lazy_exports(module: str, path: Path, tree: ast.Module) -> dict[str, str]:
    """Name -> module of a ``lazy_exports(...)`` / ``moved_names(...)`` table in ``tree``."""
    for node in tree.body:
        call = getattr(node, "value", None)
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id in ("lazy_exports", "moved_names")):
            continue
        try:
            names = ast.literal_eval(call.args[1]) if len(call.args) > 1 else None
            keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords
                        if k.arg in ("names", "modules", "submodules")}
        except ValueError:
            return {}
        names = keywords.pop("names", names)
        return export_table(module, names, package_dir=path.parent, **keywords)
    return {}


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def read_imports(package: str = PACKAGE) -> tuple[list[Import], dict[str, Path]]:
    files = library_files(package)
    trees = {m: ast.parse(p.read_text(), str(p)) for m, p in files.items()}
    exports = {m: _lazy_exports(m, files[m], t) for m, t in trees.items()}

    def resolve(target: str, name: str | None) -> str:
        if name is None:
            return target
        if f"{target}.{name}" in files:
            return f"{target}.{name}"
        seen = set()
        while target not in seen and name in exports.get(target, {}):
            seen.add(target)  # follow re-exports of re-exports to the defining module
            module = exports[target][name]
            if module == SUBMODULE:
                return f"{target}.{name}"
            target = module
        return target

    imports = []
    for module, tree in trees.items():
        is_package = files[module].name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(package):
                        imports.append(Import(module, alias.name, None, node.lineno))
            elif isinstance(node, ast.ImportFrom):
                target = _absolute(module, node, is_package)
                if not target.startswith(package):
                    continue
                for alias in node.names:
                    imports.append(Import(module, resolve(target, alias.name),
                                          alias.name, node.lineno))
    return imports, files


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def subpackage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def module_cycles(imports: list[Import]) -> list[list[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        # A package __init__ importing its own submodules is not a cycle of concern
        # when the submodule imports a sibling through the package: count real edges.
        if imp.source != imp.target:
            edges.setdefault(imp.source, set()).add(imp.target)
    return _cycles(edges)


def compatibility_shims(files: dict[str, Path]) -> set[str]:
    """Modules that only keep an old import path working (docstring "Moved to ...")."""
    shims = set()
    for module, path in files.items():
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if doc.startswith(("Moved to", "Deprecated")):
            shims.add(module)
    return shims


def package_cycles(imports: list[Import], shims: set[str] = frozenset()) -> list[list[str]]:
    """Cycles between subpackages; an old path's re-export module is not an edge."""
    edges: dict[str, set[str]] = {}
    for imp in imports:
        if imp.source in shims:
            continue
        if (imp.source, imp.target) in ALLOWED_UPWARD:
            continue  # the documented lazy edge (its modules form no cycle: module_cycles)
        a, b = subpackage(imp.source), subpackage(imp.target)
        if a and b and a != b:
            edges.setdefault(a, set()).add(b)
    return _cycles(edges)


def upward_imports(imports: list[Import]) -> list[Import]:
    bad = []
    for imp in imports:
        if subpackage(imp.source) in CORE and subpackage(imp.target) not in CORE:
            if subpackage(imp.target) == "" and imp.target == PACKAGE and imp.name is None:
                continue
            if (imp.source, imp.target) not in ALLOWED_UPWARD:
                bad.append(imp)
    return bad


def private_imports(imports: list[Import]) -> list[Import]:
    return [imp for imp in imports
            if imp.name and imp.name.startswith("_") and not imp.name.startswith("__")
            and imp.source != imp.target]


def long_modules(files: dict[str, Path], limit: int = MAX_LINES) -> dict[str, int]:
    counts = {m: len(p.read_text().splitlines()) for m, p in files.items()}
    return {m: n for m, n in counts.items() if n > limit}


def main() -> int:
    imports, files = read_imports()
    problems = 0
    for title, rows in (
            ("module cycles", module_cycles(imports)),
            ("package cycles", package_cycles(imports, compatibility_shims(files))),
            ("upward imports from the core", [f"{i.source}:{i.line} -> {i.target} ({i.name})"
                                              for i in upward_imports(imports)]),
            ("private imports", [f"{i.source}:{i.line} -> {i.target}.{i.name}"
                                 for i in private_imports(imports)]),
            (f"modules over {MAX_LINES} lines", [f"{m}: {n}" for m, n in
                                                 long_modules(files).items()])):
        print(f"## {title}: {len(rows)}")
        for row in rows:
            print("  ", row)
        problems += len(rows)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
