"""`HelpFormatter`: `--help` that keeps the description's layout and shows real defaults."""

from __future__ import annotations

import argparse

__all__ = ["HelpFormatter", "with_default"]


def _format_value(value) -> str:
    if isinstance(value, (tuple, list)):
        return " ".join(str(v) for v in value)
    return str(value)


def with_default(text: str, value) -> str:
    """Help text ending in ``(default: VALUE)``, for a default argparse cannot see.

    Used where the flag's own default must stay None (e.g. `train.py`, whose unset
    flags leave the `--config` file's values alone).

    Example:
    >>> with_default("global batch size", 16)
    'global batch size (default: 16)'
    """
    return f"{text} (default: {_format_value(value)})".replace("%", "%%").lstrip()


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description as written and appends each flag's real default.

    Unlike `argparse.ArgumentDefaultsHelpFormatter`, it says nothing for defaults
    that mean "not given" (None, False, empty) and prints sequences as they are
    typed (`512 1024`, not `(512, 1024)`).
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "(default" in text
            or not action.option_strings
            or default is None
            or default is argparse.SUPPRESS
            or default is False
            or default == ()
            or isinstance(action, argparse._HelpAction)
        ):
            return text
        return f"{text} (default: {_format_value(default).replace('%', '%%')})".lstrip()
