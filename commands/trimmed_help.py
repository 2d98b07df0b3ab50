"""typer's help (``optiform --help``, ``optiform <command> --help``, a group given no command)
with no row ending in spaces, which a copy from the terminal or a pipe would carry.

typer prints its rich help on a Console it makes for each help, writing to ``sys.stdout``;
the usage line and the command's text sit in a ``Padding`` that fills every row to the
console's width with spaces (the panels' rows end in their border). Neither typer nor rich
has a setting against it, and the Console is typer's own, out of reach of a render hook. So
:class:`TrimmedHelpGroup` and :class:`TrimmedHelpCommand` let typer print the help as it
does, through :class:`RowsTrimmed`: a stand-in for ``sys.stdout`` that drops the spaces
before each line's end, the colour codes among them kept (typer's help has no background
colour that a space would show). It answers ``isatty``, ``fileno`` and ``encoding`` as the
stream it stands for, so the help is as coloured and as wide as before.
:func:`trim_help` gives an app's groups and commands, at any depth, these classes.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from typing import Any, TextIO

import typer
from typer.core import TyperCommand, TyperGroup

_CODE = re.compile(r"\x1b\[[0-9;]*m")  # a colour or style (SGR) code
_ROW_END = re.compile(r"(?:\x1b\[[0-9;]*m| )+(?=\n)")  # spaces and codes before a line's end


def trimmed(text: str) -> str:
    """``text`` with the spaces at the end of each of its lines left out; the colour codes
    among them stay, as one may close a style that went on before."""
    return _ROW_END.sub(lambda m: "".join(_CODE.findall(m.group())), text)


class RowsTrimmed(io.TextIOBase):
    """``out`` with :func:`trimmed` applied to each write. rich writes what one ``print``
    renders at once, its rows whole; a write that ends amid a row is left as it is there."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, text: str) -> int:
        self.out.write(trimmed(text))
        return len(text)

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return self.out.isatty()

    def fileno(self) -> int:
        return self.out.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.out, "encoding", None) or "utf-8"


def _help_trimmed() -> contextlib.redirect_stdout[RowsTrimmed]:
    return contextlib.redirect_stdout(RowsTrimmed(sys.stdout))


class TrimmedHelpGroup(TyperGroup):
    def format_help(self, ctx: typer.Context, formatter: Any) -> None:
        with _help_trimmed():
            super().format_help(ctx, formatter)


class TrimmedHelpCommand(TyperCommand):
    def format_help(self, ctx: typer.Context, formatter: Any) -> None:
        with _help_trimmed():
            super().format_help(ctx, formatter)


def trim_help(app: typer.Typer) -> None:
    """Give ``app``, its commands and its groups, at any depth, the classes above where they
    have typer's own (a group's is a placeholder for TyperGroup until then)."""
    if not isinstance(app.info.cls, type) or app.info.cls is TyperGroup:
        app.info.cls = TrimmedHelpGroup
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):
            command.cls = TrimmedHelpCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            trim_help(group.typer_instance)
