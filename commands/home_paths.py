"""A leading ``~`` in a path a command is given is the home folder, as in the settings.

A shell makes ``~`` the home folder only at the start of an unquoted word: ``--out=~/runs``,
a quoted ``'~/x'`` or a path a script passes would reach a command as written, a folder
named ``~`` in the current one, and typer takes a path as written. :func:`expand_home_paths`
wraps every command and group callback of an app once, so that each ``Path`` parameter (or
list of them) arrives with its ``~`` expanded, and makes on the expanded path the checks
typer made on the one written (a file where a folder is asked for, and the other way round,
as a parameter's ``typer.Option``/``typer.Argument`` default declares them; ``exists=True``
would refuse the path as written before this sees it, so no option has it). A path taken as
text (``library export FILE``, ``library search --file``) is expanded by its command with
:func:`expanded_path`. ``$VARS`` are left as written, as the settings leave them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer


def expand_home_paths(app: typer.Typer) -> None:
    """Wrap the callbacks of ``app`` and of its groups, at any depth (see the module)."""
    for command in app.registered_commands:
        if command.callback is not None:
            command.callback = _expanding(command.callback)
    if app.registered_callback is not None and app.registered_callback.callback is not None:
        app.registered_callback.callback = _expanding(app.registered_callback.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            expand_home_paths(group.typer_instance)


def expanded_path(text: str, param_hint: str) -> Path:
    """``text``, a path given as text (an argument that is a path or something else), with
    its ``~`` expanded; a usage error naming ``param_hint`` when it cannot be."""
    from optiform.config_paths import expand_home  # the settings' own rule; loaded when used

    try:
        return expand_home(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=param_hint) from exc


def _expanding(callback: Callable[..., Any]) -> Callable[..., Any]:
    declared = inspect.signature(callback).parameters

    @functools.wraps(callback)  # typer reads the parameters through __wrapped__
    def expanded(*args: Any, **kwargs: Any) -> Any:
        for name, value in kwargs.items():
            if isinstance(value, Path):
                kwargs[name] = _expand(value, declared.get(name))
            elif isinstance(value, list | tuple) and any(isinstance(v, Path) for v in value):
                kwargs[name] = type(value)(_expand(v, declared.get(name))
                                           if isinstance(v, Path) else v for v in value)
        return callback(*args, **kwargs)

    return expanded


def _expand(path: Path, declared: inspect.Parameter | None) -> Path:
    full = expanded_path(str(path), _hint(declared) or "a path")
    if full == path:
        return path  # typer checked it
    info = declared.default if declared is not None else None
    if getattr(info, "file_okay", True) is False and full.is_file():
        raise typer.BadParameter(f"{path} ({full}) is a file.", param_hint=_hint(declared))
    if getattr(info, "dir_okay", True) is False and full.is_dir():
        raise typer.BadParameter(f"{path} ({full}) is a directory.",
                                 param_hint=_hint(declared))
    return full


def _hint(declared: inspect.Parameter | None) -> str | None:
    """The option or argument as usage errors name it: '--out', 'FOLDER'."""
    if declared is None:
        return None
    info = declared.default
    decls = [d for d in getattr(info, "param_decls", None) or () if d.startswith("-")]
    if decls:
        return "'" + max(decls, key=len) + "'"
    return "'" + (getattr(info, "metavar", None) or declared.name.upper()) + "'"
