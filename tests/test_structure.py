"""The library's shape: imports run one way, one home per vocabulary, small modules.

The facts come from `tests/helpers/import_graph.py` (imports read with `ast`,
function-level ones included); `python -m tests.helpers.import_graph` prints them.
"""

from __future__ import annotations

import ast

import pytest

from tests.helpers import import_graph

IMPORTS, FILES = import_graph.read_imports()


def test_no_import_cycle_between_modules():
    assert import_graph.module_cycles(IMPORTS) == []


def test_no_import_cycle_between_subpackages():
    shims = import_graph.compatibility_shims(FILES)
    assert import_graph.package_cycles(IMPORTS, shims) == []


def test_the_model_core_imports_nothing_above_it():
    upward = [f"{i.source}:{i.line} -> {i.target}" for i in import_graph.upward_imports(IMPORTS)]
    assert upward == []
    # The one documented lazy edge is still lazy (inside a function, not at import).
    for source, target in import_graph.ALLOWED_UPWARD:
        tree = ast.parse(FILES[source].read_text())
        top_level = {
            node.module for node in tree.body if isinstance(node, ast.ImportFrom)
        }
        assert target not in top_level


def test_no_module_imports_another_modules_private_names():
    private = [f"{i.source}:{i.line} {i.target}.{i.name}"
               for i in import_graph.private_imports(IMPORTS)]
    assert private == []


def test_no_library_module_is_over_600_lines():
    assert import_graph.long_modules(FILES) == {}


def test_names_module_needs_nothing_heavy():
    tree = ast.parse(FILES["keras_sfnet.names"].read_text())
    imported = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert all(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in imported)


@pytest.mark.parametrize("package", ["keras_sfnet", "keras_sfnet_cli"])
def test_every_vocabulary_is_defined_once(package):
    from keras_sfnet import names

    vocabulary = set(names.__all__)
    redefined = []
    for module, path in import_graph.library_files(package).items():
        if module == "keras_sfnet.names":
            continue
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, ast.AnnAssign) and node.value else [])
            for target in targets:
                if not (isinstance(target, ast.Name) and target.id in vocabulary):
                    continue
                if isinstance(node.value, ast.Dict):  # a registry keyed by the vocabulary
                    keys = tuple(ast.literal_eval(key) for key in node.value.keys)
                    if keys != getattr(names, target.id):
                        redefined.append(f"{module}:{node.lineno} {target.id} keys")
                elif not isinstance(node.value, (ast.Attribute, ast.Name, ast.Call)):
                    redefined.append(f"{module}:{node.lineno} {target.id}")
    assert redefined == []


def test_the_build_reads_the_version_without_importing_the_package():
    """pip builds in an isolated env without Keras: the version must be a literal that
    setuptools reads statically (stop 24's CI failed on `keras_sfnet.__version__`)."""
    import pathlib

    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python >= 3.11")

    root = pathlib.Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    attr = config["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    module, _, name = attr.rpartition(".")
    path = root / (module.replace(".", "/") + ".py")
    assert path.name != "__init__.py" and path.exists(), attr
    tree = ast.parse(path.read_text())
    literals = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        and isinstance(node.value, ast.Constant)
    ]
    assert literals and isinstance(literals[0], str)
    # The module itself imports nothing, so even a fallback exec needs no Keras.
    assert not [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]


def test_library_code_never_imports_an_old_path():
    """Old-path modules ("Moved to ...") are for users; the library uses the new homes."""
    shims = import_graph.compatibility_shims(FILES)
    assert {"keras_sfnet.convert", "keras_sfnet.data.synthetic"} <= shims
    through_shims = [
        f"{i.source}:{i.line} -> {i.target}"
        for i in IMPORTS
        if i.target in shims and i.source not in shims
    ]
    assert through_shims == []
