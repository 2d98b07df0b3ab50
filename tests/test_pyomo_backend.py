"""The general route: formulations built in Pyomo by the scalar evaluator, solved by SCIP
(pyomo.contrib.solver scip_direct) or HiGHS, checked against known optima and the fast path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from optiform.errors import FormulationError
from optiform.solvers.api import solve_formulation
from optiform.solvers.data import load_data
from optiform.solvers.formulation import Formulation
from optiform.solvers.pyomo_backend import (
    build_pyomo,
    solve_parsed_with_pyomo,
    status_map,
)
from optiform.solvers.result import Status
from optiform.solvers.validate import parse_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "formulations"
EXPECTED = json.loads((EXAMPLES / "expected.json").read_text())
LINEAR = ["production_lp.json", "trucks_milp.json", "transport.json",
          "inventory_for_each.json", "diet_csv.json"]


def example(name: str) -> Formulation:
    return Formulation.load(EXAMPLES / name)


def pyomo_solve(f: Formulation, solver: str = "scip", data_dir: Path | None = EXAMPLES,
                **kw: Any):
    return solve_parsed_with_pyomo(parse_model(f), load_data(f, data_dir), solver=solver, **kw)


def form(**kw: Any) -> Formulation:
    return Formulation.from_dict(kw)


def test_minlp_on_scip_reaches_the_enumerated_optimum() -> None:
    r = pyomo_solve(example("orders_minlp.json"))
    assert r.status is Status.OPTIMAL and r.solver == "scip"
    assert r.objective == pytest.approx(EXPECTED["orders_minlp.json"]["objective"], rel=1e-6)
    assert r.values["orders"] == {"bolts": 2.0, "nuts": 3.0, "washers": 3.0}
    assert r.stats["kind"] == "MINLP" and r.stats["integer"] == 3
    assert "SCIP Status" in r.log_tail and "optimal" in r.log_tail


def test_auto_route_sends_the_minlp_to_scip() -> None:
    r = solve_formulation(example("orders_minlp.json"))
    assert r.solver == "scip" and r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(245.0, rel=1e-9)


@pytest.mark.parametrize("name", LINEAR)
def test_scalar_evaluator_agrees_with_the_vectorized_compiler(name: str) -> None:
    """The same formulation through Pyomo+HiGHS and the array fast path: same optimum, same
    value keys (so the two routes are interchangeable for callers)."""
    f = example(name)
    fast = solve_formulation(f, data_dir=EXAMPLES)
    general = pyomo_solve(f, solver="highs")
    assert general.status is Status.OPTIMAL
    assert general.objective == pytest.approx(fast.objective, rel=1e-9, abs=1e-9)
    assert general.objective == pytest.approx(EXPECTED[name]["objective"], rel=1e-6)
    for var, vals in fast.values.items():
        assert set(general.values[var]) == set(vals)


def test_lp_duals_on_the_pyomo_highs_route_match_the_fast_path() -> None:
    f = example("production_lp.json")
    fast = solve_formulation(f)
    general = pyomo_solve(f, solver="highs")
    for key, dual in fast.duals["capacity"].items():
        assert general.duals["capacity"][key] == pytest.approx(dual, abs=1e-9)


def test_convex_qp_agrees_between_highs_and_scip() -> None:
    f = example("portfolio_qp.json")
    highs = solve_formulation(f, solver="highs")
    scip = solve_formulation(f, solver="scip")
    direct_pyomo_highs = pyomo_solve(f, solver="highs")
    exact = EXPECTED["portfolio_qp.json"]["objective"]
    assert highs.solver == "highs" and scip.solver == "scip"
    assert highs.objective == pytest.approx(exact, rel=1e-7)
    assert direct_pyomo_highs.objective == pytest.approx(exact, rel=1e-7)
    # SCIP stops within its feasibility tolerance (1e-6 absolute on the objective cut)
    assert scip.status is Status.OPTIMAL
    assert scip.objective == pytest.approx(exact, rel=1e-4, abs=2e-6)
    for asset, w in highs.values["w"].items():
        assert scip.values["w"][asset] == pytest.approx(w, abs=1e-2)


def test_components_are_named_after_constraints_and_indexed_by_bindings() -> None:
    f = example("inventory_for_each.json")
    model = build_pyomo(parse_model(f), load_data(f))
    assert list(model.balance.keys()) == [2, 3, 4]  # for_each t in T if t > 1
    assert list(model.first_month.keys()) == [1]
    assert sorted(model.make.keys()) == [1, 2, 3, 4]
    assert model.objective.is_minimizing()


def test_status_map_covers_every_termination_condition() -> None:
    from pyomo.contrib.solver.common.results import TerminationCondition

    mapping = status_map()
    assert set(mapping) == set(TerminationCondition)
    assert mapping[TerminationCondition.provenInfeasible] is Status.INFEASIBLE
    assert mapping[TerminationCondition.maxTimeLimit] is Status.TIME_LIMIT


def test_nonlinear_infeasible_reports_the_conflicting_constraints() -> None:
    f = form(sets=[{"name": "I", "elements": [1, 2, 3]}],
             variables=[{"name": "x", "index": ["I"], "ub": 10}],
             objective={"sense": "min", "expression": "sum(exp(x[i]) for i in I)"},
             constraints=[
                 {"name": "big", "for_each": "i in I if i >= 2", "expression": "x[i] >= 8"},
                 {"name": "total", "expression": "sum(x[i] for i in I) <= 12"},
                 {"name": "loose", "expression": "x[1] <= 5"}])
    r = pyomo_solve(f)
    assert r.status is Status.INFEASIBLE and r.objective is None
    assert set(r.conflict) == {"big[2]", "big[3]", "total"}
    assert "infeasible" in r.message


def test_nonlinear_unbounded_is_reported_as_unbounded() -> None:
    f = form(variables=[{"name": "x", "lb": None}, {"name": "y"}],
             objective={"sense": "max", "expression": "x + y"},
             constraints=[{"name": "parabola", "expression": "x**2 - y >= 0"}])
    r = pyomo_solve(f)
    assert r.status in (Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED)
    assert r.objective is None and r.values == {}


def test_abs_min_max_and_strict_inequalities() -> None:
    f = form(variables=[{"name": "x", "lb": None, "ub": 10}, {"name": "y", "lb": -5, "ub": 5},
                        {"name": "k", "domain": "integer", "ub": 10}],
             objective={"sense": "min", "expression": "abs(x - 3) + max(y, 1 - y) + k"},
             constraints=[{"name": "at_least", "expression": "k > 2"},
                          {"name": "window", "expression": "1 <= x + y <= 4"},
                          {"name": "floor", "expression": "min(x, y) >= -1"},
                          {"name": "loose", "expression": "x < 100"}])
    r = pyomo_solve(f)
    assert r.status is Status.OPTIMAL
    # k > 2 on an integer shifts to k >= 3; |x - 3| + max(y, 1 - y) is least at x=3, y=0.5
    assert r.values["k"] == 3.0
    assert r.objective == pytest.approx(3.5, abs=1e-6)
    assert any("'loose'" in w and "non-strict" in w for w in r.warnings)
    assert not any("'at_least'" in w for w in r.warnings)


def test_a_chain_with_variables_at_the_ends_is_split() -> None:
    f = form(variables=[{"name": "x"}, {"name": "y"}],
             objective={"sense": "max", "expression": "x + y"},
             constraints=[{"name": "chain", "expression": "x <= y <= 3"}])
    model = build_pyomo(parse_model(f), load_data(f))
    assert model.component("chain") is not None and model.component("chain_2") is not None
    assert pyomo_solve(f).objective == pytest.approx(6.0)


def test_constant_rows_are_skipped_or_make_the_model_infeasible() -> None:
    ok = form(sets=[{"name": "I", "elements": [1, 2]}], variables=[{"name": "x", "ub": 4}],
              objective={"sense": "max", "expression": "x"},
              constraints=[{"name": "size", "expression": "len(I) >= 2"}])
    assert pyomo_solve(ok).objective == pytest.approx(4.0)
    bad = form(sets=[{"name": "I", "elements": [1, 2]}], variables=[{"name": "x", "ub": 4}],
               objective={"sense": "max", "expression": "exp(x)"},
               constraints=[{"name": "size", "expression": "len(I) >= 5"}])
    r = pyomo_solve(bad)
    assert r.status is Status.INFEASIBLE
    assert r.conflict == ["size"]


def test_an_index_outside_its_set_is_a_formulation_error() -> None:
    f = form(sets=[{"name": "T", "elements": [1, 2, 3]}],
             variables=[{"name": "s", "index": ["T"]}],
             objective={"sense": "min", "expression": "sum(exp(s[t]) for t in T)"},
             constraints=[{"name": "link", "for_each": "t in T",
                           "expression": "s[t] >= s[t - 1]"}])
    with pytest.raises(FormulationError, match=r"link.*not an element of set 'T'.*t=1"):
        pyomo_solve(f)


def test_highs_refuses_a_nonlinear_model_with_an_error_status() -> None:
    r = pyomo_solve(example("orders_minlp.json"), solver="highs")
    assert r.status is Status.ERROR and "MINLP" in r.message


def test_solver_output_stays_off_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    pyomo_solve(example("orders_minlp.json"))
    pyomo_solve(example("portfolio_qp.json"), solver="highs")
    assert capfd.readouterr().out == ""


def test_a_time_limit_stops_scip_with_the_time_limit_status() -> None:
    r = pyomo_solve(example("orders_minlp.json"), time_limit=0.0)
    assert r.status is Status.TIME_LIMIT
    assert "maxTimeLimit" in r.message


def test_a_denominator_that_can_be_0_is_named_beside_an_infeasible_verdict() -> None:
    d = {"variables": [{"name": "x", "ub": 10}, {"name": "y", "ub": 10}],
         "objective": {"sense": "maximize", "expression": "x / y"},
         "constraints": [{"name": "c", "expression": "x + y <= 8"}]}
    r = solve_formulation(Formulation.from_dict(d))
    assert any("the denominator y can be 0" in w for w in r.warnings)
    if r.status is Status.INFEASIBLE:  # x = y = 1 is feasible: say what may be behind it
        assert "a denominator can be 0" in r.message
    d["variables"][1]["lb"] = 1
    r = solve_formulation(Formulation.from_dict(d))
    assert r.objective == pytest.approx(7, rel=1e-6)
    assert not any("can be 0" in w for w in r.warnings)

