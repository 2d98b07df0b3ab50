"""`optiform solve`: a formulation (JSON) or an MPS/LP file in, a solved answer out.

The command function only parses options and dispatches: each kind of input has its own
``_solve_*`` function returning a SolveResult, and ``report`` prints it (rich text, or only the
SolveResult JSON with ``--json``) and gives the exit code:
0 optimal, 1 infeasible/unbounded/stopped at the time limit, 2 usage or input error (also
a ``--solver`` that cannot solve the given model), 3 solver or backend error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from optiform.commands.failure import fail
from optiform.errors import InputError, OptiformError


class SolverChoice(StrEnum):
    auto = "auto"
    highs = "highs"
    scip = "scip"
    pdhg = "pdhg"


@dataclass(frozen=True)
class SolveOptions:
    solver: str = "auto"
    as_json: bool = False
    time_limit: float = 60.0
    mip_gap: float = 1e-6
    data_dir: Path | None = None




def exit_code(result: Any) -> int:
    from optiform.solvers.result import Status

    if result.status is Status.ERROR and getattr(result, "unsuitable_solver", False):
        return 2  # the input asked for a solver that cannot solve this model: say another
    return {Status.OPTIMAL: 0, Status.INFEASIBLE: 1, Status.UNBOUNDED: 1,
            Status.INFEASIBLE_OR_UNBOUNDED: 1, Status.TIME_LIMIT: 1,
            Status.ERROR: 3}[result.status]


def _solve_formulation_file(path: Path, opts: SolveOptions) -> tuple[Any, str]:
    """Load a Formulation JSON file and solve it; tables are read beside it by default.
    Returns the SolveResult and its line of shadow prices ('' where it has none, and for
    --json, which prints the duals themselves)."""
    from optiform.commands.tables_folder import tables_folder
    from optiform.solvers.api import solve_formulation
    from optiform.solvers.formulation import Formulation

    f = Formulation.load(path)
    with tables_folder(path, opts.data_dir) as data_dir:
        result = solve_formulation(f, solver=opts.solver, time_limit=opts.time_limit,
                                   mip_gap=opts.mip_gap, data_dir=data_dir)
        return result, "" if opts.as_json else _shadow_prices(f, result, data_dir)


def _shadow_prices(f: Any, result: Any, data_dir: Path) -> str:
    """The answer's 'Shadow prices: ...' line for an optimal solution, its binding rows
    evaluated with the tables the solve read (a CSV-sourced limit reads them too)."""
    from optiform.agent.activity import binding_constraints
    from optiform.agent.shadow_prices import shadow_price_line
    from optiform.solvers.result import Status

    if result.status is not Status.OPTIMAL or not result.duals:
        return ""  # nothing to price: the rows are not evaluated
    return shadow_price_line(f, result, binding_constraints(f, result.values, data_dir))


def _solve_mps_file(path: Path, opts: SolveOptions) -> tuple[Any, str]:
    """Solve an MPS or LP file with HiGHS, or with PDHG when asked. Returns the SolveResult
    and its line of shadow prices ('' where it has none, and for --json)."""
    from optiform.solvers.highs_backend import solve_mps

    if opts.solver == "scip":
        raise InputError("MPS and LP files are solved with HiGHS or PDHG",
                         hint="leave out --solver, or use --solver highs or pdhg")
    if not path.is_file():
        raise InputError(f"file {path} not found", hint="check the path")
    if opts.solver == "pdhg":
        from optiform.solvers.pdhg_backend import solve_file_pdhg

        result = solve_file_pdhg(path, time_limit=opts.time_limit)
    else:
        result = solve_mps(path, time_limit=opts.time_limit, mip_gap=opts.mip_gap)
    return result, "" if opts.as_json else _file_prices(path, result)


def _file_prices(path: Path, result: Any) -> str:
    """The 'Shadow prices: ...' line of an optimal solution of an MPS or LP file, by its row
    names: the file is read again into arrays (a solve keeps none), whose rows' activities at
    the values tell the binding ones (agent.file_prices)."""
    from optiform.agent.file_prices import file_shadow_price_line
    from optiform.solvers.highs_backend import read_model_file
    from optiform.solvers.result import Status

    if result.status is not Status.OPTIMAL or not result.duals:
        return ""  # nothing to price: the file is not read again
    return file_shadow_price_line(read_model_file(path), result)


def report(result: Any, opts: SolveOptions, *, title: str = "", prices: str = "") -> int:
    """Print the result (stdout), with ``prices``, the line of shadow prices of a
    formulation (agent.shadow_prices) or of an MPS or LP file (agent.file_prices), under its
    values (not in the JSON, whose ``duals`` hold them), and return the exit code."""
    if opts.as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        from rich.console import Console

        from optiform.commands.solve_view import render_result

        render_result(Console(emoji=False), result, title=title, prices=prices)
    return exit_code(result)


def register(app: typer.Typer) -> None:
    @app.command("solve")
    def solve(
        text: str | None = typer.Argument(
            None, metavar="TEXT", help="A problem in plain language, formulated and solved "
            "by the assistant (see also --file, --data, --show, --save-code)."),
        problem_file: Path | None = typer.Option(
            None, "--file", help="Read the problem text from this file ('-': stdin).",
            dir_okay=False),
        data: list[Path] = typer.Option([], "--data", help="A table the problem refers to "
                                        "(repeatable): CSV, TSV, or JSON (a list of rows "
                                        "with the same keys, or an object of columns); "
                                        "named by its file name."),
        show: list[str] = typer.Option([], "--show", help="Print only these sections "
                                       "(repeatable): formulation, answer, code, latex, "
                                       "trace."),
        save_code: Path | None = typer.Option(None, "--save-code", dir_okay=False,
                                              help="Write the standalone Pyomo script here."),
        formulation: Path | None = typer.Option(
            None, "--formulation", help="A Formulation JSON file (see `optiform export "
            "--schema`).", dir_okay=False),
        mps: Path | None = typer.Option(None, "--mps", help="An MPS or LP file, solved with "
                                        "HiGHS (or PDHG: --solver pdhg).", dir_okay=False),
        solver: SolverChoice | None = typer.Option(
            None, "--solver", help="auto: HiGHS for linear models and convex quadratic ones "
            "over continuous variables, SCIP for the rest; pdhg: the first-order LP solver "
            "(default: OPTIFORM_SOLVER, else auto)."),
        as_json: bool = typer.Option(False, "--json",
                                     help="Print only JSON on stdout: the Answer for a "
                                     "problem text, else the SolveResult."),
        time_limit: float | None = typer.Option(
            None, "--time-limit", help="Solver time limit in seconds (default: "
            "OPTIFORM_TIME_LIMIT, else 60)."),
        mip_gap: float | None = typer.Option(
            None, "--mip-gap", min=0.0, help="Relative MIP gap at which to stop (default: "
            "OPTIFORM_MIP_GAP, else 1e-6)."),
        time_budget: float | None = typer.Option(
            None, "--time-budget", help="Seconds the assistant may take on a problem text: "
            "once spent, no new LLM call starts and the best model so far is the answer "
            "(default: OPTIFORM_TIME_BUDGET, else none)."),
        data_dir: Path | None = typer.Option(None, "--data-dir", file_okay=False,
                                             help="Where CSV tables are read (default: the "
                                             "formulation's folder)."),
    ) -> None:
        """Solve a problem in plain language (TEXT or --file), a formulation or an MPS/LP file.

        Exit codes: 0 optimal, 1 infeasible, unbounded, stopped at the time limit or given
        up after the repair rounds, 2 usage, input or configuration error (also, with
        --formulation or --mps, a --solver that cannot solve the model; for a problem text the
        agent first tries to repair its model for that solver), 3 solver or backend error,
        130 interrupted (with --formulation or --mps, Ctrl-C ends the solve and its best
        point is printed, exit 1).
        """
        if time_limit is not None and not time_limit > 0:  # NaN too
            raise fail(InputError(f"--time-limit must be more than 0 seconds, not {time_limit}",
                                  hint="e.g. --time-limit 30"), as_json=as_json)
        if time_budget is not None and not time_budget > 0:  # NaN too
            raise fail(InputError(f"--time-budget must be more than 0 seconds, not "
                                  f"{time_budget}", hint="e.g. --time-budget 120"),
                       as_json=as_json)
        if text is not None or problem_file is not None or data or show or save_code or \
                time_budget is not None:
            if formulation is not None or mps is not None:
                raise fail(_text_only_options(text, problem_file, data, show, save_code,
                                              time_budget), as_json=as_json)
            if data_dir is not None:  # the text path's tables come with --data
                raise fail(InputError("--data-dir applies only to --formulation",
                                      hint="give a problem's tables with --data FILE "
                                           "(repeatable)"), as_json=as_json)
            if text is not None and problem_file is None:
                named = _file_named_as_text(text)
                if named is not None:
                    raise fail(named, as_json=as_json)
            from optiform.commands import solve_text  # the assistant's text path

            raise typer.Exit(solve_text.run(
                text, file=problem_file, data=data, as_json=as_json, show=show,
                save_code=save_code, solver=solver.value if solver else None,
                time_limit=time_limit, mip_gap=mip_gap, time_budget=time_budget))
        given = [x for x in (formulation, mps) if x is not None]
        try:
            from optiform.config import load_settings

            settings = load_settings()  # what an option leaves out, as the text path does
            # the solver setting, where it fits a file: SCIP solves formulations, not MPS files
            chosen = solver.value if solver else settings.solver if (
                formulation is not None or settings.solver == "pdhg") else "auto"
            opts = SolveOptions(
                solver=chosen, as_json=as_json,
                time_limit=time_limit if time_limit is not None else settings.time_limit,
                mip_gap=mip_gap if mip_gap is not None else settings.mip_gap,
                data_dir=data_dir)
            if mps is not None and data_dir is not None:  # an MPS file holds its data
                raise InputError("--data-dir applies only to --formulation",
                                 hint="an MPS or LP file holds all its data")
            if len(given) != 1:
                raise InputError("give exactly one of TEXT, --file, --formulation FILE.json "
                                 "or --mps FILE",
                                 hint='e.g. optiform solve "..." or optiform solve '
                                      "--formulation model.json")
            from optiform.cancellation import keep_result_on_ctrl_c

            prices = ""
            with keep_result_on_ctrl_c():  # Ctrl-C ends the solve, its best point printed
                if formulation is not None:
                    result, prices = _solve_formulation_file(formulation, opts)
                    title = str(formulation)
                else:
                    assert mps is not None
                    result, prices = _solve_mps_file(mps, opts)
                    title = str(mps)
        except OptiformError as err:
            raise fail(err, as_json=as_json) from err
        raise typer.Exit(report(result, opts, title=title, prices=prices))


_FILE_OPTIONS = {".json": "--formulation", ".mps": "--mps", ".lp": "--mps"}
_FILE_SUFFIXES = (".txt", ".md", ".csv", ".tsv", *_FILE_OPTIONS)


def _file_named_as_text(text: str) -> InputError | None:
    """TEXT that is a file's name ('optiform solve problem.txt', --file forgotten): the error
    that says which option reads it; None for a problem text. A single word with a file's
    suffix that names no file is one too, since no problem is stated in one word."""
    word = text.strip()
    if not word or any(c.isspace() for c in word) or len(word) > 1024:
        return None
    from optiform.config_paths import expand_home

    try:
        path = expand_home(word)
    except ValueError:  # '~nosuchuser/x.txt': judged as written
        path = Path(word)
    suffix = next((x for x in _FILE_SUFFIXES if path.name.lower().endswith(x)), None)
    try:
        exists = path.is_file()
    except OSError:
        exists = False
    if not exists and suffix is None:
        return None
    option = _FILE_OPTIONS.get(suffix or "", "--file")
    if not exists:
        return InputError(f"TEXT is {word!r}, a file name, and there is no such file",
                          hint=f"check the path (optiform solve {option} FILE), or state the "
                               "problem in words")
    if suffix in (".csv", ".tsv"):
        return InputError(f"TEXT is the table {word}, not a problem",
                          hint=f'give the problem and its table: optiform solve --file '
                               f'problem.txt --data {word}')
    return InputError(f"TEXT is the file {word}, not a problem stated in words",
                      hint=f"to solve it, optiform solve {option} {word}" + (
                          f" (a JSON table goes beside its problem: --file problem.txt --data "
                          f"{word})" if suffix == ".json" else ""))


def _text_only_options(text: str | None, problem_file: Path | None, data: Sequence[Path],
                       show: Sequence[str], save_code: Path | None,
                       time_budget: float | None = None) -> InputError:
    """The error for a problem text, or an option that only a text takes, beside a
    formulation or MPS file: it names what was given."""
    if text is not None or problem_file is not None:
        return InputError("give a problem text or a formulation, not both",
                          hint="drop TEXT/--file, or --formulation/--mps")
    given = [name for name, value in (("--data", data), ("--show", show),
                                      ("--save-code", save_code),
                                      ("--time-budget", time_budget)) if value]
    verb = "applies" if len(given) == 1 else "apply"
    return InputError(f"{', '.join(given)} {verb} only to a problem text, not to "
                      "--formulation or --mps",
                      hint="a formulation names its data files itself (--data-dir names "
                           "their folder); `optiform export FILE --to pyomo` writes its "
                           "script")
