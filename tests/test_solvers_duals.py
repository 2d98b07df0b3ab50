"""What a dual means, on every route that gives one: the change of the optimal objective when
the constraint's number is raised by 1 (SolveResult.duals), checked against solving again with
the number + 1, for <=, >= and == rows of minimizations and maximizations, with the number on
either side of the comparison."""

from __future__ import annotations

from typing import Any

import pytest

from optiform.solvers.api import solve_formulation
from optiform.solvers.result import Status

ROUTES = ["highs", "pdhg", "pyomo-highs"]  # pyomo-highs: the general route, solved by HiGHS


def two_goods(sense: str, objective: str, limit: str, n: float) -> dict[str, Any]:
    """x and y, at most 100 of both together, x at most 60; ``limit`` with the number n (and,
    where it is not on x + y, at least 90 of both, so that a minimization makes some)."""
    d: dict[str, Any] = {
        "variables": [{"name": "x"}, {"name": "y"}],
        "objective": {"sense": sense, "expression": objective},
        "constraints": [{"name": "limit", "expression": limit.format(n=n)},
                        {"name": "room", "expression": "x + y <= 100"},
                        {"name": "cap", "expression": "x <= 60"}]}
    if "x + y" not in limit:
        d["constraints"].append({"name": "need", "expression": "x + y >= 90"})
    return d


# (sense, objective, the constraint with its number {n}, n, the dual by hand)
CASES = [
    # maximize: a <= limit that binds is worth its price; a >= one costs
    ("maximize", "3*x + 2*y", "x + y <= {n}", 80, 2.0),
    ("maximize", "3*x + 2*y", "{n} >= x + y", 80, 2.0),
    ("maximize", "5*x + y", "y >= {n}", 50, -4.0),
    ("maximize", "5*x + y", "{n} <= y", 50, -4.0),
    # minimize: a >= requirement that binds costs; a cap on the cheap good saves when raised
    ("minimize", "2*x + 3*y", "x + y >= {n}", 80, 3.0),
    ("minimize", "2*x + 3*y", "{n} <= x + y", 80, 3.0),
    ("minimize", "2*x + 3*y", "x <= {n}", 40, -1.0),
    ("minimize", "2*x + 3*y", "{n} >= x", 40, -1.0),
    # equalities, both senses, the number on either side
    ("maximize", "3*x + 2*y", "x + y == {n}", 80, 2.0),
    ("minimize", "2*x + 3*y", "{n} == x + y", 80, 3.0),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("sense", "objective", "limit", "n", "by_hand"), CASES,
                         ids=[f"{c[0][:3]} {c[2]}" for c in CASES])
def test_a_dual_is_the_objective_change_per_unit_of_the_number(
        route: str, sense: str, objective: str, limit: str, n: float, by_hand: float,
        solve_on) -> None:
    base = solve_on(two_goods(sense, objective, limit, n), route)
    more = solve_on(two_goods(sense, objective, limit, n + 1), route)
    step = more.objective - base.objective
    assert step == pytest.approx(by_hand, abs=2e-3)  # the case is what it says
    assert base.duals["limit"] == pytest.approx(by_hand, abs=1e-4)


def linked(sense: str, limit: str, n: float) -> dict[str, Any]:
    """Variables on both sides: x tied to y, y at most 30."""
    objective = "2*x - y" if sense == "maximize" else "x + 3*y"
    return {"variables": [{"name": "x", "ub": 1000}, {"name": "y", "ub": 30}],
            "objective": {"sense": sense, "expression": objective},
            "constraints": [{"name": "limit", "expression": limit.format(n=n)},
                            {"name": "some_y", "expression": "y >= 10"}]}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("sense", "limit"), [
    ("maximize", "x <= y + {n}"), ("maximize", "{n} + y >= x"), ("maximize", "x == y + {n}"),
    ("maximize", "{n} + y == x"), ("maximize", "x + 5 <= y + {n}"), ("maximize", "x + {n} <= y"),
    ("minimize", "x >= y + {n}"), ("minimize", "y + {n} <= x"), ("minimize", "{n} + y == x"),
])
def test_with_variables_on_both_sides_the_dual_is_per_unit_of_the_number(
        route: str, sense: str, limit: str, solve_on) -> None:
    base = solve_on(linked(sense, limit, 10), route)
    more = solve_on(linked(sense, limit, 11), route)
    step = more.objective - base.objective
    assert abs(step) > 0.5  # the limit binds
    assert base.duals["limit"] == pytest.approx(step, abs=2e-3)


