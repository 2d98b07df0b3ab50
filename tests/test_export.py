"""Exports: standalone Pyomo scripts (run in a subprocess), LP/MPS files read back by HiGHS,
and the LaTeX/Markdown renderings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from optiform.errors import FormulationError
from optiform.solvers.api import solve_formulation
from optiform.solvers.export_files import write_lp, write_mps
from optiform.solvers.export_pyomo import to_pyomo_script
from optiform.solvers.formulation import Formulation
from optiform.solvers.highs_backend import solve_mps
from optiform.solvers.render import to_latex, to_markdown
from optiform.solvers.result import Status

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "formulations"
EXPECTED = json.loads((EXAMPLES / "expected.json").read_text())
SOLVABLE = sorted(n for n, e in EXPECTED.items() if n.endswith(".json")
                  and e["status"] == "optimal")
LINEAR = ["production_lp.json", "trucks_milp.json", "transport.json",
          "inventory_for_each.json", "diet_csv.json", "portfolio_qp.json"]


def example(name: str) -> Formulation:
    return Formulation.load(EXAMPLES / name)


def run_script(source: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str],
                                                     float | None, dict[str, Any]]:
    """Run a script with the test's interpreter in an empty folder; parse what it printed."""
    script = tmp_path / "model.py"
    script.write_text(source)
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=180)
    match = re.search(r"^objective: (\S+)$", proc.stdout, re.M)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    return proc, float(match.group(1)) if match else None, json.loads(lines[-1]) if lines else {}


