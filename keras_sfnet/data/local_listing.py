"""The dataset file listings (`list_files`) on a machine without TensorFlow.

The listing modules (`keras_sfnet.data.registry` and the modules it calls) reach
the file system through `tf.io.gfile` only, so that `gs://` paths work. Where
TensorFlow is not installed, `list_files_anywhere` runs the very same listing
code on private copies of those modules whose `import tensorflow` gives a
stand-in with a local-disk `io.gfile` (`os`, `open`, `glob`): the listings are the
same, and nothing outside the copies changes (no `sys.modules` entry, no global
patch). Remote paths (`gs://...`) then need TensorFlow and say so.

Example:
>>> from keras_sfnet.data import synthetic
>>> import tempfile
>>> root = synthetic.generate_synthetic_cityscapes(tempfile.mkdtemp(), num_train=2, num_val=1)
>>> len(list_files_anywhere("cityscapes", root, "val"))
1
"""

from __future__ import annotations

import builtins
import glob
import importlib
import importlib.util
import os
import re
import shutil
import types

from keras_sfnet.backend_support import require_tensorflow, tensorflow_installed

__all__ = ["dataset_info_anywhere", "list_files_anywhere", "local_gfile"]

_LISTING_MODULE = "keras_sfnet.data.registry"
_PACKAGE = "keras_sfnet.data."
_SIBLINGS = re.compile(
    r"^from keras_sfnet\.data(?:\.(\w+))? import (?:\(([^)]*)\)|([^\n]+))", re.MULTILINE
)


def _needs_tensorflow(name: str, seen: set) -> bool:
    """Whether module `name` imports TensorFlow, itself or through a sibling module."""
    spec = importlib.util.find_spec(name)
    if name in seen or spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return False
    seen.add(name)
    with open(spec.origin, encoding="utf-8") as f:
        source = f.read()
    if re.search(r"^import tensorflow", source, re.MULTILINE):
        return True
    for module, block, line in _SIBLINGS.findall(source):
        names = block or line
        targets = [module] if module else [n.strip() for n in names.split(",") if n.strip()]
        if any(_needs_tensorflow(_PACKAGE + t, seen) for t in targets):
            return True
    return False


def _local(function):
    def call(path, *args, **kwargs):
        if "://" in os.fspath(path):
            require_tensorflow(f"Reading '{path}'")
        return function(path, *args, **kwargs)

    call.__name__ = function.__name__
    return call


def local_gfile() -> types.SimpleNamespace:
    """A local-disk stand-in for the part of `tf.io.gfile` the listings use.

    Example:
    >>> local_gfile().isdir(".")
    True
    """
    return types.SimpleNamespace(
        exists=_local(os.path.exists), isdir=_local(os.path.isdir),
        listdir=_local(lambda path: sorted(os.listdir(path))), GFile=_local(open),
        glob=_local(glob.glob), makedirs=_local(lambda p: os.makedirs(p, exist_ok=True)),
        remove=_local(os.remove), rmtree=_local(shutil.rmtree), join=os.path.join,
        walk=_local(os.walk),
    )  # fmt: skip


def _stand_in() -> types.ModuleType:
    module = types.ModuleType("tensorflow")
    module.io = types.SimpleNamespace(gfile=local_gfile())
    return module


def _load_private(name: str, loaded: dict) -> types.ModuleType:
    """`name` executed with an `__import__` that gives the stand-in for `tensorflow`.

    Modules that do not import TensorFlow are imported as usual (shared).
    """
    if name in loaded:
        return loaded[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(name)
    with open(spec.origin, encoding="utf-8") as f:
        source = f.read()
    if not _needs_tensorflow(name, set()):
        return importlib.import_module(name)
    module = importlib.util.module_from_spec(spec)
    loaded[name] = module
    stand_in = loaded.setdefault("tensorflow", _stand_in())

    def private_import(target, globals=None, locals=None, fromlist=(), level=0):
        if target == "tensorflow" or target.startswith("tensorflow."):
            return stand_in
        if level == 0 and target.startswith(_PACKAGE) and fromlist:
            return _load_private(target, loaded)
        if level == 0 and target == _PACKAGE[:-1] and fromlist:
            # `from keras_sfnet.data import cityscapes, ...`: private submodules.
            names = {}
            for item in fromlist:
                if importlib.util.find_spec(_PACKAGE + item) is not None:
                    names[item] = _load_private(_PACKAGE + item, loaded)
                else:
                    names[item] = getattr(builtins.__import__(target, fromlist=[item]), item)
            return types.SimpleNamespace(**names)
        return builtins.__import__(target, globals, locals, fromlist, level)

    module.__builtins__ = {**vars(builtins), "__import__": private_import}
    code = compile(source, spec.origin, "exec")
    exec(code, module.__dict__)  # noqa: S102 (the package's own listing module)
    return module


def list_files_anywhere(name: str, root, split: str | None = "train", **kwargs) -> list:
    """`keras_sfnet.data.list_files`, with or without TensorFlow installed.

    Args:
        name: str. Dataset name, as for `list_files`.
        root: str or path. Dataset folder (local where TensorFlow is missing).
        split: str or `None`, defaults to `"train"`.
        **kwargs: the other `list_files` arguments (`images_dir`, ...).

    Returns:
        The list of `(image_path, label_path)` that `list_files` returns.

    Example:
    >>> list_files_anywhere("camvid", "/data/CamVid", "train")  # doctest: +SKIP
    """
    if tensorflow_installed():
        from keras_sfnet.data import list_files

        return list_files(name, root, split, **kwargs)
    try:
        module = _load_private(_LISTING_MODULE, {})
        return module.list_files(name, root, split, **kwargs)
    except (ModuleNotFoundError, AttributeError) as error:
        # A lister that uses more of TensorFlow than its file system.
        require_tensorflow(f"Listing the '{name}' dataset")
        raise error


def dataset_info_anywhere(name: str, root=None):
    """`keras_sfnet.data.get_dataset_info`, with or without TensorFlow installed.

    Example:
    >>> dataset_info_anywhere("cityscapes").num_classes
    19
    """
    if tensorflow_installed():
        from keras_sfnet.data import get_dataset_info

        return get_dataset_info(name, root)
    return _load_private(_LISTING_MODULE, {}).get_dataset_info(name, root)
