"""Importing TensorFlow without its C++ start-up noise (oneDNN, CUDA drivers, CPU features)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

__all__ = ["import_tensorflow"]

#: Hides TensorFlow's C++ INFO and WARNING logs after start-up (errors still show).
QUIET_LOG_LEVEL = "2"


@contextlib.contextmanager
def _native_stderr_captured():
    """Sends file descriptor 2 to a temporary file; replays it if the body raises.

    TensorFlow 2.2x writes its start-up lines ("oneDNN custom operations are on",
    "Could not find cuda drivers", "cpu_feature_guard", "failed call to cuInit")
    from C++ before its logging is initialised, so `TF_CPP_MIN_LOG_LEVEL` does not
    reach them: only the file descriptor does.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            os.write(2, sink.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow(quiet: bool = True) -> None:
    """Imports TensorFlow (and Keras) once, silently unless `quiet` is False.

    Quiet: `TF_CPP_MIN_LOG_LEVEL=2` unless the user set it, and the C++ lines
    written during the import and the first device query are dropped. Does
    nothing where TensorFlow is already imported.

    Args:
        quiet: bool. False leaves TensorFlow's output as it is (`--verbose`).

    Example:
    >>> import_tensorflow()  # doctest: +SKIP
    """
    if "tensorflow" in sys.modules:
        return
    if not quiet:
        return  # imported by the library when it needs it, with all its output
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_LOG_LEVEL)
    try:
        stderr_fd_usable = os.fstat(2) is not None
    except OSError:
        stderr_fd_usable = False
    context = _native_stderr_captured() if stderr_fd_usable else contextlib.nullcontext()
    with context:
        import tensorflow as tf

        # The CUDA platform logs "failed call to cuInit" when devices are first
        # listed; listing them here does not initialise the runtime (thread and
        # device settings made later still apply).
        tf.config.list_physical_devices()
        import keras  # noqa: F401