@pytest.mark.parametrize("name", SOLVABLE)
def test_exported_script_prints_the_direct_objective(name: str, tmp_path: Path) -> None:
    f = example(name)
    direct = solve_formulation(f, data_dir=EXAMPLES)
    assert direct.status is Status.OPTIMAL
    assert direct.objective == pytest.approx(EXPECTED[name]["objective"], rel=1e-6)
    source = to_pyomo_script(f, data_dir=EXAMPLES)
    compile(source, name, "exec")
    proc, objective, record = run_script(source, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert objective == pytest.approx(direct.objective, rel=1e-6)
    assert record["status"] == "convergenceCriteriaSatisfied"
    for var, vals in direct.values.items():
        assert set(record["values"][var]) == set(vals)  # same index keys as SolveResult


def test_exported_infeasible_script_says_so(tmp_path: Path) -> None:
    source = to_pyomo_script(example("staffing_infeasible.json"))
    proc, objective, record = run_script(source, tmp_path)
    assert proc.returncode == 1 and objective is None
    assert record["status"] == "provenInfeasible"


def test_exported_unbounded_script_prints_no_objective(tmp_path: Path) -> None:
    f = Formulation.from_dict({"variables": [{"name": "x"}, {"name": "y"}],
                               "objective": {"sense": "max", "expression": "x"},
                               "constraints": [{"name": "c", "expression": "x == y"}]})
    proc, objective, record = run_script(to_pyomo_script(f), tmp_path)
    assert proc.returncode == 1 and objective is None  # it printed "objective: 1.0"
    assert record == {"status": "unbounded", "objective": None, "values": {}}


AWKWARD = {
    "name": "awkward names",
    "sets": [{"name": "m", "elements": ["a b", "c"]},
             {"name": "A", "elements": [["p", 1], ["q", 2]]}],
    "parameters": [{"name": "model", "value": 2},
                   {"name": "json", "index": ["m"], "values": [1, 3]},
                   {"name": "w", "index": ["A"], "values": [2, 5]}],
    "variables": [{"name": "name", "index": ["m"], "ub": 10},
                  {"name": "class_", "lb": None, "ub": 4},
                  {"name": "z", "index": ["A"], "domain": "integer", "ub": 9},
                  {"name": "class", "index": ["A"]}],  # unused; a Python keyword
    "objective": {"sense": "max", "expression":
                  "sum(json[i] * name[i] for i in m) + class_ - sum(w[a] * z[a] for a in A)"},
    "constraints": [
        {"name": "display", "expression": "sum(name[i] for i in m) <= 4 * model"},
        {"name": "each", "for_each": "i in m if i != 'c'", "expression": "name[i] <= 5"},
        {"name": "pairs", "for_each": "a in A", "expression": "z[a] > w[a]"},
        {"name": "tuples", "for_each": "(k, n) in A if n >= 2", "expression": "z[k, n] >= n"},
        {"name": "empty", "for_each": "i in m",
         "expression": "sum(name[j] for j in m if j == 'zz') <= 1"},
    ],
}

FEATURES = {
    "name": "features",
    "sets": [{"name": "T", "elements": [1, 2, 3, 4]}],
    "parameters": [{"name": "d", "index": ["T"], "values": [3, 1, 4, 1]}],
    "variables": [{"name": "x", "index": ["T"], "lb": -10, "ub": 10},
                  {"name": "k", "domain": "integer", "ub": 20},
                  {"name": "b", "domain": "binary"}],
    "objective": {"sense": "min", "expression":
                  "sum(abs(x[t] - d[t]) for t in T) + max(x[1], x[2]) + k + b + sqrt(4) "
                  "+ exp(x[4] / 10)"},
    "constraints": [
        {"name": "ramp", "for_each": "t in T if t > 1", "expression": "x[t] - x[t - 1] <= 2"},
        {"name": "strict", "expression": "k > 2 * b + 1"},
        {"name": "halves", "expression": "0.5 * k < 4.5"},
        {"name": "chain", "expression": "x[1] <= x[2] <= x[3]"},
        {"name": "window", "for_each": "t in range(1, 3)", "expression": "-5 <= x[t] <= 5"},
        {"name": "floor", "expression": "min(x[3], x[4]) >= 0.5"},
        {"name": "pick", "expression": "b >= 1"},
    ],
}


@pytest.mark.parametrize("spec", [AWKWARD, FEATURES], ids=["awkward", "features"])
def test_scripts_of_tricky_formulations_match_the_direct_solve(spec: dict[str, Any],
                                                               tmp_path: Path) -> None:
    f = Formulation.from_dict(spec)
    direct = solve_formulation(f)
    assert direct.status is Status.OPTIMAL
    proc, objective, record = run_script(to_pyomo_script(f), tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert objective == pytest.approx(direct.objective, rel=1e-6, abs=1e-6)
    assert set(record["values"]) == {v["name"] for v in spec["variables"]}


def test_script_steps_a_strict_row_with_rational_coefficients(tmp_path: Path) -> None:
    f = Formulation.from_dict({
        "variables": [{"name": "x", "domain": "integer", "ub": 100}],
        "objective": {"sense": "max", "expression": "x"},
        "constraints": [{"name": "s", "expression": "x / 2 < 2"},
                        {"name": "r", "expression": "0.25 < x / 4 < 9"},
                        {"name": "mixed", "expression": "0 <= x < 3.5"}]})
    source = to_pyomo_script(f)
    assert "2 - 0.5" in source and "0.25 + 0.25" in source
    proc, objective, _ = run_script(source, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert objective == pytest.approx(3) == solve_formulation(f).objective


def test_script_reads_like_the_formulation() -> None:
    source = to_pyomo_script(example("transport.json"), data_dir=EXAMPLES)
    assert "model = pyo.ConcreteModel(" in source
    assert "def supply_limit_rule(m, i):" in source
    assert "return sum(m.ship[i, j] for j in m.J) <= m.supply[i]" in source
    assert "model.cost = pyo.Param(model.I, model.J, initialize=cost, within=pyo.Reals)" in source
    assert "model.meet_demand = pyo.Constraint(model.J, rule=" in source
    assert 'if __name__ == "__main__":' in source
    csv_source = to_pyomo_script(example("diet_csv.json"), data_dir=EXAMPLES)
    assert '("beans", "calories"): 110' in csv_source  # CSV data embedded as literals


@pytest.mark.parametrize("name", LINEAR)
@pytest.mark.parametrize("writer", [write_lp, write_mps], ids=["lp", "mps"])
def test_lp_and_mps_files_read_back_to_the_same_optimum(name: str, writer: Any,
                                                        tmp_path: Path) -> None:
    f = example(name)
    direct = solve_formulation(f, data_dir=EXAMPLES)
    path = writer(f, tmp_path / f"out.{'lp' if writer is write_lp else 'mps'}",
                  data_dir=EXAMPLES)
    back = solve_mps(path)
    assert back.status is Status.OPTIMAL
    assert back.objective == pytest.approx(direct.objective, rel=1e-6)


def test_lp_file_keeps_readable_names(tmp_path: Path) -> None:
    text = write_lp(example("production_lp.json"), tmp_path / "m.lp").read_text()
    assert "capacity(plant3)" in text and "make(doors)" in text and "max" in text


def test_any_output_name_gets_the_requested_format(tmp_path: Path) -> None:
    path = write_mps(example("transport.json"), tmp_path / "sub" / "model.txt")
    assert path.read_text().lstrip().startswith("NAME") and "ROWS" in path.read_text()


def mps_name(path: Path) -> list[str]:
    """The words of an MPS file's NAME line."""
    first = path.read_text().splitlines()[0].split()
    assert first[0] == "NAME"
    return first[1:]


def test_an_mps_file_is_named_after_its_formulation_and_reads_back(tmp_path: Path) -> None:
    f = example("production_lp.json")  # "name": "glass_production"
    direct = solve_formulation(f, data_dir=EXAMPLES)
    path = write_mps(f, tmp_path / "out.mps")
    assert mps_name(path) == ["glass_production"]  # the NAME line was blank
    back = solve_mps(path)
    assert back.status is Status.OPTIMAL
    assert back.objective == pytest.approx(direct.objective, rel=1e-6)
    # a name with blanks is one word (a free MPS reader takes the first word after NAME)
    spaced = f.model_copy(update={"name": "Glass plan: 2 plants "})
    path = write_mps(spaced, tmp_path / "spaced.mps")
    assert mps_name(path) == ["Glass_plan__2_plants"]
    assert solve_mps(path).objective == pytest.approx(direct.objective, rel=1e-6)


def test_an_unnamed_formulation_takes_the_file_name_or_optiform(tmp_path: Path) -> None:
    d = json.loads((EXAMPLES / "production_lp.json").read_text())
    del d["name"]  # the default "model" says nothing: the file speaks instead
    f = Formulation.from_dict(d)
    assert mps_name(write_mps(f, tmp_path / "wyndor glass.mps")) == ["wyndor_glass"]
    assert mps_name(write_mps(f, tmp_path / "...mps")) == ["optiform"]
    assert mps_name(write_mps(f, tmp_path / "x.mps", name="given")) == ["given"]


def test_lp_of_a_nonlinear_model_points_to_the_pyomo_export(tmp_path: Path) -> None:
    with pytest.raises(FormulationError, match="linear or quadratic") as info:
        write_lp(example("orders_minlp.json"), tmp_path / "x.lp")
    assert "pyomo" in (info.value.hint or "")


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.endswith(".json")))
def test_latex_and_markdown_name_every_constraint(name: str) -> None:
    f = example(name)
    tex = to_latex(f, data_dir=EXAMPLES)
    md = to_markdown(f, data_dir=EXAMPLES)
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert tex.count("{") == tex.count("}")
    for c in f.constraints:
        assert c.name.replace("_", r"\_") in tex
        assert f"`{c.name}`" in md
    assert r"\sum" in tex and r"\sum" in md


def test_rendering_of_expressions() -> None:
    tex = to_latex(example("inventory_for_each.json"), data_dir=EXAMPLES)
    assert r"\forall t \in T : t > 1" in tex
    assert r"\mathit{stock}_{t - 1}" in tex
    md = to_markdown(example("orders_minlp.json"))
    assert r"\frac{\mathit{holding}_{p} \cdot \mathit{annual\_demand}_{p}}" in md
    assert "| bolts | 10 |" in md  # small tables are shown
    diet = to_markdown(example("diet_csv.json"))  # CSV not at hand: described, not shown
    assert "data/nutrients.csv" in diet


def test_a_latex_table_row_opening_with_a_bracket_is_no_spacing_argument() -> None:
    from optiform.solvers.formulation import Formulation
    from optiform.solvers.render import to_latex

    f = Formulation.from_dict({
        "sets": [{"name": "S", "elements": ["a", "[z]"]}],
        "parameters": [{"name": "c", "index": ["S"], "values": {"a": 1, "[z]": 2}}],
        "variables": [{"name": "x", "index": ["S"]}],
        "objective": {"sense": "minimize", "expression": "sum(c[s] * x[s] for s in S)"}})
    text = to_latex(f)
    assert "\\\\\n{}[z]" in text and "\\\\\n[z]" not in text
