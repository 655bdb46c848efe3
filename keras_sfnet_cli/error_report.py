"""Which exceptions are the user's to fix, and their one-line `error:` message."""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Mapping

__all__ = ["error_message", "exit_status", "flag_speller", "is_user_error"]

_OUR_PACKAGES = ("keras_sfnet", "keras_sfnet_cli")
# tf.debugging.Assert in keras_sfnet's input pipeline: "assertion failed: [part] [part]".
_ASSERTION = re.compile(r"assertion failed: (.*?)(?:\n\s*\[\[|\s*\[Op:|$)", re.S)


def _ours(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in _OUR_PACKAGES


def _raised_by_us(error: BaseException) -> bool:
    """Whether the innermost frame of the traceback is keras_sfnet code (a deliberate raise)."""
    traceback = error.__traceback__
    if traceback is None:
        return False
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return _ours(traceback.tb_frame.f_globals.get("__name__"))


def _pipeline_assertion(error: BaseException) -> str | None:
    """The message of a failed input-pipeline check (a TensorFlow `InvalidArgumentError`)."""
    if type(error).__name__ != "InvalidArgumentError" or "assertion failed" not in str(error):
        return None
    match = _ASSERTION.search(str(error))
    if match is None:
        return None
    parts = re.findall(r"\[(.*?)\](?=\s*\[|\s*$)", match.group(1).strip(), re.S)
    text = " ".join(p.strip().strip("'\"") for p in parts) if parts else match.group(1)
    text = text.replace("\\'", "'").replace('\\"', '"')
    return re.sub(r"\s+([:,.;])", r"\1", text).strip()


def is_user_error(error: BaseException) -> bool:
    """Whether `error` is the user's to fix (a message) rather than a bug (a traceback).

    User errors: file-system errors (`OSError`: missing files, permissions, full
    disks), exception types defined by keras_sfnet (checkpoint, parity, TensorRT),
    `ValueError`/`TypeError`/`KeyError` raised by keras_sfnet code itself (argument
    and data checks) or carrying a `ParameterMessage`, and failed checks of the
    input pipeline. A `ValueError` from
    deep inside NumPy or TensorFlow is a bug of ours and keeps its traceback.

    Example:
    >>> is_user_error(FileNotFoundError("m.keras"))
    True
    """
    if isinstance(error, OSError):
        return True
    if _ours(type(error).__module__) and isinstance(error, Exception):
        return True
    if isinstance(error, (ValueError, TypeError, KeyError)) and _raised_by_us(error):
        return True
    messages = sys.modules.get("keras_sfnet.parameter_message")
    if messages is not None and error.args and isinstance(error.args[0], messages.ParameterMessage):
        return True  # a message naming parameters is a deliberate check's
    return _pipeline_assertion(error) is not None


def exit_status(error: BaseException) -> int:
    """The exit status of a user error: 1 for all (usage errors exit with argparse's 2).

    Bad input and a refused result (an export failing parity, a checkpoint that
    does not match `--num-classes`) alike: scripts tell them apart by the message.
    """
    del error
    return 1


def _flag_text(action: argparse.Action, value: str | None) -> str:
    """`--flag`, `--flag VALUE` or `--flag METAVAR` for a parameter's suggested value."""
    flag = max(action.option_strings, key=len)
    if value is None or action.nargs == 0:
        return flag  # the flag named alone, or a switch (`keep_rejected=True`)
    try:
        literal = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        literal = ...  # a placeholder such as "(H, W)": show the flag's metavar
    if literal is None:
        return f"no {flag}"
    if literal is not ...:
        items = literal if isinstance(literal, (tuple, list)) else (literal,)
        return " ".join([flag, *(str(item) for item in items)])
    metavar = action.metavar or action.dest.upper()
    return " ".join([flag, *(metavar if isinstance(metavar, tuple) else (metavar,))])


def flag_speller(parser: argparse.ArgumentParser, aliases: Mapping[str, str] | None = None):
    """A function spelling a `Parameter` as this parser's flag, e.g. `` `--keep-rejected` ``.

    Args:
        parser: the tool's parser.
        aliases: optional mapping of library parameter names to argparse `dest`s where
            they differ (e.g. `{"learning_rate": "lr"}`).

    Returns:
        callable `Parameter -> str`; parameters without a flag keep their Python form.
    """
    actions = {action.dest: action for action in parser._actions if action.option_strings}
    aliases = dict(aliases or {})

    def spell(parameter) -> str:
        action = actions.get(aliases.get(parameter.name, parameter.name))
        if action is None:
            return str(parameter)
        text = _flag_text(action, parameter.value)
        return f"`{text}`" if parameter.code else text

    return spell


def error_message(
    error: BaseException,
    parser: argparse.ArgumentParser,
    aliases: Mapping[str, str] | None = None,
) -> str:
    """The text after `error: ` for a user error, naming the tool's flags.

    Example:
    >>> error_message(FileNotFoundError("No such file: 'x.png'"), argparse.ArgumentParser())
    "No such file: 'x.png'"
    """
    assertion = _pipeline_assertion(error)
    if assertion is not None:
        return assertion
    if isinstance(error, KeyError) and len(error.args) == 1:
        return str(error.args[0])
    if isinstance(error, OSError) and error.strerror and error.filename and not error.args[2:]:
        return f"{error.strerror}: '{error.filename}'"
    # A message naming parameters was built by keras_sfnet, so its module is loaded;
    # importing it here otherwise would import TensorFlow just to print a line.
    messages = sys.modules.get("keras_sfnet.parameter_message")
    if messages is None:
        return str(error)
    return messages.render_message(error, flag_speller(parser, aliases))
