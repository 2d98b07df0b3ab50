"""`optiform solve --formulation/--mps` and `optiform export` through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "formulations"


def write(tmp_path: Path, spec: dict) -> Path:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(spec))
    return path


def test_solve_prints_status_objective_and_values(cli) -> None:
    r = cli("solve", "--formulation", EXAMPLES / "production_lp.json")
    assert r.exit_code == 0, r.output
    assert "optimal" in r.stdout and "36" in r.stdout
    assert "make" in r.stdout and "windows" in r.stdout
    assert "LP with 2 variables" in r.stdout  # size and timing line


def test_solve_json_is_only_the_solve_result(cli) -> None:
    r = cli("solve", "--formulation", EXAMPLES / "diet_csv.json", "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)  # CSV tables found beside the formulation
    assert data["status"] == "optimal"
    assert data["objective"] == pytest.approx(3.8)
    assert data["values"]["servings"]["beans"] == pytest.approx(10.0)


def test_solve_scip_minlp_json(cli) -> None:
    r = cli("solve", "--formulation", EXAMPLES / "orders_minlp.json", "--json",
            "--time-limit", "30", "--mip-gap", "0")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["solver"] == "scip" and data["objective"] == pytest.approx(245.0)


def test_infeasible_exits_1_and_names_the_conflict(cli) -> None:
    r = cli("solve", "--formulation", EXAMPLES / "staffing_infeasible.json")
    assert r.exit_code == 1
    assert "infeasible" in r.stdout
    assert "cover" in r.stdout and "team_capacity[team_a]" in r.stdout


def test_unbounded_exits_1(cli, tmp_path: Path) -> None:
    path = write(tmp_path, {"variables": [{"name": "x"}, {"name": "y"}],
                            "objective": {"sense": "max", "expression": "x + 2*y"},
                            "constraints": [{"name": "c", "expression": "x - y <= 3"}]})
    r = cli("solve", "--formulation", path, "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["status"] == "unbounded"


@pytest.mark.parametrize("args", [
    ["solve"],  # neither input
    ["solve", "--formulation", "missing.json"],  # unreadable
    ["solve", "--formulation", "model.json", "--solver", "cplex"],  # unknown solver
    ["solve", "--formulation", "model.json", "--mps", "x.mps"],  # both inputs
])
def test_usage_errors_exit_2(cli, tmp_path: Path, args: list[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"variables": [{"name": "x"}],
                     "objective": {"sense": "min", "expression": "x"}})
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stdout == ""


def test_bad_formulation_exits_2_with_message_and_hint(cli, tmp_path: Path) -> None:
    path = write(tmp_path, {"variables": [{"name": "x"}],
                            "objective": {"sense": "min", "expression": "x + cost"},
                            "parameters": [{"name": "costs", "value": 3}]})
    r = cli("solve", "--formulation", path, "--json")
    assert r.exit_code == 2
    assert "unknown name 'cost'" in r.stderr and "did you mean 'costs'" in r.stderr
    error = json.loads(r.stdout)["error"]  # --json: stdout holds the error object, too
    assert error["type"] == "FormulationError" and error["hint"] == "did you mean 'costs'?"


def test_a_solver_that_cannot_solve_the_model_is_an_input_error(cli) -> None:
    r = cli("solve", "--formulation", EXAMPLES / "orders_minlp.json", "--solver", "highs",
            "--json")
    assert r.exit_code == 2  # the user's choice of solver, not a failing solver
    data = json.loads(r.stdout)
    assert data["status"] == "error" and data["unsuitable_solver"] is True
    assert "HiGHS needs a linear or quadratic model" in data["message"]
    r = cli("solve", "--formulation", EXAMPLES / "orders_minlp.json", "--solver", "pdhg")
    assert r.exit_code == 2 and "PDHG solves LPs only" in r.stdout
    for integer_or_quadratic in ("trucks_milp.json", "portfolio_qp.json"):
        r = cli("solve", "--formulation", EXAMPLES / integer_or_quadratic, "--solver", "pdhg")
        assert r.exit_code == 2 and "PDHG solves LPs only" in r.stdout


def test_a_failing_solver_exits_3() -> None:
    from optiform.commands.solve import exit_code
    from optiform.solvers.result import SolveResult, Status

    assert exit_code(SolveResult(status=Status.ERROR, message="SCIP crashed")) == 3
    assert exit_code(SolveResult(status=Status.ERROR, unsuitable_solver=True)) == 2


def test_solve_mps_file(cli, tmp_path: Path) -> None:
    mps = tmp_path / "transport.mps"
    assert cli("export", EXAMPLES / "transport.json", "--to", "mps", "-o", mps).exit_code == 0
    assert mps.read_text().splitlines()[0].split() == ["NAME", "transport"]
    r = cli("solve", "--mps", mps, "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["objective"] == pytest.approx(1852.5)
    table = cli("solve", "--mps", mps).stdout  # HiGHS gives denver->topeka as -0.0
    assert "ship(denver,topeka)" in table and not any(
        line.split()[-1] == "-0" for line in table.splitlines() if line.strip())
    assert cli("solve", "--mps", tmp_path / "none.mps").exit_code == 2
    (tmp_path / "table.csv").write_text("a,b\n1,2\n")
    r = cli("solve", "--mps", tmp_path / "table.csv", "--json")  # not a model: input error
    assert r.exit_code == 2 and "could not read" in r.stderr
    assert json.loads(r.stdout)["error"]["type"] == "InputError"


def test_a_mip_stopped_at_a_loose_gap_says_so(cli, shared_dir: Path) -> None:
    bell5 = shared_dir / "data" / "mps" / "highs" / "bell5.mps"
    r = cli("solve", "--mps", bell5, "--mip-gap", "0.5")
    assert r.exit_code == 0 and "optimal only within this gap" in r.stdout
    gap = float(r.stdout.split("mip gap")[1].split("%")[0])
    assert 0.0 < gap <= 50.0
    r = cli("solve", "--mps", bell5, "--json")
    stats = json.loads(r.stdout)["stats"]
    assert stats["mip_gap"] <= 1e-6 and "optimal only within" not in \
        cli("solve", "--mps", bell5).stdout
    r = cli("solve", "--mps", bell5, "--solver", "pdhg")
    assert r.exit_code == 2 and "PDHG solves LPs only" in r.stderr


def test_a_formulation_file_that_is_not_text_is_an_input_error(cli, tmp_path: Path) -> None:
    (tmp_path / "m.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    for args in (("solve", "--formulation", tmp_path / "m.json"),
                 ("export", tmp_path / "m.json", "--to", "lp")):
        r = cli(*args)
        assert r.exit_code == 2 and "is not UTF-8 text" in r.stderr


def test_options_of_a_text_beside_a_formulation_are_named(cli) -> None:
    r = cli("solve", "--formulation", EXAMPLES / "transport.json", "--show", "code")
    assert r.exit_code == 2
    assert "--show applies only to a problem text" in r.stderr and "not both" not in r.stderr
    for limit in ("0", "nan"):
        r = cli("solve", "--formulation", EXAMPLES / "transport.json", "--time-limit", limit)
        assert r.exit_code == 2 and "--time-limit must be more than 0" in r.stderr


def test_error_text_is_printed_as_it_is_not_as_markup(cli, tmp_path: Path) -> None:
    f = json.loads((EXAMPLES / "transport.json").read_text())
    f["constraints"][0]["expression"] = "sum(ship[/i, j] for j in J) <= supply[i]"
    r = cli("solve", "--formulation", write(tmp_path, f), "--data-dir", EXAMPLES)
    assert r.exit_code == 2  # not rich's MarkupError: [/i looks like a closing tag to it
    assert "supply[i]" in r.stderr  # and subscripts are not swallowed as style tags


@pytest.mark.parametrize(("fmt", "marker"), [
    ("pyomo", "model = pyo.ConcreteModel("),
    ("lp", "supply_limit(seattle):"),
    ("mps", "ROWS"),
    ("latex", r"\sum_{"),
    ("md", "### `meet_demand`"),
])
def test_export_each_format_to_stdout_and_file(cli, tmp_path: Path, fmt: str,
                                               marker: str) -> None:
    r = cli("export", EXAMPLES / "transport.json", "--to", fmt)
    assert r.exit_code == 0, r.output
    assert marker in r.stdout
    out = tmp_path / f"transport.{fmt}.out"
    r = cli("export", EXAMPLES / "transport.json", "--to", fmt, "-o", out)
    assert r.exit_code == 0 and r.stdout == ""
    assert marker in out.read_text()
    if fmt == "pyomo":
        compile(out.read_text(), "transport.py", "exec")


def test_export_mps_of_an_unnamed_formulation_takes_its_file_name(cli, tmp_path: Path) -> None:
    spec = json.loads((EXAMPLES / "production_lp.json").read_text())
    del spec["name"]
    source = tmp_path / "wyndor.json"
    source.write_text(json.dumps(spec))
    r = cli("export", source, "--to", "mps")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].split() == ["NAME", "wyndor"]


def test_export_never_writes_over_its_inputs(cli, tmp_path: Path) -> None:
    import shutil

    model = tmp_path / "p.json"
    model.write_text((EXAMPLES / "transport.json").read_text())
    shutil.copy(EXAMPLES / "diet_csv.json", tmp_path / "diet.json")
    shutil.copytree(EXAMPLES / "data", tmp_path / "data")
    for target in (model, tmp_path / "data" / "foods.csv"):
        source = tmp_path / ("diet.json" if target.suffix == ".csv" else "p.json")
        r = cli("export", source, "--to", "lp", "-o", target)
        assert r.exit_code == 2 and "would replace it" in " ".join(r.stderr.split())
    # the table a source names, in a folder below the model: still there, and the model too
    assert (tmp_path / "data" / "foods.csv").read_text() == \
        (EXAMPLES / "data" / "foods.csv").read_text()
    assert json.loads(model.read_text())["objective"]


def test_export_schema(cli) -> None:
    r = cli("export", "--schema")
    assert r.exit_code == 0
    schema = json.loads(r.stdout)
    assert {"variables", "objective", "constraints"} <= set(schema["properties"])


def test_export_errors_exit_2(cli) -> None:
    r = cli("export", EXAMPLES / "orders_minlp.json", "--to", "lp")
    assert r.exit_code == 2 and "linear or quadratic" in r.stderr and r.stdout == ""
    r = cli("export", EXAMPLES / "transport.json")  # no --to: named, not "give a file"
    assert r.exit_code == 2 and "--to FORMAT is missing" in r.stderr and "lp, mps" in r.stderr
    assert cli("export", EXAMPLES / "transport.json", "--to", "docx").exit_code == 2


def test_serve_names_a_log_level_it_does_not_know(cli) -> None:
    r = cli("serve", "--log-level", "loud")
    assert r.exit_code == 2 and "'loud' is not a log level" in " ".join(r.stderr.split())


def test_what_the_mps_reader_dropped_is_said(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mps"  # a column names row c2, which ROWS never declares
    bad.write_text("NAME x\nROWS\n N obj\n L c1\nCOLUMNS\n x obj -1 c2 1\nRHS\n rhs c1 4\n"
                   "ENDATA\n")
    for solver in ("highs", "pdhg"):
        r = cli("solve", "--mps", bad, "--solver", solver, "--json")
        warnings = json.loads(r.stdout)["warnings"]
        assert any('Row name "c2"' in w and "not defined" in w for w in warnings), warnings


def test_export_schema_alone_and_a_missing_formulation_has_a_hint(cli, tmp_path: Path) -> None:
    r = cli("export", EXAMPLES / "transport.json", "--to", "lp", "--schema")
    assert r.exit_code == 2 and "--schema prints the schema alone" in r.stderr
    r = cli("solve", "--formulation", tmp_path / "nope.json")
    assert r.exit_code == 2 and "hint: check the path" in r.stderr


def test_the_solver_setting_applies_where_it_fits(cli, shared_dir: Path, monkeypatch) -> None:
    afiro = shared_dir / "data" / "mps" / "netlib" / "afiro.mps"
    monkeypatch.setenv("OPTIFORM_SOLVER", "scip")  # for formulations; an MPS file is HiGHS's
    r = cli("solve", "--mps", afiro, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["solver"] == "highs"
    monkeypatch.setenv("OPTIFORM_SOLVER", "pdhg")
    r = cli("solve", "--mps", afiro, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["solver"] == "pdhg"
    monkeypatch.setenv("OPTIFORM_TIME_LIMIT", "-5")  # a bad setting is named on this path too
    r = cli("solve", "--mps", afiro)
    assert r.exit_code == 2 and "time_limit" in r.stderr


def test_help_reads_as_paragraphs() -> None:
    from optiform.cli import build_app

    runner = CliRunner()
    out = runner.invoke(build_app(), ["solve", "--help"], env={"COLUMNS": "200"}).output
    assert "stopped at the time limit or given up after the repair rounds" in out  # one line
    lib = runner.invoke(build_app(), ["library", "--help"], env={"COLUMNS": "200"}).output
    assert "library.sqlite in the data dir" in lib


def test_data_dir_beside_a_problem_text_or_an_mps_file_is_refused(cli, tmp_path: Path) -> None:
    r = cli("solve", "Maximize 3x with x <= 4.", "--data-dir", tmp_path)
    assert r.exit_code == 2 and "--data-dir applies only to --formulation" in r.stderr
    assert "--data FILE" in r.stderr
    r = cli("solve", "--mps", tmp_path / "m.mps", "--data-dir", tmp_path)
    assert r.exit_code == 2 and "an MPS or LP file holds all its data" in r.stderr


def test_a_table_not_there_names_the_folder_read_and_data_dir(cli, tmp_path: Path) -> None:
    """solve and export on the command line: the error names the folder they read the tables
    from and how to name another, besides the tables the folder holds."""
    spec = json.loads((EXAMPLES / "diet_csv.json").read_text())
    model = write(tmp_path, spec)  # away from the example's data/ folder
    tables = tmp_path / "tables"
    tables.mkdir()
    for name in ("foods.csv", "nutrients.csv"):
        (tables / name).write_text((EXAMPLES / "data" / name).read_text())
    for command in (("solve", "--formulation", model), ("export", model, "--to", "pyomo")):
        r = cli(*command)
        said = " ".join(r.stderr.split())
        assert r.exit_code == 2 and "'data/foods.csv' not found" in said, r.stderr
        assert "the tables folder holds tables/foods.csv, tables/nutrients.csv" in said
        assert "did you mean 'tables/foods.csv'?" in said
        assert (f"the tables folder is {tmp_path.resolve()} (the formulation's folder; "
                "--data-dir DIR names another)") in said
        assert "tables given" not in said
        r = cli(*command, "--data-dir", tables)
        said = " ".join(r.stderr.split())
        assert r.exit_code == 2 and "did you mean 'foods.csv'?" in said, r.stderr
        assert f"the tables folder is {tables} (--data-dir)" in said
    r = cli("solve", "--formulation", model, "--data-dir", EXAMPLES, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["objective"] == pytest.approx(3.8)


PRICED = {"production_lp": "Shadow prices: capacity (plant2 +1.5, plant3 +1) (the objective's "
                            "change per unit more of each limit).",
          "diet_csv": "Shadow prices: nutrition (calories +0.002) (the objective's change per "
                      "unit more of each limit)."}


def _prices_rows(stdout: str) -> list[str]:
    """The rows of the 'Shadow prices: ' line, which comes after the values and before the
    size and timing line."""
    rows = stdout.splitlines()
    start = next(i for i, row in enumerate(rows) if row.startswith("Shadow prices: "))
    end = next(i for i, row in enumerate(rows) if row.startswith("LP with "))
    assert rows[start - 1].split()[0] in ("make", "servings")  # the last value's row
    return rows[start:end]


@pytest.mark.parametrize("width", [80, 100])
def test_a_formulation_prices_its_binding_limits_as_a_problem_text_does(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    """`solve --formulation` prints the answer's line of shadow prices under the values, its
    rows after the first under the text after 'Shadow prices: '. The binding rows are found
    with the tables the solve read (a CSV-sourced limit): the formulation's folder, from
    another working directory, or --data-dir. --json stays the SolveResult, its duals."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", str(width))
    spec = json.loads((EXAMPLES / "diet_csv.json").read_text())
    moved = write(tmp_path, spec)  # its tables are not beside it: --data-dir names them
    for name, args in (("production_lp", [EXAMPLES / "production_lp.json"]),
                       ("diet_csv", [EXAMPLES / "diet_csv.json"]),
                       ("diet_csv", [moved, "--data-dir", EXAMPLES])):
        r = cli("solve", "--formulation", *args)
        assert r.exit_code == 0, r.output
        rows = _prices_rows(r.stdout)
        assert " ".join(row.strip() for row in rows) == PRICED[name]
        assert all(len(row) <= width and row == row.rstrip() for row in rows)
        assert all(row.startswith(" " * 15) and row[15] != " " for row in rows[1:])
        assert len(rows) == (1 if (name, width) == ("diet_csv", 100) else 2)
    r = cli("solve", "--formulation", moved, "--data-dir", EXAMPLES, "--json")
    assert "Shadow prices" not in r.stdout
    assert json.loads(r.stdout)["duals"]["nutrition"]["calories"] == pytest.approx(0.002)


