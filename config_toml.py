"""The user config file as a source of the settings: ``config.toml`` (or the file
``OPTIFORM_CONFIG`` names) read, its keys checked against the settings, and its path settings
read from its folder. Nothing here runs at import time."""

from __future__ import annotations

import tomllib
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from optiform.config_hints import did_you_mean
from optiform.config_paths import config_file, config_file_paths, path_variable, user_config_dir
from optiform.errors import ConfigError


class TomlSource(PydanticBaseSettingsSource):
    """Reads the user config file; a broken file is a clear ConfigError, not a traceback."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = config_file()
        self._data: dict[str, Any] = {}
        if path_variable("OPTIFORM_CONFIG") is not None and not path.is_file():
            # named on purpose: a misspelt path would run on the defaults without a word
            raise ConfigError(f"OPTIFORM_CONFIG names {path}, which is no file",
                              hint="fix the path, or unset OPTIFORM_CONFIG to read "
                                   f"{user_config_dir() / 'config.toml'}")
        if path.is_file():
            try:
                self._data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(
                    f"config file {path} is not valid TOML: {exc}",
                    hint='fix it (a line is name = value, text quoted: solver = "highs") or '
                         "delete it (or point OPTIFORM_CONFIG at another)",
                ) from exc
            unknown = sorted(set(self._data) - set(settings_cls.model_fields))
            if unknown:  # a misspelt key would be ignored without a word
                raise ConfigError(f"config file {path} has an unknown setting "
                                  f"{unknown[0]!r}",
                                  hint=did_you_mean(unknown[0], settings_cls.model_fields))
            self._data.update(config_file_paths(path, self._data, settings_cls))

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        known = set(self.settings_cls.model_fields)
        return {k: v for k, v in self._data.items() if k in known}
