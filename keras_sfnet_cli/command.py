"""`run_command`: what every tool does around its work (parse, quiet start-up, errors)."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from keras_sfnet.names import BACKENDS  # noqa: F401 (re-exported)
from keras_sfnet_cli.error_report import error_message, exit_status, is_user_error
from keras_sfnet_cli.help_format import HelpFormatter
from keras_sfnet_cli.tensorflow_startup import import_tensorflow

__all__ = [
    "DEBUG_ENVIRONMENT",
    "ArgumentParser",
    "TerminalLogHandler",
    "UsageError",
    "new_parser",
    "run_command",
    "select_backend",
]

#: Set to 1 to get tracebacks of user errors (like `--debug`).
DEBUG_ENVIRONMENT = "KERAS_SFNET_DEBUG"


class TerminalLogHandler(logging.StreamHandler):
    """Writes log records to stderr on a line of their own, even mid-progress-bar.

    Keras redraws its progress bar on the current terminal line without ending it;
    on a terminal, each record first clears that line (the bar redraws below the
    record on its next update). Elsewhere (files, CI logs) records are unchanged.
    """

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        isatty = getattr(self.stream, "isatty", None)
        return f"\r\x1b[K{text}" if isatty is not None and isatty() else text


class UsageError(Exception):
    """A combination of flags a tool refuses: `error:` line, usage, exit status 2."""


class ArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` whose errors start with `error:` like the tools' others."""

    def error(self, message: str):
        self.exit(2, f"error: {message}\n{self.format_usage()}")




def new_parser(
    description: str, *, verbose_flag: bool = True, backends: Sequence[str] = ("tensorflow",)
) -> ArgumentParser:
    """A tool's parser with the shared flags `--debug`, `--backend` and `--verbose`.

    Args:
        description: str, shown by `--help` as written (e.g. the module docstring).
        verbose_flag: bool, add `-v/--verbose` (INFO logs and TensorFlow's start-up
            messages). False for tools whose `--verbose` means something else.
        backends: the Keras backends the tool runs on. With more than one, a
            `--backend` flag (default: `KERAS_BACKEND`, else tensorflow); with only
            TensorFlow, the tool always runs on it (exporters: a `.keras` saved on any
            backend loads there).

    Returns:
        An `ArgumentParser` using `HelpFormatter` (real defaults in `--help`).
    """
    parser = ArgumentParser(description=description, formatter_class=HelpFormatter)
    parser.add_argument(
        "--debug",
        action="store_true",
        help=f"show tracebacks and TensorFlow's start-up messages (or {DEBUG_ENVIRONMENT}=1)",
    )
    parser.set_defaults(_backends=tuple(backends))
    if len(backends) > 1:
        parser.add_argument(
            "--backend",
            choices=list(backends),
            default=None,
            help="the Keras backend (default: $KERAS_BACKEND, else tensorflow)",
        )
    if verbose_flag:
        parser.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            help="INFO log messages and TensorFlow's start-up messages",
        )
    return parser


def select_backend(args: argparse.Namespace) -> str:
    """Sets `KERAS_BACKEND` for the tool before Keras is imported; returns it.

    Raises:
        UsageError: the backend is not one this tool runs on, or Keras was already
            imported with another backend in this process.
    """
    supported = tuple(getattr(args, "_backends", ("tensorflow",)))
    requested = getattr(args, "backend", None)
    environment = os.environ.get("KERAS_BACKEND")
    if requested is None:
        requested = environment if environment in supported else supported[0]
    if requested not in supported:
        raise UsageError(
            f"this tool runs on the {' or '.join(supported)} backend, not {requested!r}; "
            f"use --backend {supported[0]}"
        )
    if "keras" in sys.modules:
        import keras

        current = keras.config.backend()
        if current != requested:
            raise UsageError(
                f"Keras is already running on the {current} backend in this process; "
                f"start a new process with KERAS_BACKEND={requested}"
            )
    elif environment and environment != requested:
        logging.getLogger(__name__).info(
            "Keras backend: %s (KERAS_BACKEND=%s is not supported by this tool)",
            requested,
            environment,
        )
    if requested == "tensorflow" and importlib.util.find_spec("tensorflow") is None:
        others = [b for b in supported if b != "tensorflow"]
        hint = f", or run it on --backend {' / '.join(others)}" if others else ""
        raise UsageError(
            "TensorFlow is not installed: pip install 'keras_sfnet[tensorflow]'" + hint
        )
    os.environ["KERAS_BACKEND"] = requested
    return requested


def _environment_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def run_command(
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], Any],
    argv: Sequence[str] | None = None,
    *,
    check: Callable[[argparse.Namespace], None] | None = None,
    aliases: Mapping[str, str] | None = None,
    log_level: int = logging.WARNING,
    log_format: str = "%(levelname)s %(name)s: %(message)s",
) -> int:
    """Parses `argv`, then imports TensorFlow quietly, then runs `run(args)`.

    - `--help` and usage errors answer before TensorFlow is imported.
    - TensorFlow's C++ start-up lines are hidden unless `--verbose` (a switch) or
      `--debug` is given.
    - A user error (see `keras_sfnet_cli.error_report.is_user_error`) prints one
      `error: <message>` line (flags named as flags) and returns 1; with `--debug` or
      `KERAS_SFNET_DEBUG=1` it is raised with its traceback. Bugs always are.

    Args:
        parser: the tool's parser (see `new_parser`).
        run: callable doing the work; returns an int exit status, or anything else
            (e.g. a result object) for 0.
        check: optional callable raising on what is wrong with `args` before
            TensorFlow is imported (flag combinations, output locations): instant
            answers for mistakes that need no model.
        argv: the arguments; None reads `sys.argv[1:]`.
        aliases: library parameter names mapped to argparse `dest`s where they differ,
            for messages naming parameters (`{"learning_rate": "lr"}`).
        log_level: the logging level without `--verbose`.
        log_format: the logging format.

    Returns:
        int, the exit status.
    """
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help (0) or a usage error (2): returned, like the rest
        return exit.code if isinstance(exit.code, int) else 2
    debug = bool(getattr(args, "debug", False)) or _environment_flag(DEBUG_ENVIRONMENT)
    loud = debug or getattr(args, "verbose", None) is True
    handler = TerminalLogHandler()
    handler.setFormatter(logging.Formatter(log_format))
    logging.basicConfig(level=logging.INFO if loud else log_level, handlers=[handler])
    try:
        backend = select_backend(args)
        if check is not None:
            check(args)
        if backend == "tensorflow":
            import_tensorflow(quiet=not loud)
        result = run(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print("error: interrupted", file=sys.stderr)
        return 130
    except UsageError as error:
        if debug:
            raise
        print(f"error: {error}\n{parser.format_usage()}", end="", file=sys.stderr)
        return 2
    except Exception as error:
        if debug or not is_user_error(error):
            raise
        print(f"error: {error_message(error, parser, aliases)}", file=sys.stderr)
        return exit_status(error)
    return result if isinstance(result, int) and not isinstance(result, bool) else 0
