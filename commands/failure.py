"""How every command reports an OptiformError: a red line on stderr (and, for ``--json``, an
error object on stdout), the exit code the error's own."""

from __future__ import annotations

import json
import sys

import typer

from optiform.errors import OptiformError


def print_error(err: OptiformError, *, as_json: bool = False) -> int:
    """Print ``err`` (message and hint) to stderr and return its exit code. The text is printed
    as it is (an expression's ``x[p]`` is not rich markup) and never wrapped, so it reads the
    same in a terminal and in a log. With ``as_json`` stdout also gets
    ``{"error": {"type", "message", "hint"}}`` (the HTTP API's shape), so a script reading
    stdout is never left with nothing."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, emoji=False).print(f"[bold red]error:[/] {escape(str(err))}",
                                            highlight=False, soft_wrap=True)
    if as_json:
        body = {"error": {"type": type(err).__name__, "message": err.message, "hint": err.hint}}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
    return err.exit_code


def fail(err: OptiformError, *, as_json: bool = False) -> typer.Exit:
    """:func:`print_error`, then the Exit to raise."""
    return typer.Exit(print_error(err, as_json=as_json))