TRANSPORT = {
    "sets": [{"name": "S", "elements": ["s1", "s2"]}, {"name": "D", "elements": ["d1", "d2"]}],
    "parameters": [{"name": "supply", "index": ["S"], "values": [30, 40]},
                   {"name": "demand", "index": ["D"], "values": [25, 35]},
                   {"name": "cost", "index": ["S", "D"], "values": [[2, 4], [3, 1]]}],
    "variables": [{"name": "ship", "index": ["S", "D"]}],
    "objective": {"sense": "minimize",
                  "expression": "sum(cost[s, d] * ship[s, d] for s in S for d in D)"},
    "constraints": [
        {"name": "out", "for_each": "s in S", "expression": "sum(ship[s, d] for d in D) "
                                                            "<= supply[s]"},
        {"name": "meet", "for_each": "d in D", "expression": "demand[d] <= sum(ship[s, d] for "
                                                             "s in S)"},
    ],
}


def _more(param: str, at: int) -> dict[str, Any]:
    params = [dict(p) for p in TRANSPORT["parameters"]]
    for p in params:
        if p["name"] == param:
            p["values"] = [v + (k == at) for k, v in enumerate(p["values"])]
    return {**TRANSPORT, "parameters": params}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("constraint", "param", "key", "at"), [
    ("meet", "demand", "d1", 0), ("meet", "demand", "d2", 1), ("out", "supply", "s2", 1)])
def test_indexed_duals_are_per_unit_of_each_rows_number(route: str, constraint: str,
                                                        param: str, key: str, at: int,
                                                        solve_on) -> None:
    base = solve_on(TRANSPORT, route)
    step = solve_on(_more(param, at), route).objective - base.objective
    assert base.duals[constraint][key] == pytest.approx(step, abs=2e-3)


@pytest.mark.parametrize("route", ROUTES)
def test_a_range_is_priced_by_the_end_that_binds(route: str, solve_on) -> None:
    def ranged(lo: float, hi: float) -> dict[str, Any]:
        return {"variables": [{"name": "x", "ub": 100}, {"name": "y", "ub": 100}],
                "objective": {"sense": "maximize", "expression": "x + 2*y"},
                "constraints": [{"name": "band", "expression": f"{lo} <= x + y <= {hi}"}]}

    base = solve_on(ranged(10, 50), route)
    assert base.duals["band"] == pytest.approx(
        solve_on(ranged(10, 51), route).objective - base.objective, abs=2e-3)  # 2: hi binds


def test_scip_gives_no_duals() -> None:
    res = solve_formulation(two_goods("maximize", "3*x + 2*y", "x + y <= {n}", 80),
                            solver="scip")
    assert res.status is Status.OPTIMAL and res.solver == "scip"
    assert res.duals == {}


def test_a_chain_is_priced_by_its_first_comparison_on_both_routes(solve_on) -> None:
    d = {"variables": [{"name": "x", "ub": 1000}, {"name": "y", "ub": 30}],
         "objective": {"sense": "maximize", "expression": "2*x - y"},
         "constraints": [{"name": "chain", "expression": "x <= y + 10 <= 100"}]}
    fast, general = solve_on(d, "highs"), solve_on(d, "pyomo-highs")
    assert fast.duals["chain"] == pytest.approx(2.0)  # x <= y + 10 binds; y + 10 <= 100 not
    assert general.duals["chain"] == pytest.approx(2.0)


