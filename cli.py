"""The `optiform` command line: a thin face over the core.

Each command group lives in ``optiform.commands.<name>`` and exposes ``register(app)``.
Command modules import their heavy dependencies inside the commands, so ``--help`` is fast.
A path any command is given has its leading ``~`` expanded (optiform.commands.home_paths);
the help's rows end without spaces (optiform.commands.trimmed_help).
"""

from __future__ import annotations

import importlib

import typer

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "optiform.commands.solve",
    "optiform.commands.export",
    "optiform.commands.eval",
    "optiform.commands.tune",
    "optiform.commands.model",
    "optiform.commands.library",
    "optiform.commands.chat",
    "optiform.commands.serve",
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="optiform",
        help="Optimization problems in plain language -> checked, solved models.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="markdown",  # docstrings reflow as paragraphs; `code` stays code
    )
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)
    from optiform.commands.home_paths import expand_home_paths
    from optiform.commands.trimmed_help import trim_help

    expand_home_paths(app)
    trim_help(app)
    return app


def main() -> None:
    build_app()()


if __name__ == "__main__":  # pragma: no cover
    main()
