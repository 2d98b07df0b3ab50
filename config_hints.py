"""What the error of a setting that cannot be used says to do: the setting a misspelt name
likely meant, and where a value came from (the value given, the environment variable, the
config file). Nothing here runs at import time."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from typing import Any

from optiform.config_environment import OPENAI_VARIABLES, environment_variable
from optiform.config_paths import config_file


def did_you_mean(name: str, settings: Iterable[str]) -> str:
    """The hint for ``name``, which is none of ``settings``: the closest one, or where they
    are listed."""
    close = difflib.get_close_matches(name, list(settings), n=1)
    return f"did you mean {close[0]!r}?" if close else "`optiform model settings` lists them"


def origin(name: str, given: dict[str, Any]) -> str:
    """Where the value of setting ``name`` came from, as a hint names it: the value given
    (a keyword, a command's option), the environment variable, the config file (when it is
    there and sets it), each before the next as Settings reads them."""
    if name in given:
        return f"the value given for {name}"
    var = environment_variable(f"OPTIFORM_{name}")
    if var is None and name in OPENAI_VARIABLES:
        var = environment_variable(OPENAI_VARIABLES[name])
    if var is not None:
        return f"the environment variable {var}"
    path = config_file()
    try:
        in_file = name in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        in_file = False
    if in_file:
        return f"{name} in {path}"
    return f"the setting {name}" if name else "the settings"