def test_no_shadow_prices_without_an_optimum_of_continuous_variables(cli,
                                                                     shared_dir: Path) -> None:
    """None for an integer model (its duals price the LP relaxation), a formulation or an MPS
    file, and none for an infeasible one."""
    mps = shared_dir / "data" / "mps" / "highs"
    for args in (("--formulation", EXAMPLES / "trucks_milp.json"),
                 ("--formulation", EXAMPLES / "staffing_infeasible.json"),
                 ("--mps", mps / "small_mip.mps"), ("--mps", mps / "galenet.mps")):
        r = cli("solve", *args)
        assert r.exit_code in (0, 1) and "Shadow prices" not in r.stdout, r.output


@pytest.mark.parametrize("width", [80, 100])
def test_an_mps_file_prices_its_binding_rows_by_their_names(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    """`solve --mps` prints the line of shadow prices as a formulation's answer does, by the
    file's row names, with HiGHS and PDHG; --json stays the SolveResult, its duals."""
    monkeypatch.setenv("COLUMNS", str(width))
    mps = tmp_path / "production.mps"
    assert cli("export", EXAMPLES / "production_lp.json", "--to", "mps", "-o", mps).exit_code == 0
    for solver in ("highs", "pdhg"):
        r = cli("solve", "--mps", mps, "--solver", solver)
        assert r.exit_code == 0, r.output
        rows = r.stdout.splitlines()
        start = next(i for i, row in enumerate(rows) if row.startswith("Shadow prices: "))
        assert rows[start - 1].split()[0] == "make(windows)"  # under the values
        end = next(i for i, row in enumerate(rows) if " variables and " in row)
        assert " ".join(row.strip() for row in rows[start:end]) == (
            "Shadow prices: capacity(plant2) +1.5; capacity(plant3) +1 (the objective's change "
            "per unit more of each limit).")
        assert all(len(row) <= width and row == row.rstrip() for row in rows[start:end])
        assert all(row.startswith(" " * 15) and row[15] != " " for row in rows[start + 1:end])
    r = cli("solve", "--mps", mps, "--json")
    assert "Shadow prices" not in r.stdout
    assert json.loads(r.stdout)["duals"] == pytest.approx(
        {"capacity(plant1)": 0.0, "capacity(plant2)": 1.5, "capacity(plant3)": 1.0})


def test_an_mps_file_highs_cannot_solve_says_why_and_exits_2(cli, tmp_path: Path) -> None:
    model = tmp_path / "ncqp.json"
    model.write_text(json.dumps({
        "variables": [{"name": "x", "ub": 3}, {"name": "y", "ub": 3}],
        "objective": {"sense": "maximize", "expression": "x*x + y*y - x*y"},
        "constraints": [{"name": "c", "expression": "x + y <= 4"}]}))
    assert cli("export", model, "--to", "lp", "-o", tmp_path / "ncqp.lp").exit_code == 0
    r = cli("solve", "--mps", tmp_path / "ncqp.lp", "--json")
    assert r.exit_code == 2  # the solver cannot, not a failure: as --formulation says it
    out = json.loads(r.stdout)
    assert out["unsuitable_solver"] and "non-convex" in out["message"]


LONG_KEYS = ["warehouse_north_distribution_center,customer_springfield_retail_store_01",
             "warehouse_south_regional_hub,customer_capital_city_supermarket"]


def _rendered(result, width: int, terminal: bool = True) -> list[str]:
    from rich.console import Console

    from optiform.commands.solve_view import render_result

    console = Console(width=width, record=True, force_terminal=terminal)
    render_result(console, result)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [80, 100])
