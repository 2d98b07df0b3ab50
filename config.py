"""Settings: declared once, validated, overridable per call.

Precedence, highest first: explicit keyword arguments, ``OPTIFORM_*`` environment variables,
``OPENAI_*`` environment variables (for model, base URL and key only), the user config file
(TOML, ``<user config dir>/config.toml``), defaults. Nothing here runs at import time.

The sources besides the keywords: :mod:`optiform.config_environment` (the environment, and
its misspelt variables) and :mod:`optiform.config_toml` (the config file). What an error of
a setting says to do: :mod:`optiform.config_hints`. Where the user folders and the config
file are, how a path setting is read (``~``, a relative path in the config file) and the
data folder's check: :mod:`optiform.config_paths`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from optiform.config_environment import NoBlanks, OpenAIFallbackSource, misspelt_environment
from optiform.config_hints import did_you_mean, origin
from optiform.config_paths import (
    expand_home,
    file_in_the_way,
    unusable_data_folder,
    user_data_dir,
)
from optiform.config_toml import TomlSource
from optiform.errors import ConfigError

GUIDANCE_MAX_CHARS = 2000  # guidance goes into every prompt: a few sentences


class Settings(BaseSettings):
    """Everything a user can configure. Each field: a domain, a default, a description."""

    model_config = SettingsConfigDict(env_prefix="OPTIFORM_", extra="ignore",
                                      validate_default=True)
    _given: frozenset[str] = PrivateAttr(default_factory=frozenset)  # load_settings' keywords

    # -- LLM ------------------------------------------------------------------------------
    backend: Literal["auto", "local", "openai", "fake", "replay"] = Field(
        "auto",
        description="LLM backend: 'auto' uses 'openai' when a base URL or key is configured, "
        "else the embedded 'local' model.",
    )
    model: str | None = Field(None, description="Model name for the OpenAI-compatible backend.")
    base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible endpoint.")
    api_key: SecretStr | None = Field(None, description="API key for the endpoint.")
    request_timeout: float = Field(120.0, gt=0, description="Seconds per LLM request.")
    max_retries: int = Field(4, ge=0, description="Retries on rate limits, 5xx and timeouts.")
    model_path: Path | None = Field(None, description="Path to a GGUF file for the local backend.")
    n_ctx: int = Field(8192, ge=512, description="Context window of the local model (tokens).")
    threads: int | None = Field(None, ge=1, description="CPU threads for the local model.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    seed: int = Field(0, description="Sampling seed where the backend supports one.")
    cassette: Path | None = Field(None, description="JSONL cassette for the replay backend.")
    fake_answers: Path | None = Field(
        None, description="JSON file of scripted answers for the 'fake' backend (tests, demos): "
        "a list answered in order, or {\"answers\": [...], \"default\": answer}.",
    )

    # -- agent ----------------------------------------------------------------------------
    max_repairs: int = Field(3, ge=0, description="Repair rounds after the first attempt.")
    samples: int = Field(1, ge=1, description="Formulations sampled for self-consistency votes.")
    autofix: bool = Field(True, description="Apply the exact corrections some checks find "
                          "(a bound's direction, a ratio's side, a count declared binary) "
                          "without an LLM round.")
    mend: bool = Field(True, description="When the only errors are lines of the model that do "
                       "not read, ask the LLM for those lines alone before writing the whole "
                       "model again.")
    formulation_shape: Literal["auto", "scalar", "indexed"] = Field(
        "auto", description="Shape of the JSON the LLM writes: 'scalar' (named variables, "
        "numbers in the expressions; short answers), 'indexed' (sets and parameters), or "
        "'auto' (indexed when data tables are attached, else scalar).")
    code_strategy: bool = Field(False, description="Also ask for Pyomo code as a cross-check.")
    time_budget: float | None = Field(
        None, gt=0, description="Seconds one problem may take: once spent, no new LLM call "
        "starts (repair, sample, retry, code), the embedded model stops at its next token or "
        "512-token prompt batch, and the best model so far is the answer. Unset: no budget.")
    guidance: str = Field(
        "", max_length=GUIDANCE_MAX_CHARS,
        description="Extra instructions at the end of the agent's system prompt, in every "
                    "call (`optiform tune` finds them).")
    guidance_file: Path | None = Field(
        None, description="File whose text is the guidance when `guidance` is empty (such as "
                          "the best.txt of `optiform tune`).")
    library: bool = Field(True, description="Retrieve insights from the experience library.")
    top_k: int = Field(4, ge=0, description="Insights retrieved per problem.")
    library_path: Path | None = Field(
        None, description="Experience library file (default: <data dir>/library.sqlite)."
    )
    library_retrieval: Literal["auto", "embedding", "keyword"] = Field(
        "auto", description="Insight retrieval: sentence embeddings when installed, or keywords."
    )
    library_threshold: float | None = Field(
        None, ge=0.0, le=1.5,
        description="Lowest retrieval score kept (default: 0.35 embedding, 0.08 keyword); "
                    "keyword scores run from 0 to 1, embedding scores to 1.5 (the cosine plus "
                    "half the keyword score).",
    )
    library_llm_check: bool = Field(
        False, description="Ask the LLM to confirm each retrieved insight's condition."
    )
    library_fallback: bool = Field(
        True, description="When no model written with insights reaches the solver, write "
                          "one more without them.",
    )
    max_problem_chars: int = Field(
        12000, ge=100,
        description="Longest problem text accepted, and the most the data tables' previews "
                    "may take of the prompt; longer is refused, never truncated.",
    )

    # -- solvers and sandbox --------------------------------------------------------------
    solver: Literal["auto", "highs", "scip", "pdhg"] = Field(
        "auto", description="auto (HiGHS for LP/MILP and convex QP over continuous "
                            "variables, SCIP for the rest), highs, scip or pdhg (LP only).")
    time_limit: float = Field(60.0, gt=0, description="Solver time limit in seconds.")
    mip_gap: float = Field(1e-6, ge=0, description="Relative MIP gap at which to stop.")
    sandbox_timeout: float = Field(30.0, gt=0, description="Wall seconds for sandboxed code.")
    sandbox_memory_mb: int = Field(1024, ge=64, description="Memory limit for sandboxed code.")
    sandbox_network: Literal["refuse", "warn"] = Field(
        "refuse",
        description="When the kernel cannot cut the network off: refuse to run, or warn.",
    )

    # -- server ---------------------------------------------------------------------------
    server_token: SecretStr | None = Field(None, description="Bearer token for the HTTP API.")
    max_request_bytes: int = Field(1_000_000, ge=1024, description="Largest HTTP request body.")

    # -- paths ----------------------------------------------------------------------------
    data_home: Path | None = Field(
        None, description="Data directory (threads, chat store, library, models, tables/); "
                          "a folder; default: the user data dir."
    )
    benchmarks_dir: Path | None = Field(
        None, description="Folder of benchmark data sets (<name>/<split>.jsonl) for `eval`; "
                          "one that is no folder is an error."
    )

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        """A blank value given in Python (``load_settings(server_token="")``) unsets a setting
        whose default is unset: an empty server token would otherwise let any client in, and
        an empty path would be the current folder (blank variables never get here)."""
        field = cls.model_fields.get(info.field_name or "")
        if field is None or field.default is not None:
            return value
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if isinstance(raw, str) and not raw.strip() else value

    @field_validator("*", mode="after")
    @classmethod
    def _home_expanded(cls, value: Any) -> Any:
        """A path's leading ``~`` is the home folder, whatever the source (see expand_home);
        relative paths stay relative (the config file's are made whole where it is read)."""
        return expand_home(value) if isinstance(value, Path) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            NoBlanks(settings_cls, env_settings),
            OpenAIFallbackSource(settings_cls),
            TomlSource(settings_cls),
        )

    @property
    def data_dir(self) -> Path:
        """The data folder: ``data_home``, else the user data dir. One that is a file, or is
        under a file (``notes.txt/data``), is a ConfigError here, where something is about to
        be read or written in it, and not when the settings load: a command that uses nothing
        there (solve --formulation or --mps, export, library --path) runs as if it were a
        folder."""
        folder = self.data_home if self.data_home else user_data_dir()
        blocking = file_in_the_way(folder)
        if blocking is not None:
            given = None if self.data_home is None else \
                origin("data_home", dict.fromkeys(self._given))
            raise unusable_data_folder(folder, given, blocking)
        return folder

    @property
    def effective_backend(self) -> str:
        if self.backend != "auto":
            return self.backend
        return "openai" if (self.base_url or self.api_key) else "local"


