"""`optiform export`: a formulation as a Pyomo script, LP/MPS file, LaTeX or Markdown; or the
Formulation JSON schema with ``--schema``. Output goes to stdout unless ``-o`` names a file.
"""

from __future__ import annotations

import json
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from optiform.commands.failure import fail
from optiform.commands.tables_folder import tables_folder, tables_folder_of
from optiform.errors import InputError, OptiformError

if TYPE_CHECKING:
    from optiform.solvers.formulation import Formulation


class ExportFormat(StrEnum):
    pyomo = "pyomo"
    lp = "lp"
    mps = "mps"
    latex = "latex"
    md = "md"


def export_text(path: Path, fmt: str, data_dir: Path | None) -> str:
    """The export of the formulation file at ``path`` as text."""
    from optiform.solvers.formulation import Formulation

    f = Formulation.load(path)
    with tables_folder(path, data_dir) as folder:
        return _export(f, path, fmt, folder)


def _export(f: Formulation, path: Path, fmt: str, data_dir: Path) -> str:
    if fmt == "pyomo":
        from optiform.solvers.export_pyomo import to_pyomo_script

        return to_pyomo_script(f, data_dir=data_dir)
    if fmt in ("latex", "md"):
        from optiform.solvers.render import to_latex, to_markdown

        return (to_latex if fmt == "latex" else to_markdown)(f, data_dir=data_dir)
    from optiform.solvers.export_files import model_name, write_lp, write_mps

    with tempfile.TemporaryDirectory(prefix="optiform-export-") as tmp:
        out = Path(tmp) / f"model.{fmt}"
        (write_lp if fmt == "lp" else write_mps)(f, out, data_dir=data_dir,
                                                 name=model_name(f, path.stem))
        return out.read_text(encoding="utf-8")


def _tables_read(path: Path, data_dir: Path | None) -> list[Path]:
    """The CSV files the formulation at ``path`` reads (its sets' and parameters' sources,
    in ``data_dir`` or beside it); none when it cannot be read (export says why later)."""
    from optiform.solvers.formulation import Formulation

    try:
        f = Formulation.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, OptiformError):
        return []
    folder = tables_folder_of(path, data_dir)
    return [folder / d.source.file for d in (*f.sets, *f.parameters)
            if getattr(d, "source", None) is not None]


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}",
                         hint="choose a writable output path") from None
    typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        formulation: Path | None = typer.Argument(None, help="A Formulation JSON file.",
                                                  dir_okay=False),
        to: ExportFormat | None = typer.Option(None, "--to", help="Output format."),
        output: Path | None = typer.Option(None, "-o", "--output", dir_okay=False,
                                           help="Write here instead of stdout."),
        data_dir: Path | None = typer.Option(None, "--data-dir", file_okay=False,
                                             help="Where CSV tables are read (default: the "
                                             "formulation's folder)."),
        schema: bool = typer.Option(False, "--schema",
                                    help="Print the JSON schema of a Formulation."),
    ) -> None:
        """Export a formulation: a standalone Pyomo script, LP or MPS file, LaTeX or Markdown.

        Exit codes: 0 written, 2 usage or input error (e.g. LP/MPS of a nonlinear model),
        3 solver error.
        """
        try:
            if schema and (formulation is not None or to is not None):
                raise InputError("--schema prints the schema alone; it does not export",
                                 hint="drop --schema to export, or the file and --to to get "
                                      "the schema")
            if schema:
                from optiform.solvers.formulation import formulation_json_schema

                _write(json.dumps(formulation_json_schema(), indent=2) + "\n", output)
                return
            if formulation is not None and to is None:
                formats = ", ".join(f.value for f in ExportFormat)
                raise InputError(f"--to FORMAT is missing: say what to write {formulation} as "
                                 f"({formats})",
                                 hint=f"e.g. optiform export {formulation} --to pyomo")
            if formulation is None or to is None:
                raise InputError("give a formulation file and --to FORMAT (or --schema)",
                                 hint="e.g. optiform export model.json --to pyomo")
            if output is not None:
                from optiform.file_paths import not_an_input

                suffix = {"pyomo": ".py", "latex": ".tex"}.get(to.value, "." + to.value)
                not_an_input(output, [formulation, *_tables_read(formulation, data_dir)], "-o",
                             f"-o {formulation.with_suffix(suffix).name}")
            _write(export_text(formulation, to.value, data_dir), output)
        except OptiformError as err:
            raise fail(err) from err