def test_long_index_keys_fold_whole_at_narrow_widths(width: int) -> None:
    from optiform.solvers.result import SolveResult, Status

    result = SolveResult(status=Status.OPTIMAL, objective=1.0, solver="highs",
                         values={"shipped_quantity": {k: float(i) for i, k in
                                                      enumerate(LONG_KEYS)}})
    lines = _rendered(result, width)
    assert all(len(line) <= width for line in lines)
    head = next(i for i, line in enumerate(lines) if line.startswith("variable"))
    start, end = lines[head].index("index"), lines[head].index("value") - 1
    column = "".join(line[start:end].strip() for line in lines[head + 1:-1])
    assert "…" not in column and column == "".join(LONG_KEYS)  # folded, whole


def test_a_long_conflict_is_listed_a_constraint_per_line() -> None:
    from optiform.solvers.result import SolveResult, Status

    names = [f"respect_warehouse_supply_capacity[{k.split(',')[0]}]" for k in LONG_KEYS]
    names.append("impossible_minimum_total_shipment_requirement")
    lines = _rendered(SolveResult(status=Status.INFEASIBLE, conflict=names), 80)
    assert all(len(line) <= 80 for line in lines)
    assert all(f"  {n}" in lines for n in names)  # each whole, on a line of its own
    short = _rendered(SolveResult(status=Status.INFEASIBLE, conflict=["cover", "cap[a]"]), 80)
    assert "conflicting constraints (IIS): cover, cap[a]" in short  # one line where it fits
    piped = _rendered(SolveResult(status=Status.INFEASIBLE, conflict=names), 80, terminal=False)
    assert "conflicting constraints (IIS): " + ", ".join(names) in piped  # one line, for grep