# The number's side is read from the text, never from the values: below, the value-based
# choice took the other side (a parameter 0 everywhere, a constant inside 2*(x + 1), a table
# of 0s) and gave each dual the wrong sign.

def written(limit: str, parameters: list[dict[str, Any]], objective: str = "2*x - y"
            ) -> dict[str, Any]:
    """x tied to y by ``limit``, y between 10 and 30, maximizing ``objective``."""
    return {"parameters": parameters,
            "variables": [{"name": "x", "ub": 1000}, {"name": "y", "ub": 30}],
            "objective": {"sense": "maximize", "expression": objective},
            "constraints": [{"name": "limit", "expression": limit},
                            {"name": "some_y", "expression": "y >= 10"}]}


@pytest.mark.parametrize("route", ROUTES)
def test_a_parameter_0_on_the_left_is_the_number(route: str, solve_on) -> None:
    # x + extra <= y: the number is extra, added on the left; one more unit of it costs 2
    def model(extra: float) -> dict[str, Any]:
        return written("x + extra <= y", [{"name": "extra", "value": extra}])

    base = solve_on(model(0), route)
    step = solve_on(model(1), route).objective - base.objective
    assert step == pytest.approx(-2.0, abs=2e-3)
    assert base.duals["limit"] == pytest.approx(step, abs=2e-3)


@pytest.mark.parametrize("route", ROUTES)
def test_a_number_inside_a_term_is_not_the_sides_number(route: str, solve_on) -> None:
    # 2*(x + 1) <= y: neither side adds a number to its variables, so the number is the right
    # side's (a 0 not written); one more unit there earns 1.5
    base = solve_on(written("2*(x + 1) <= y", [], "3*x - y"), route)
    more = solve_on(written("2*(x + 1) <= y + 1", [], "3*x - y"), route)
    step = more.objective - base.objective
    assert step == pytest.approx(1.5, abs=2e-3)
    assert base.duals["limit"] == pytest.approx(step, abs=2e-3)



@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("values", [[0, 0], [0, 5]], ids=["0 everywhere", "0 at a"])
def test_a_tables_number_on_the_left_is_each_rows_number(route: str, values: list[float],
                                                         gap_model, solve_on) -> None:
    # each row's number is the -gap[i] added to x[i]: raising it by 1 is gap[i] - 1
    base = solve_on(gap_model(values), route)
    for at, key in enumerate(["a", "b"]):
        more = solve_on(gap_model([v - (k == at) for k, v in enumerate(values)]), route)
        step = more.objective - base.objective
        assert step == pytest.approx(-(2.0, 3.0)[at], abs=2e-3)
        assert base.duals["limit"][key] == pytest.approx(step, abs=2e-3)


@pytest.mark.parametrize("route", ROUTES)
def test_a_sum_empty_at_a_row_keeps_the_written_side(route: str, solve_on) -> None:
    # at i = 1 the right side's sum is empty, a bare 0 to Pyomo, but the number written is
    # the -cap[i] on the left at every row: raising it by 1 (cap[i] - 1) costs 1
    def model(cap: list[float]) -> dict[str, Any]:
        return {"sets": [{"name": "I", "elements": [1, 2]}],
                "parameters": [{"name": "cap", "index": ["I"], "values": cap}],
                "variables": [{"name": "x", "index": ["I"], "ub": 30},
                              {"name": "y", "index": ["I"], "ub": 1000}],
                "objective": {"sense": "maximize",
                              "expression": "sum(y[i] for i in I) - 0.5*x[1]"},
                "constraints": [{"name": "limit", "for_each": "i in I",
                                 "expression": "y[i] - cap[i] <= sum(x[j] for j in I "
                                               "if j < i)"}]}

    base = solve_on(model([5, 7]), route)
    for at, key in enumerate(["1", "2"]):
        more = solve_on(model([5 - (at == 0), 7 - (at == 1)]), route)
        step = more.objective - base.objective
        assert step == pytest.approx(-1.0, abs=2e-3)
        assert base.duals["limit"][key] == pytest.approx(step, abs=2e-3)
