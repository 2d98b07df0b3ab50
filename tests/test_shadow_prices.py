"""The line of shadow prices speaks per unit of the number as the user wrote it: each price
checked against solving again with that number + 1, on every route that gives duals; a
constraint whose number is not one written number is left out of the line."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from optiform.agent.activity import binding_constraints
from optiform.agent.shadow_prices import shadow_price_line
from optiform.agent.written_numbers import number_sign
from optiform.solvers.formulation import Formulation

ROUTES = ["highs", "pdhg", "pyomo-highs"]  # pyomo-highs: the general route, solved by HiGHS


@pytest.fixture
def solve(solve_on):
    """``solve(d, route)``: the optimal objective and the line of shadow prices, as an answer
    gives them."""
    def run(d: dict[str, Any], route: str) -> tuple[float, str]:
        res = solve_on(d, route)
        assert res.objective is not None
        f = Formulation.from_dict(d)
        return res.objective, shadow_price_line(f, res, binding_constraints(f, res.values))

    return run


def prices(line: str) -> dict[str, float]:
    """'Shadow prices: a +1; b -2 (...)' -> {'a': 1.0, 'b': -2.0} (scalar constraints)."""
    body = line.removeprefix("Shadow prices: ").split(" (the objective's")[0]
    return {name: float(price) for name, price in (part.split() for part in body.split("; "))}


def linked(sense: str, limit: str, n: float) -> dict[str, Any]:
    """x tied to y by ``limit`` with the number n (also as the scalar parameter 'margin'),
    y at most 30 and at least 10: maximizing 2x - y, x = y + n binds at y = 30 (one more
    unit of n earns 2); minimizing x + 3y, x = y + n binds at y = 10 (it costs 1)."""
    objective = "2*x - y" if sense == "maximize" else "x + 3*y"
    return {"parameters": [{"name": "margin", "value": n}],
            "variables": [{"name": "x", "ub": 1000}, {"name": "y", "ub": 30}],
            "objective": {"sense": sense, "expression": objective},
            "constraints": [{"name": "limit", "expression": limit.format(n=n)},
                            {"name": "some_y", "expression": "y >= 10"}]}


# the number n written in ways whose dual is per unit of n, or of -n, or of a 0 beside n
FORMS = [
    ("maximize", "x - {n} <= y"),  # the dual: per unit of the -n added to x
    ("maximize", "-{n} + x <= y"),
    ("maximize", "x - margin <= y"),  # a scalar parameter the formulation gives
    ("maximize", "x <= y + {n}"),
    ("maximize", "x - y <= {n}"),
    ("maximize", "x - y - {n} <= 0"),
    ("maximize", "{n} - x + y >= 0"),  # the dual: per unit of the 0
    ("maximize", "0 <= y + {n} - x"),
    ("maximize", "x - {n} == y"),
    ("maximize", "{n} - x == -y"),
    ("minimize", "x - {n} >= y"),
    ("minimize", "y + {n} <= x"),
    ("minimize", "y <= x - margin"),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("sense", "limit"), FORMS, ids=[f"{s[:3]} {f}" for s, f in FORMS])
def test_a_price_is_per_unit_of_the_number_as_written(route: str, sense: str,
                                                      limit: str, solve) -> None:
    base, line = solve(linked(sense, limit, 10), route)
    more, _ = solve(linked(sense, limit, 11), route)
    step = more - base
    assert abs(step) > 0.5  # the limit binds
    assert prices(line)["limit"] == pytest.approx(step, abs=2e-3), line


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("limit", ["x - margin <= y", "margin + x <= y"])
def test_a_number_on_the_left_that_is_0_is_priced_by_its_sign_too(route: str,
                                                                 limit: str, solve) -> None:
    # at 0 as at any value the solvers take the left side as the number: it is written there
    base, line = solve(linked("maximize", limit, 0), route)
    more, _ = solve(linked("maximize", limit, 1), route)
    step = more - base
    assert abs(step) > 0.5 and prices(line)["limit"] == pytest.approx(step, abs=2e-3), line


@pytest.mark.parametrize("route", ["highs", "pyomo-highs"])
def test_a_constraint_without_one_written_number_is_left_out(route: str, solve) -> None:
    d = linked("maximize", "x + 5 <= y + {n}", 10)  # two numbers: which one is the limit?
    d["variables"][1] = {"name": "y"}  # its bound a row, priced, so that there is a line
    d["constraints"].append({"name": "cap", "expression": "y <= 30"})
    _, line = solve(d, route)
    assert prices(line) == {"cap": 1.0}, line



def indexed_prices(line: str, name: str) -> dict[str, float]:
    """'Shadow prices: limit (a -2, b -3) (...)' -> {'a': -2.0, 'b': -3.0}."""
    body = line.removeprefix(f"Shadow prices: {name} (").split(") (the objective's")[0]
    return {key: float(price) for key, price in (part.split() for part in body.split(", "))}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("values", [[0, 0], [0, 5]], ids=["0 everywhere", "0 at a"])
def test_a_tables_number_on_the_left_is_priced_whatever_its_values(
        route: str, values: list[float], gap_model, solve) -> None:
    base, line = solve(gap_model(values), route)
    found = indexed_prices(line, "limit")
    for at, key in enumerate(["a", "b"]):
        more, _ = solve(gap_model([v + (k == at) for k, v in enumerate(values)]), route)
        assert found[key] == pytest.approx(more - base, abs=2e-3), line


@pytest.mark.parametrize(("expression", "sign"), [
    ("x + y <= 100", 1.0), ("100 >= x + y", 1.0), ("x + 5 <= 10", 1.0),
    ("x <= cap - used", 1.0),  # a side without variables is the number as a whole
    ("x - y >= 0", 1.0),  # the 0 is the only number
    ("x - 5 >= 0", 1.0), ("5 - x <= 0", -1.0), ("0 >= 5 - x", -1.0),
    ("x - (y - 5) <= 0", -1.0), ("x - 5 - a >= 0", None), ("2*(x - 5) >= 0", None),
    ("x <= y + 5", 1.0), ("x <= y - 5", -1.0), ("5 + y >= x", 1.0), ("x - 5 <= y", -1.0),
    ("x - 0 <= y", -1.0), ("x + 0 <= y", 1.0),  # a 0 on the left is the number as any
    ("x - k <= y", -1.0), ("x - d[i] <= y", -1.0),  # whatever their values
    ("x + 2 <= y + 5", None), ("x <= y + 2 + 3", None),
    ("y <= 2*x", None), ("2*(x + 1) - 5 <= y", None),  # a number inside 2*(x + 1)
    ("(1 + r)*x <= y + 5", 1.0), ("x[t - 1] - 5 <= y", -1.0),  # a coefficient, a subscript
])
def test_which_number_and_sign(expression: str, sign: float | None) -> None:
    body = ast.parse(expression, mode="eval").body
    assert isinstance(body, ast.Compare)
    assert number_sign(body.left, body.comparators[0], {"x", "y"}) == sign


@pytest.mark.parametrize("route", ["highs", "pdhg"])
def test_an_equality_without_a_number_counts_toward_a_degenerate_optimum(route: str, solve) -> None:
    # x = 4, y = 6: cap, xmax and gap bind, and t == x + y holds: four rows, three variables
    d = {"variables": [{"name": "x"}, {"name": "y"}, {"name": "t"}],
         "objective": {"sense": "maximize", "expression": "2*x + y"},
         "constraints": [{"name": "total", "expression": "t == x + y"},
                         {"name": "cap", "expression": "x + y <= 10"},
                         {"name": "xmax", "expression": "x <= 4"},
                         {"name": "gap", "expression": "y >= x + 2"}]}
    assert solve(d, route)[1] == ""
