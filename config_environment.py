"""The environment's side of the settings: the sources that read it (``OPTIFORM_*`` less its
blank values, ``OPENAI_*`` as fallbacks), the check for an ``OPTIFORM_*`` variable that is a
setting misspelt, and which variable sets a setting. Nothing here runs at import time."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

#: the settings that an ``OPENAI_*`` variable sets when no ``OPTIFORM_*`` one does
OPENAI_VARIABLES: dict[str, str] = {
    "model": "OPENAI_MODEL", "base_url": "OPENAI_BASE_URL", "api_key": "OPENAI_API_KEY"
}

#: OPTIFORM_* variables that are read elsewhere than the settings
OTHER_VARIABLES = frozenset({"OPTIFORM_HOME", "OPTIFORM_CONFIG", "OPTIFORM_SHARED",
                             "OPTIFORM_SKIP_MODEL", "OPTIFORM_LIVE_TRACES"})


class OpenAIFallbackSource(PydanticBaseSettingsSource):
    """``OPENAI_MODEL``, ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` as fallbacks."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        env = OPENAI_VARIABLES.get(field_name)
        return (os.environ.get(env) if env else None), field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, env in OPENAI_VARIABLES.items():
            value = os.environ.get(env)
            if value:
                out[name] = value
        return out


class NoBlanks(PydanticBaseSettingsSource):
    """The environment less its blank values: ``OPTIFORM_X=`` or ``OPTIFORM_X=' '`` (the
    shell's way of unsetting, a compose file's unset ``${X}``) leaves X to the config file
    and the default, as an unset variable does."""

    def __init__(self, settings_cls: type[BaseSettings],
                 inner: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self.inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self.inner().items()
                if not (isinstance(v, str) and not v.strip())}


def misspelt_environment(settings: Iterable[str]) -> str | None:
    """An OPTIFORM_* variable that is none of ``settings`` but one slip from one
    (OPTIFORM_SAMPELS, a letter too many, too few or swapped): a typo that would be ignored
    without a word. Other OPTIFORM_* names (OPTIFORM_HOME, OPTIFORM_MODEL_DIR, ...) are left
    alone."""
    names = {n.upper() for n in settings}
    for var in sorted(os.environ):
        key = var.upper()
        if not key.startswith("OPTIFORM_") or key in OTHER_VARIABLES:
            continue
        rest = key.removeprefix("OPTIFORM_")
        if rest in names:
            continue
        others = {v.removeprefix("OPTIFORM_") for v in OTHER_VARIABLES}
        close = sorted(n for n in names | others if one_slip(rest, n))
        if close:
            return (f"the environment variable {var} is no setting; did you mean "
                    f"OPTIFORM_{close[0]}?")
    return None


def one_slip(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with one letter added, dropped, changed, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 4:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def environment_variable(name: str) -> str | None:
    """The variable of the environment that sets ``name`` as Settings reads it (any case, not
    blank), as it is spelt there; None when none does."""
    return next((var for var, value in sorted(os.environ.items())
                 if var.upper() == name.upper() and value.strip()), None)
