"""The paths of the settings: the user folders, the config file, how a path setting is read,
and the data folder's check.

The user folder is ``$OPTIFORM_HOME`` when set and not blank (tests point it at a temp dir),
otherwise the platform's folders from platformdirs. Nothing here runs at import time.

Paths: a leading ``~`` is the home folder wherever a path is read (every path setting, from
any source, ``OPTIFORM_HOME`` and ``OPTIFORM_CONFIG``), as a shell makes it when unquoted;
``$VARS`` are left as written. A relative path in the config file is read from the config
file's folder; one from a keyword or a variable, from the current folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, get_args

from pydantic_settings import BaseSettings

from optiform.errors import ConfigError

APP_NAME = "optiform"
DATA_FOLDER_HOLDS = "(the data folder holds the threads, tables, library and models)"


def expand_home(path: str | os.PathLike[str]) -> Path:
    """``path`` with a leading ``~`` (or ``~user``) made that home folder, as a shell makes
    it unquoted: a quoted value, a config file's or a keyword's would otherwise be a folder
    named ``~`` in the current one. ``$VARS`` are left as written. A ValueError when there
    is no home folder to put there."""
    try:
        return Path(path).expanduser()
    except RuntimeError as exc:  # no HOME (or no such user)
        raise ValueError(f"the ~ of {path} cannot be expanded: {exc}") from exc


def path_variable(name: str) -> Path | None:
    """The path the environment variable ``name`` (OPTIFORM_HOME, OPTIFORM_CONFIG) names,
    its ``~`` expanded; None when it is unset or blank (``OPTIFORM_HOME=' '``), as a blank
    setting variable is (see ``config_environment.NoBlanks``), not a folder named by its spaces."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    try:
        return expand_home(value)
    except ValueError as exc:
        raise ConfigError(f"the environment variable {name}: {exc}",
                          hint=f"set {name} to a path without ~") from exc


def _user_dir(kind: str) -> Path:
    """$OPTIFORM_HOME/<kind> when OPTIFORM_HOME is set, else the system's folder of that kind
    for optiform (platformdirs: ~/.config/optiform, ~/.local/share/optiform, ...)."""
    home = path_variable("OPTIFORM_HOME")
    if home:
        return home / kind
    import platformdirs

    system = {"config": platformdirs.user_config_dir, "data": platformdirs.user_data_dir,
              "cache": platformdirs.user_cache_dir}[kind]
    return Path(system(APP_NAME))


def user_config_dir() -> Path:
    return _user_dir("config")


def user_data_dir() -> Path:
    return _user_dir("data")


def user_cache_dir() -> Path:
    return _user_dir("cache")


def config_file() -> Path:
    return path_variable("OPTIFORM_CONFIG") or user_config_dir() / "config.toml"


def path_settings(settings_cls: type[BaseSettings]) -> frozenset[str]:
    """The settings whose value is a path (``Path``, or ``Path | None``)."""
    return frozenset(name for name, field in settings_cls.model_fields.items()
                     if field.annotation is Path or Path in get_args(field.annotation))


def config_file_paths(config: Path, data: dict[str, Any],
                      settings_cls: type[BaseSettings]) -> dict[str, Path]:
    """The path settings of the config file ``config`` (``data``, as read) as the paths they
    name: ``~`` expanded, and a relative one read from the file's folder, as the file is
    written where it is and read from any folder. A blank value is left to mean unset, and
    one that is no text to be refused as it is."""
    out: dict[str, Path] = {}
    for name in sorted(path_settings(settings_cls) & set(data)):
        value = data[name]
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            path = expand_home(value)
        except ValueError as exc:
            raise ConfigError(f"config file {config}: {name}: {exc}",
                              hint=f"write {name} out in full") from exc
        out[name] = path if path.is_absolute() else config.parent.absolute() / path
    return out


def file_in_the_way(folder: Path) -> Path | None:
    """What keeps ``folder`` from being a folder: itself, or the nearest of its parents that
    is there, when that is not a folder; None when it is one or can be made."""
    for place in (folder, *folder.parents):
        try:
            if place.exists():
                return None if place.is_dir() else place
        except OSError:  # not to be looked into (no permission): what uses it will say
            return None
    return None


def unusable_data_folder(folder: Path, origin: str | None,
                         blocking: Path | None = None) -> ConfigError:
    """The error for a data folder that is a file, or is under one (``blocking``, the file
    in the way, when it is not ``folder`` itself): the data_home setting's, ``origin`` being
    where its value came from (the value given, the environment variable, the config file),
    or with no ``origin`` the default one (``$OPTIFORM_HOME/data`` or the user data dir)."""
    named = origin is not None
    what = f"the data folder {folder} (data_home)" if named else \
        f"the default data folder {folder}"
    under = blocking is not None and blocking != folder
    problem = (f"is under {blocking}, which is a file, not a folder" if under
               else "is a file, not a folder")
    message = f"{what} {problem} {DATA_FOLDER_HOLDS}; the file was left as it is"
    if named:
        return ConfigError(message, hint=f"{origin} names it: change that to a folder (one "
                                         "not there yet is made), or unset it for the "
                                         f"default, {user_data_dir()}")
    if path_variable("OPTIFORM_HOME") is not None:  # as user_data_dir reads it
        where = "$OPTIFORM_HOME/data, from the environment variable OPTIFORM_HOME"
        fix = "point OPTIFORM_HOME at a folder" if under else "move that file away"
    else:
        where = "the user data folder of this system, as no data_home is set"
        fix = "move that file away"
    return ConfigError(message, hint=f"it is {where}: {fix}, or set data_home "
                                     "(OPTIFORM_DATA_HOME, or data_home in the config file) "
                                     "to a folder")