def load_settings(**overrides: Any) -> Settings:
    """Settings from every source, with ``overrides`` on top; errors become ConfigError."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    unknown = sorted(set(overrides) - set(Settings.model_fields))
    if unknown:  # a keyword is a typo or a wrong guess
        raise ConfigError(f"unknown setting {unknown[0]!r}",
                          hint=did_you_mean(unknown[0], Settings.model_fields))
    typo = misspelt_environment(Settings.model_fields)
    if typo:
        raise ConfigError(typo, hint="rename or unset it; `optiform model settings` lists "
                                     "the variables")
    try:
        settings = Settings(**clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        name = str(first["loc"][0]) if first["loc"] else ""
        raise ConfigError(f"invalid setting {loc!r}: {first['msg']}",
                          hint=f"check {origin(name, clean)}") from exc
    settings._given = frozenset(clean)
    return settings


def settings_rows() -> list[tuple[str, str, str, str]]:
    """Every setting as (name, environment variable, default, description), in the order
    Settings declares them: what `optiform model settings` prints and the README lists."""
    rows = []
    for name, spec in Settings.model_fields.items():
        default = spec.default
        shown = "-" if default in (None, "") else str(default).lower() \
            if isinstance(default, bool) else str(default)
        rows.append((name, f"OPTIFORM_{name.upper()}", shown, spec.description or ""))
    return rows
