"""Error messages that name a parameter, spelled for whoever reads them.

The library's messages name Python keyword arguments (``pass `keep_rejected=True```);
the command-line tools name their flags (``pass `--keep-rejected```). A message built
from :class:`Parameter` parts reads as Python by default (``str(message)``) and can be
re-spelled by an interface that knows its own names (``message.render(spell)``),
without string substitution.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

__all__ = ["Parameter", "ParameterMessage", "render_message"]


@dataclasses.dataclass(frozen=True)
class Parameter:
    """A parameter (and optionally the value to give it) named in a message.

    Args:
        name: str, the keyword argument, e.g. ``"keep_rejected"``.
        value: optional str, the suggested value in Python syntax, e.g. ``"True"`` or
            ``"(H, W)"``. None names the parameter alone.
        python: optional str, the Python spelling when it is not ``name=value`` (e.g.
            a call such as ``"clear_run(output)"`` for the CLI's ``--fresh``).
        code: bool, quote the spelling in backticks (False for the plain
            ``Received: name=value`` of Keras-style argument errors). Defaults to True.

    Example:
    >>> str(Parameter("input_size", "(H, W)"))
    '`input_size=(H, W)`'
    >>> str(Parameter("batch_size", "0", code=False))
    'batch_size=0'
    """

    name: str
    value: str | None = None
    python: str | None = None
    code: bool = True

    def __str__(self) -> str:
        if self.python is not None:
            text = self.python
        elif self.value is None:
            text = self.name
        else:
            text = f"{self.name}={self.value}"
        return f"`{text}`" if self.code else text


class ParameterMessage(str):
    """An exception message made of text and :class:`Parameter` parts.

    It is a ``str`` (the Python spelling), so any exception type carries it
    unchanged: ``raise ValueError(ParameterMessage(...))``. An interface calls
    :meth:`render` with its own spelling of each parameter.

    Args:
        *parts: str or :class:`Parameter`, concatenated in order.

    Example:
    >>> message = ParameterMessage("pass ", Parameter("keep_rejected", "True"), " to keep it")
    >>> str(message)
    'pass `keep_rejected=True` to keep it'
    >>> message.render(lambda p: "`--" + p.name.replace("_", "-") + "`")
    'pass `--keep-rejected` to keep it'
    """

    parts: tuple[str | Parameter, ...]

    def __new__(cls, *parts: str | Parameter) -> ParameterMessage:
        for part in parts:
            if not isinstance(part, (str, Parameter)):
                raise TypeError(
                    f"`parts` must be str or Parameter. Received: {type(part).__name__}"
                )
        message = super().__new__(cls, "".join(str(part) for part in parts))
        message.parts = tuple(parts)
        return message

    def __reduce__(self):
        return (type(self), self.parts)

    def render(self, spell: Callable[[Parameter], str]) -> str:
        """The message with every parameter spelled by ``spell``.

        Args:
            spell: callable mapping a :class:`Parameter` to its text.

        Returns:
            str.
        """
        return "".join(spell(p) if isinstance(p, Parameter) else p for p in self.parts)


def render_message(error: BaseException, spell: Callable[[Parameter], str]) -> str:
    """The text of ``error`` with the parameters its message names spelled by ``spell``.

    Args:
        error: an exception; its first argument may be a :class:`ParameterMessage`.
        spell: callable mapping a :class:`Parameter` to its text.

    Returns:
        str, ``str(error)`` where the message is plain text.

    Example:
    >>> error = ValueError(ParameterMessage("pass ", Parameter("resume", "True")))
    >>> render_message(error, lambda p: "--" + p.name)
    'pass --resume'
    """
    if len(error.args) == 1 and isinstance(error.args[0], ParameterMessage):
        return error.args[0].render(spell)
    return str(error)