def test_a_warning_wraps_between_words() -> None:
    from optiform.solvers.result import SolveResult, Status

    warning = "the variables shipped_quantity count whole things " * 3
    lines = _rendered(SolveResult(status=Status.OPTIMAL, warnings=[warning.strip()]), 80)
    assert all(len(line) <= 80 for line in lines)
    assert all(word in warning.split() for line in lines if "things" in line
               for word in line.removeprefix("warning: ").split())
    piped = _rendered(SolveResult(status=Status.OPTIMAL, warnings=[warning.strip()]), 80,
                      terminal=False)
    assert f"warning: {warning.strip()}" in piped  # one line, for grep


@pytest.mark.parametrize(("name", "option"), [
    ("problem.txt", "--file"), ("model.json", "--formulation"), ("afiro.mps", "--mps"),
    ("notes", "--file"),
])
def test_a_file_given_as_text_names_the_option_that_reads_it(cli, tmp_path: Path,
                                                             monkeypatch, name: str,
                                                             option: str) -> None:
    monkeypatch.setenv("OPTIFORM_BACKEND", "fake")  # no LLM call may be made
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text("A bakery makes bread and cake ...\n")
    res = cli("solve", name)
    assert res.exit_code == 2
    assert f"TEXT is the file {name}, not a problem stated in words" in res.output
    assert f"optiform solve {option} {name}" in " ".join(res.output.split())
    assert ("--data model.json" in " ".join(res.output.split())) == (name == "model.json")


