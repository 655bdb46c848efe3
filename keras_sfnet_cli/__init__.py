"""keras_sfnet's command-line tools (`sfnet-train`, `sfnet-predict`, ...).

A separate top-level package so that parsing the arguments (and `--help`) does not
import TensorFlow: importing anything under `keras_sfnet` imports TensorFlow, because
`import keras_sfnet` registers the Keras classes that `.keras` files need. Each tool
module has `build_parser()` (no TensorFlow), `run(args)` (imports the library, does
the work, raises on errors) and `main(argv)` (the console entry point, see
`keras_sfnet_cli.command.run_command`).
"""

import importlib.util
import os
import sys


def _preload_names() -> None:
    """Loads `keras_sfnet.names` (plain tuples) without running `keras_sfnet/__init__`.

    The tools' choices come from the library's one vocabulary module; importing it the
    usual way would first import the `keras_sfnet` package, and with it Keras and
    TensorFlow. Once `keras_sfnet.names` is in `sys.modules`, `from keras_sfnet.names
    import ...` takes it from there, and the library later finds the same module object.
    """
    if "keras_sfnet.names" in sys.modules:
        return
    package = importlib.util.find_spec("keras_sfnet")
    if package is None or not package.submodule_search_locations:
        return  # the regular import then raises the usual ModuleNotFoundError
    path = os.path.join(list(package.submodule_search_locations)[0], "names.py")
    spec = importlib.util.spec_from_file_location("keras_sfnet.names", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["keras_sfnet.names"] = module
    spec.loader.exec_module(module)


_preload_names()