def test_a_file_name_that_names_no_file_and_a_table_given_as_text(cli, tmp_path: Path,
                                                                 monkeypatch) -> None:
    monkeypatch.setenv("OPTIFORM_BACKEND", "fake")
    monkeypatch.chdir(tmp_path)
    missing = cli("solve", "problem.txt")
    assert missing.exit_code == 2 and "there is no such file" in missing.output
    (tmp_path / "costs.csv").write_text("item,cost\na,1\n")
    table = cli("solve", "costs.csv")
    assert table.exit_code == 2 and "--data costs.csv" in table.output


def test_a_one_word_text_that_is_no_file_name_is_still_a_problem_text(cli, monkeypatch) -> None:
    monkeypatch.setenv("OPTIFORM_BACKEND", "fake")
    res = cli("solve", "maximize")
    assert "TEXT is" not in res.output  # the assistant judges it (not a problem)


def test_a_one_word_text_whose_tilde_names_no_user_is_judged_as_written(cli, monkeypatch
                                                                        ) -> None:
    monkeypatch.setenv("OPTIFORM_BACKEND", "fake")
    # Path.expanduser raised RuntimeError (a traceback) on a ~ of a user that is not there
    missing = cli("solve", "~no_such_user_optiform/problem.txt")
    assert missing.exit_code == 2 and "there is no such file" in missing.output
    res = cli("solve", "~no_such_user_optiform")
    assert "TEXT is" not in res.output and "not a problem" in res.output  # the assistant's
