"""Hand-written formulations through solve_formulation, checked against values computed by hand
or with scipy (linprog / milp) on the same data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from optiform.errors import DataError, FormulationError
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult, Status
from optiform.solvers.samples import transport


def solve(d: dict[str, Any], **kw: Any) -> SolveResult:
    return solve_formulation(Formulation.from_dict(d), **kw)


def error(d: dict[str, Any], **kw: Any) -> str:
    with pytest.raises(FormulationError) as info:
        solve(d, **kw)
    return str(info.value)


WYNDOR = {  # max 3x + 5y: optimum x=2, y=6, z=36; duals a=0, b=3/2, c=1 (by hand)
    "variables": [{"name": "x"}, {"name": "y"}],
    "objective": {"sense": "maximize", "expression": "3*x + 5*y"},
    "constraints": [
        {"name": "a", "expression": "x <= 4"},
        {"name": "b", "expression": "12 >= 2*y"},
        {"name": "c", "expression": "3*x + 2*y <= 18"},
    ],
}


def test_lp_objective_values_and_duals_by_hand() -> None:
    res = solve(WYNDOR)
    assert res.status is Status.OPTIMAL and res.ok
    assert res.objective == pytest.approx(36.0)
    assert res.values == {"x": pytest.approx(2.0), "y": pytest.approx(6.0)}
    # a dual is the change of the objective per unit of the constant side (12 >= 2y as 2y <= 12)
    assert res.duals["a"] == pytest.approx(0.0, abs=1e-9)
    assert res.duals["b"] == pytest.approx(1.5)
    assert res.duals["c"] == pytest.approx(1.0)
    assert res.stats == {"variables": 2, "constraints": 3, "nonzeros": 4, "integer": 0,
                         "kind": "LP"}
    assert res.solver == "highs" and res.solve_time >= 0 and res.build_time > 0
    assert res.log_tail and "Optimal" in res.log_tail


def test_lp_duals_of_a_minimization_have_the_opposite_sign() -> None:
    d = {**WYNDOR, "objective": {"sense": "minimize", "expression": "-3*x - 5*y"}}
    res = solve(d)
    assert res.objective == pytest.approx(-36.0)
    assert res.duals["b"] == pytest.approx(-1.5) and res.duals["c"] == pytest.approx(-1.0)


def test_milp_knapsack_matches_scipy_milp() -> None:
    value = [10, 13, 7, 8, 9, 4]
    weight = [5, 6, 3, 4, 5, 2]
    d = {
        "sets": [{"name": "Items", "elements": [f"i{k}" for k in range(6)]}],
        "parameters": [{"name": "v", "index": ["Items"], "values": value},
                       {"name": "w", "index": ["Items"], "values": weight},
                       {"name": "W", "value": 14}],
        "variables": [{"name": "take", "index": ["Items"], "domain": "binary"},
                      {"name": "extra", "domain": "integer", "ub": 2}],
        "objective": {"sense": "max", "expression": "sum(v[i] * take[i] for i in Items) + extra"},
        "constraints": [{"name": "cap", "expression": "sum(w[i]*take[i] for i in Items) + "
                                                      "3*extra <= W"}],
    }
    res = solve(d)
    ref = milp(-np.array([*value, 1.0]), integrality=np.ones(7),
               bounds=Bounds(np.zeros(7), np.array([1] * 6 + [2])),
               constraints=LinearConstraint(np.array([[*weight, 3]]), -np.inf, 14))
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(-ref.fun)
    assert res.stats["kind"] == "MILP" and res.stats["integer"] == 7
    assert res.duals == {}  # no duals for integer models
    assert all(v in (0.0, 1.0) for v in res.values["take"].values())


def _transport(costs: Any) -> dict[str, Any]:
    return transport({"s1": 20, "s2": 30}, [10, 25, 15], costs)


COST = [[2, 4, 5], [3, 1, 7]]


def _transport_reference() -> float:
    c = np.array(COST, dtype=float).ravel()
    a_ub = np.zeros((5, 6))
    a_ub[0, 0:3] = a_ub[1, 3:6] = 1.0
    for j in range(3):
        a_ub[2 + j, [j, 3 + j]] = -1.0
    b_ub = np.array([20, 30, -10, -25, -15], dtype=float)
    return float(linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None)).fun)


@pytest.mark.parametrize("costs", [
    COST,
    {"s1": {"d1": 2, "d2": 4, "d3": 5}, "s2": {"d1": 3, "d2": 1, "d3": 7}},
    {"s1,d1": 2, "s1,d2": 4, "s1,d3": 5, "s2,d1": 3, "s2,d2": 1, "s2,d3": 7},
    [2, 4, 5, 3, 1, 7],
], ids=["nested-lists", "nested-dicts", "comma-keys", "flat-list"])
def test_indexed_sums_match_linprog(costs: Any) -> None:
    res = solve(_transport(costs))
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(_transport_reference())
    x = res.values["x"]
    assert set(x) == {"s1,d1", "s1,d2", "s1,d3", "s2,d1", "s2,d2", "s2,d3"}  # keyed "a,b"
    assert res.value("x", "s2", "d2") == x["s2,d2"]
    assert sum(x[f"s1,{j}"] for j in ("d1", "d2", "d3")) <= 20 + 1e-9
    assert set(res.duals["meet"]) == {"d1", "d2", "d3"}
    assert res.duals["ship"]["s2"] == pytest.approx(0.0, abs=1e-9)  # s2 has spare supply


def test_for_each_with_a_condition_matches_linprog() -> None:
    n = 4
    w = np.arange(1, n * n + 1, dtype=float).reshape(n, n) % 7
    d = {
        "sets": [{"name": "I", "elements": list(range(1, n + 1))}],
        "parameters": [{"name": "w", "index": ["I", "I"], "values": w.tolist()}],
        "variables": [{"name": "x", "index": ["I", "I"], "ub": 1}],
        "objective": {"sense": "max",
                      "expression": "sum(w[i, j] * x[i, j] for i in I for j in I if i != j)"},
        "constraints": [
            {"name": "row", "for_each": "i in I", "expression": "sum(x[i, j] for j in I) <= 1"},
            {"name": "col", "for_each": "j in I", "expression": "sum(x[i, j] for i in I) <= 1"},
            {"name": "pair", "for_each": "i in I, j in I if i < j",
             "expression": "x[i, j] + x[j, i] <= 1"},
        ],
    }
    res = solve(d)
    c = -(w * (1 - np.eye(n))).ravel()
    rows = []
    for i in range(n):
        r = np.zeros((n, n))
        r[i, :] = 1
        rows.append(r.ravel())
        r = np.zeros((n, n))
        r[:, i] = 1
        rows.append(r.ravel())
    for i in range(n):
        for j in range(i + 1, n):
            r = np.zeros((n, n))
            r[i, j] = r[j, i] = 1
            rows.append(r.ravel())
    ref = linprog(c, A_ub=np.array(rows), b_ub=np.ones(len(rows)), bounds=(0, 1))
    assert res.objective == pytest.approx(-ref.fun)
    assert res.stats["constraints"] == n + n + n * (n - 1) // 2
    assert set(res.duals["pair"]) == {f"{i},{j}" for i in range(1, 5) for j in range(i + 1, 5)}


ARCS = [["s", "a"], ["s", "b"], ["a", "b"], ["a", "t"], ["b", "t"]]


def _flow(objective: str, balance: str, cap: str) -> dict[str, Any]:
    return {
        "sets": [{"name": "N", "elements": ["s", "a", "b", "t"]},
                 {"name": "A", "elements": ARCS}],
        "parameters": [
            {"name": "cap", "index": ["A"], "values": {"s,a": 4, "s,b": 2, "a,b": 3, "a,t": 1,
                                                       "b,t": 5}},
            {"name": "cost", "index": ["A"], "values": [1, 5, 1, 1, 1]},
            {"name": "supply", "index": ["N"], "values": {"s": 5, "a": 0, "b": 0, "t": -5}},
        ],
        "variables": [{"name": "f", "index": ["A"]}],
        "objective": {"sense": "minimize", "expression": objective},
        "constraints": [
            {"name": "capacity", "for_each": "(i, j) in A", "expression": cap},
            {"name": "balance", "for_each": "n in N", "expression": balance},
        ],
    }


@pytest.mark.parametrize(("objective", "balance", "cap"), [
    ("sum(cost[i, j] * f[i, j] for (i, j) in A)",
     "sum(f[i, j] for (i, j) in A if i == n) - sum(f[i, j] for (i, j) in A if j == n) "
     "== supply[n]",
     "f[i, j] <= cap[i, j]"),
    ("sum(cost[a] * f[a] for a in A)",
     "sum(f[i, j] for (i, j) in A if i == n) == supply[n] + sum(f[k, m] for (k, m) in A "
     "if m == n)",
     "f[(i, j)] <= cap[(i, j)]"),
])
def test_tuple_set_flow_conservation_matches_linprog(objective: str, balance: str,
                                                     cap: str) -> None:
    res = solve(_flow(objective, balance, cap))
    nodes = ["s", "a", "b", "t"]
    a_eq = np.zeros((4, 5))
    for k, (i, j) in enumerate(ARCS):
        a_eq[nodes.index(i), k] += 1
        a_eq[nodes.index(j), k] -= 1
    ref = linprog([1, 5, 1, 1, 1], A_eq=a_eq, b_eq=[5, 0, 0, -5],
                  bounds=list(zip([0] * 5, [4, 2, 3, 1, 5], strict=True)))
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(ref.fun) == pytest.approx(17.0)
    assert set(res.values["f"]) == {"s,a", "s,b", "a,b", "a,t", "b,t"}
    assert set(res.duals["capacity"]) == set(res.values["f"])


def test_time_indexed_inventory_with_previous_period() -> None:
    demand, price = [3, 5, 2, 6], [1, 2, 3, 1]
    d = {
        "sets": [{"name": "T", "elements": [1, 2, 3, 4]}],
        "parameters": [{"name": "d", "index": ["T"], "values": demand},
                       {"name": "c", "index": ["T"], "values": price},
                       {"name": "h", "value": 0.5}, {"name": "cap", "value": 4}],
        "variables": [{"name": "make", "index": ["T"], "ub": 4},
                      {"name": "stock", "index": ["T"]}],
        "objective": {"sense": "min",
                      "expression": "sum(c[t] * make[t] + h * stock[t] for t in T)"},
        "constraints": [
            {"name": "flow", "for_each": "t in T if t > 1",
             "expression": "stock[t-1] + make[t] = d[t] + stock[t]"},
            {"name": "first", "expression": "make[1] == d[1] + stock[1]"},
        ],
    }
    res = solve(d)
    # variables make1..4, stock1..4; balance: stock[t-1] + make[t] - stock[t] = d[t]
    a_eq = np.zeros((4, 8))
    for t in range(4):
        a_eq[t, t] = 1
        a_eq[t, 4 + t] = -1
        if t:
            a_eq[t, 4 + t - 1] = 1
    ref = linprog([*price, 0.5, 0.5, 0.5, 0.5], A_eq=a_eq, b_eq=demand,
                  bounds=[(0, 4)] * 4 + [(0, None)] * 4)
    assert res.objective == pytest.approx(ref.fun) == pytest.approx(29.5)
    assert set(res.duals["flow"]) == {"2", "3", "4"}
    d["constraints"][0]["for_each"] = "t in T"
    msg = error(d)
    assert "constraint 'flow'" in msg and "t - 1 is not an element of set 'T'" in msg
    assert "when t=1" in msg and "if t > 1" in msg


def test_range_len_and_sum_shorthand() -> None:
    d = {
        "sets": [{"name": "K", "elements": ["a", "b", "c"]},
                 {"name": "G", "elements": [["a", 1], ["b", 2]]}],
        "parameters": [{"name": "w", "index": ["K", "K"], "values": [[1, 2, 3]] * 3}],
        "variables": [{"name": "x", "index": ["K"], "ub": 2},
                      {"name": "z", "index": ["K", "K"], "ub": 1}],
        "objective": {"sense": "max",
                      "expression": "sum(x) + sum(z) + len(K) + len(G) + sum(w)"},
        "constraints": [
            {"name": "r", "for_each": "n in range(1, len(K))", "expression": "n * x['a'] <= 3"},
            {"name": "s", "expression": "sum(z[k, m] for k in K for m in K) <= 4"},
            {"name": "q", "expression": "sum(x[k] for k in K if k != 'c') <= 3"},
        ],
    }
    res = solve(d)
    # x['a'] <= 1.5 (n = 2), x_a + x_b <= 3, x_c <= 2; z: 4; constants 3 + 2 + 18
    assert res.objective == pytest.approx(3 + 2 + 4 + 3 + 2 + 18)
    assert set(res.duals["r"]) == {"1", "2"}


def test_csv_table_parameter_and_set_from_a_column(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text(
        "product,profit,hours\nA,3,1\nB,5,2\nC,4,1.5\n\n", encoding="utf-8")
    (tmp_path / "lanes.csv").write_text(
        "from,to,cost\ns1,d1,2\ns1,d2,4\ns2,d1,3\ns2,d2,1\ns9,d1,99\n", encoding="utf-8")
    d = {
        "sets": [{"name": "P", "source": {"file": "products.csv", "column": "product"}},
                 {"name": "I", "elements": ["s1", "s2"]},
                 {"name": "J", "source": {"file": "lanes.csv", "column": "to"}}],
        "parameters": [
            {"name": "profit", "index": ["P"],
             "source": {"file": "products.csv", "column": "profit", "key": ["product"]}},
            {"name": "hours", "index": ["P"],
             "source": {"file": "products.csv", "column": "hours", "key": ["product"]}},
            {"name": "cost", "index": ["I", "J"],
             "source": {"file": "lanes.csv", "column": "cost", "key": ["from", "to"]}},
        ],
        "variables": [{"name": "x", "index": ["P"], "ub": 10},
                      {"name": "s", "index": ["I", "J"]}],
        "objective": {"sense": "max", "expression":
                      "sum(profit[p] * x[p] for p in P) - "
                      "sum(cost[i, j] * s[i, j] for i in I for j in J)"},
        "constraints": [
            {"name": "labor", "expression": "sum(hours[p] * x[p] for p in P) <= 20"},
            {"name": "ship", "for_each": "j in J", "expression": "sum(s[i, j] for i in I) >= 1"},
        ],
    }
    res = solve(d, data_dir=tmp_path)
    ref = linprog([-3, -5, -4], A_ub=[[1, 2, 1.5]], b_ub=[20], bounds=(0, 10))
    assert res.objective == pytest.approx(-ref.fun - (2 + 1))
    assert set(res.values["x"]) == {"A", "B", "C"} and set(res.values["s"]) == {
        "s1,d1", "s1,d2", "s2,d1", "s2,d2"}
    d["parameters"][0]["source"]["column"] = "proft"
    with pytest.raises(DataError, match=r"column 'proft' not in products\.csv"):
        solve(d, data_dir=tmp_path)
    with pytest.raises(DataError, match="not found"):
        solve(d, data_dir=tmp_path / "nowhere")


@pytest.mark.parametrize(("rows", "error"), [
    ("A,3\nB,5\nA,4\n", r"rows 2 and 4 both give 'profit' for A \(3 and 4\)"),
    ("A,3\n\nB,nan\n", r"row 4, column 'profit': 'nan' is not a finite number"),
    ("A,3\nB,inf\n", r"row 3, column 'profit': 'inf' is not a finite number"),
    ("A,3\nB,1e400\n", r"'1e400' is not a finite number"),
    ("A,3\nB\n", r"row 3: 1 cells but 2 columns"),
    # a nameless element would be solved as one ("acres[''] = 100")
    ("A,3\n,400\n", r"row 3, column 'product': the cell is empty, but set 'P' takes"),
])
def test_a_table_cell_a_model_cannot_use_is_named(tmp_path: Path, rows: str,
                                                   error: str) -> None:
    (tmp_path / "products.csv").write_text("product,profit\n" + rows, encoding="utf-8")
    d = {"sets": [{"name": "P", "source": {"file": "products.csv", "column": "product"}}],
         "parameters": [{"name": "profit", "index": ["P"], "source": {
             "file": "products.csv", "column": "profit", "key": ["product"]}}],
         "variables": [{"name": "x", "index": ["P"], "ub": 1}],
         "objective": {"sense": "max", "expression": "sum(profit[p] * x[p] for p in P)"}}
    with pytest.raises(DataError, match=error):
        solve(d, data_dir=tmp_path)
    (tmp_path / "products.csv").write_text("product,profit\nA,3\nB,5\nA,3\n")
    assert solve(d, data_dir=tmp_path).objective == pytest.approx(8)  # a repeated equal row


def test_a_parameter_row_with_an_empty_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text("product,profit\nA,3\n ,400\n", encoding="utf-8")
    d = {"sets": [{"name": "P", "elements": ["A"]}],
         "parameters": [{"name": "profit", "index": ["P"], "source": {
             "file": "products.csv", "column": "profit", "key": ["product"]}}],
         "variables": [{"name": "x", "index": ["P"], "ub": 1}],
         "objective": {"sense": "max", "expression": "sum(profit[p] * x[p] for p in P)"}}
    with pytest.raises(DataError, match=r"row 3, column 'product': the cell is empty, but "
                                        r"parameter 'profit'"):
        solve(d, data_dir=tmp_path)


def test_table_codes_with_leading_zeros_stay_codes(tmp_path: Path) -> None:
    (tmp_path / "sites.csv").write_text("zip,cap\n02134,5\n2134,7\n01,1\n1,2\n")
    d = {"sets": [{"name": "S", "source": {"file": "sites.csv", "column": "zip"}}],
         "parameters": [{"name": "cap", "index": ["S"], "source": {
             "file": "sites.csv", "column": "cap", "key": ["zip"]}}],
         "variables": [{"name": "x", "index": ["S"]}],
         "objective": {"sense": "max", "expression": "sum(x[s] for s in S) + x['02134']"},
         "constraints": [{"name": "c", "for_each": "s in S", "expression": "x[s] <= cap[s]"}]}
    res = solve(d, data_dir=tmp_path)  # "02134" and 2134 are two sites, "01" and 1 too
    assert res.values["x"] == {"02134": 5, "2134": 7, "01": 1, "1": 2}
    assert res.objective == pytest.approx(15 + 5)


def test_zero_padded_keys_still_find_number_elements(tmp_path: Path) -> None:
    (tmp_path / "demand.csv").write_text("month,demand\n01,5\n02,7\n")
    d = {"sets": [{"name": "M", "elements": [1, 2]}],
         "parameters": [{"name": "dem", "index": ["M"], "source": {
             "file": "demand.csv", "column": "demand", "key": ["month"]}}],
         "variables": [{"name": "x", "index": ["M"]}],
         "objective": {"sense": "min", "expression": "sum(x[m] for m in M)"},
         "constraints": [{"name": "c", "for_each": "m in M", "expression": "x[m] >= dem[m]"}]}
    assert solve(d, data_dir=tmp_path).objective == pytest.approx(12)


def test_rows_with_a_trailing_comma_are_read(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("product,profit\nA,3,\nB,5,\n")  # as the preview reads it
    d = {"sets": [{"name": "P", "source": {"file": "p.csv", "column": "product"}}],
         "parameters": [{"name": "profit", "index": ["P"], "source": {
             "file": "p.csv", "column": "profit", "key": ["product"]}}],
         "variables": [{"name": "x", "index": ["P"], "ub": 1}],
         "objective": {"sense": "max", "expression": "sum(profit[p] * x[p] for p in P)"}}
    assert solve(d, data_dir=tmp_path).objective == pytest.approx(8)


def test_non_finite_inline_values_are_refused() -> None:
    d = {"sets": [{"name": "P", "elements": ["A"]}],
         "parameters": [{"name": "c", "index": ["P"], "values": {"A": float("inf")}}],
         "variables": [{"name": "x", "index": ["P"], "ub": 1}],
         "objective": {"sense": "max", "expression": "sum(c[p] * x[p] for p in P)"}}
    with pytest.raises(FormulationError, match="not a finite number"):
        solve(d)


@pytest.mark.parametrize(("sense", "expression", "best"), [
    ("max", "x*y", 16), ("min", "-x*y", -16), ("min", "x**2 - 3*x*y + y**2", -16)])
def test_a_non_convex_qp_goes_to_scip_not_to_a_saddle_point_on_highs(
        sense: str, expression: str, best: float) -> None:
    d = {"variables": [{"name": "x", "ub": 10}, {"name": "y", "ub": 10}],
         "objective": {"sense": sense, "expression": expression},
         "constraints": [{"name": "c", "expression": "x + y <= 8"}]}
    res = solve(d)  # HiGHS took max x*y and answered 0 at x = y = 0, "optimal"
    assert res.status is Status.OPTIMAL and res.solver == "scip"
    assert res.objective == pytest.approx(best, abs=1e-5)
    assert any("not" in w and "HiGHS solves only convex QPs" in w for w in res.warnings)
    refused = solve(d, solver="highs")
    assert refused.status is Status.ERROR and "HiGHS cannot solve this model" in refused.message


def test_convexity_of_quadratic_objectives() -> None:
    from optiform.solvers.convexity import quadratic_is_convex

    def q(*terms: tuple[float, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        coef, a, b = zip(*terms, strict=True)
        return np.array(coef, float), np.array(a), np.array(b)

    assert quadratic_is_convex(q((1, 0, 0), (1, 1, 1), (1, 0, 1)), "minimize")  # x²+y²+xy
    assert not quadratic_is_convex(q((1, 0, 0), (1, 1, 1), (3, 0, 1)), "minimize")
    assert quadratic_is_convex(q((-1, 0, 0), (2, 0, 1), (-1, 1, 1)), "maximize")  # -(x-y)²
    assert not quadratic_is_convex(q((1, 0, 1)), "maximize")
    assert not quadratic_is_convex(q((1, 0, 1)), "minimize")
    assert quadratic_is_convex(q((1, 7, 7), (1, 7, 7)), "minimize")  # repeated terms add up


def test_convex_qp_on_highs() -> None:
    d = {
        "variables": [{"name": "x"}, {"name": "y"}],
        "objective": {"sense": "min", "expression": "(x - 1)^2 + (y - 2)**2 + x*y"},
    }
    res = solve(d)  # unconstrained minimum at x=0, y=2 (gradient zero there): value 1
    assert res.status is Status.OPTIMAL and res.solver == "highs"
    assert res.stats["kind"] == "QP"
    assert res.objective == pytest.approx(1.0, abs=1e-6)
    assert res.values["x"] == pytest.approx(0.0, abs=1e-5)
    assert res.values["y"] == pytest.approx(2.0, abs=1e-5)


def test_maximized_concave_qp_has_duals_in_the_objective_sense() -> None:
    d = {
        "sets": [{"name": "I", "elements": [1, 2]}],
        "parameters": [{"name": "target", "index": ["I"], "values": [1, 2]}],
        "variables": [{"name": "x", "index": ["I"], "lb": None}],
        "objective": {"sense": "max", "expression": "-sum((x[i] - target[i])**2 for i in I)"},
        "constraints": [{"name": "c", "expression": "x[1] + x[2] <= 2"}],
    }
    res = solve(d)  # projection of (1, 2) on x1 + x2 <= 2: (0.5, 1.5), value -0.5
    assert res.objective == pytest.approx(-0.5, abs=1e-6)
    assert res.values["x"]["1"] == pytest.approx(0.5, abs=1e-5)
    # one more unit of the right-hand side improves the objective at rate 2 * 0.5 = 1
    assert res.duals["c"] == pytest.approx(1.0, abs=1e-5)


def test_infeasible_names_the_conflicting_constraints() -> None:
    d = {
        "variables": [{"name": "x"}, {"name": "y"}],
        "objective": {"sense": "max", "expression": "x + y"},
        "constraints": [{"name": "a", "expression": "x >= 5"},
                        {"name": "b", "expression": "y <= 1"},
                        {"name": "c", "expression": "x + y <= 3"}],
    }
    res = solve(d)
    assert res.status is Status.INFEASIBLE and not res.ok
    assert res.objective is None and res.values == {}
    assert sorted(res.conflict) == ["a", "c"]


def test_infeasible_indexed_conflict_names_the_rows() -> None:
    d = {
        "sets": [{"name": "M", "elements": ["a", "b", "c"]}],
        "parameters": [{"name": "need", "index": ["M"], "values": {"a": 1, "b": 9, "c": 2}}],
        "variables": [{"name": "x", "index": ["M"], "ub": 5}],
        "objective": {"sense": "min", "expression": "sum(x)"},
        "constraints": [{"name": "demand", "for_each": "m in M",
                         "expression": "x[m] >= need[m]"}],
    }
    res = solve(d)
    assert res.status is Status.INFEASIBLE
    assert res.conflict == ["demand[b]"]


def test_unbounded_lp_and_milp() -> None:
    d = {
        "variables": [{"name": "x"}, {"name": "y"}],
        "objective": {"sense": "max", "expression": "x + y"},
        "constraints": [{"name": "a", "expression": "x - y <= 5"}],
    }
    assert solve(d).status is Status.UNBOUNDED
    d["variables"][0]["domain"] = "integer"
    res = solve(d)
    assert res.status is Status.UNBOUNDED and res.objective is None


def test_strict_inequalities() -> None:
    ints = {
        "variables": [{"name": "x", "domain": "integer"}, {"name": "y", "domain": "integer"}],
        "objective": {"sense": "min", "expression": "x + y"},
        "constraints": [{"name": "s", "expression": "x > y"},
                        {"name": "t", "expression": "y > 1.5"},
                        {"name": "u", "expression": "2 < x + y < 100"}],
    }
    res = solve(ints)  # y >= 2, x >= y + 1 = 3
    assert res.objective == pytest.approx(5.0) and res.values == {"x": 3.0, "y": 2.0}
    assert res.warnings == []
    cont = {**ints, "variables": [{"name": "x"}, {"name": "y"}]}
    res = solve(cont)  # treated as x >= y, y >= 1.5
    assert res.objective == pytest.approx(3.0)
    assert any("strict inequality treated as non-strict" in w for w in res.warnings)


@pytest.mark.parametrize(("expression", "best"), [
    ("0.5*x < 2", 3), ("x/2 < 2", 3), ("0.1*x < 0.35", 3), ("x/3 + 0.25*y < 2", 5),
    ("0.5 < 0.5*x + 0 * y < 2.5", 4), ("0 <= x < 3", 2), ("0 < x <= 3", 3),
    ("3 > x >= 0", 2), ("0.6 <= x/5 < 0.8", 3), ("0.001*x < 0.0994", 99),
    ("0.5*x < 2.123456789", 4)])
@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_strict_rows_of_integers_with_rational_coefficients(expression: str, best: float,
                                                            solver: str) -> None:
    d = {"variables": [{"name": "x", "domain": "integer", "ub": 100},
                       {"name": "y", "domain": "integer", "ub": 0}],
         "objective": {"sense": "max", "expression": "x"},
         "constraints": [{"name": "s", "expression": expression}]}
    res = solve(d, solver=solver)  # 0.5*x < 2 was solved as 0.5*x <= 2: x = 4 broke it
    assert res.status is Status.OPTIMAL and res.objective == pytest.approx(best)
    assert res.warnings == []


def test_a_large_strict_bound_off_the_grid_keeps_its_integer() -> None:
    d = {"variables": [{"name": "x", "domain": "integer", "ub": 10**9}],
         "objective": {"sense": "max", "expression": "x"},
         "constraints": [{"name": "s", "expression": "x < 500000000.4"}]}
    assert solve(d).objective == pytest.approx(500000000)  # it was snapped to 499999999


def test_chained_comparison_is_one_ranged_row() -> None:
    d = {
        "variables": [{"name": "x"}, {"name": "y"}],
        "objective": {"sense": "max", "expression": "x + 2*y"},
        "constraints": [{"name": "both", "expression": "0 <= x + y <= 10"},
                        {"name": "gap", "expression": "10 >= x - y >= -2"}],
    }
    res = solve(d)  # y <= x + 2, x + y <= 10: x=4, y=6
    assert res.objective == pytest.approx(16.0)
    assert res.stats["constraints"] == 2
    assert res.duals == {"both": pytest.approx(1.5), "gap": pytest.approx(-0.5)}


def test_functions_of_constants() -> None:
    d = {
        "sets": [{"name": "I", "elements": [1, 2, 3]}],
        "parameters": [{"name": "p", "index": ["I"], "values": [4, -9, 16]}],
        "variables": [{"name": "x"}],
        "objective": {"sense": "max", "expression":
                      "x + min(1, 2) + max(3, 4, 2) + abs(-2) + exp(0) + log(1) "
                      "+ sum(sqrt(abs(p[i])) for i in I) + max(p[i] for i in I) "
                      "+ min(p[i] for i in I if i != 2)"},
        "constraints": [{"name": "c", "expression": "x <= sqrt(16) + 2^3"}],
    }
    res = solve(d)
    assert res.objective == pytest.approx(12 + 1 + 4 + 2 + 1 + 0 + (2 + 3 + 4) + 16 + 4)
    assert res.values["x"] == pytest.approx(12.0)


def test_missing_parameter_values_are_clear_errors() -> None:
    d = {
        "sets": [{"name": "I", "elements": ["a", "b"]}],
        "parameters": [{"name": "p", "index": ["I"], "values": {"a": 1}}],
        "variables": [{"name": "x", "index": ["I"]}],
        "objective": {"sense": "max", "expression": "sum(x[i] for i in I)"},
        "constraints": [{"name": "c", "for_each": "i in I", "expression": "x[i] <= p[i]"}],
    }
    msg = error(d)
    assert "constraint 'c'" in msg and "p[i] has no value" in msg and "when i='b'" in msg
    d["constraints"][0]["for_each"] = "i in I if i != 'b'"
    d["constraints"].append({"name": "d", "expression": "x['b'] <= 1"})
    assert solve(d).objective == pytest.approx(2.0)  # the missing value is never used
    d["objective"]["expression"] = "sum(p[i] * x[i] for i in I)"
    msg = error(d)
    assert msg.startswith("objective: p[i] has no value")


def test_out_of_set_subscripts_name_the_binding() -> None:
    d = {
        "sets": [{"name": "I", "elements": ["a", "b"]}, {"name": "A", "elements": [["a", "b"]]}],
        "parameters": [{"name": "nxt", "index": ["I"], "values": {"a": "b", "b": "c"}}],
        "variables": [{"name": "x", "index": ["I"]}, {"name": "f", "index": ["A"]}],
        "objective": {"sense": "max", "expression": "sum(x)"},
        "constraints": [{"name": "c", "expression": "x['z'] <= 1"}],
    }
    msg = error(d)
    assert "parameter 'nxt'" in msg and "not a number" in msg
    d["parameters"] = []
    msg = error(d)
    assert "'z' is not an element of set 'I'" in msg and "constraint 'c'" in msg
    d["constraints"] = [{"name": "c", "for_each": "i in I, j in I",
                         "expression": "f[i, j] <= 1"}]
    msg = error(d)
    assert "(i, j) is not an element of set 'A'" in msg and "when i='a', j='a'" in msg


def test_integer_strict_inequality_with_parameters_and_loops() -> None:
    d = {
        "sets": [{"name": "T", "elements": [1, 2, 3]}],
        "variables": [{"name": "n", "index": ["T"], "domain": "integer", "ub": 10}],
        "objective": {"sense": "max", "expression": "sum(n)"},
        "constraints": [{"name": "lt", "for_each": "t in T", "expression": "n[t] < 2 * t"}],
    }
    res = solve(d)  # n[t] <= 2t - 1: 1 + 3 + 5
    assert res.objective == pytest.approx(9.0)
    assert res.values["n"] == {"1": 1.0, "2": 3.0, "3": 5.0}


@pytest.mark.parametrize(("head", "rows"), [
    ("(i, j) in A, t in T if t > 1", 2),
    ("i, j in A, t in T", 4),
    ("t in T, (i, j) in A if i == 'a'", 2),
    ("a in A, t in T if t != 1", 2),
    ("for t in T, s in T if s < t", 1),
])
def test_for_each_heads_over_tuple_sets(head: str, rows: int) -> None:
    d = {
        "sets": [{"name": "A", "elements": [["a", "b"], ["b", "c"]]},
                 {"name": "T", "elements": [1, 2]}],
        "variables": [{"name": "y", "index": ["A", "T"], "ub": 1}],
        "objective": {"sense": "max", "expression": "sum(y)"},
        "constraints": [{"name": "c", "for_each": head, "expression": "y['a', 'b', 1] <= 1"}],
    }
    assert solve(d).stats["constraints"] == rows


def test_solve_formulation_takes_a_dict_or_json_and_checks_its_limits() -> None:
    from optiform.errors import InputError

    d = {"variables": [{"name": "x", "ub": 3}], "objective": {"sense": "max", "expression": "x"}}
    assert solve_formulation(d).objective == pytest.approx(3)
    assert solve_formulation(json.dumps(d)).objective == pytest.approx(3)
    with pytest.raises(InputError, match="a formulation is a Formulation, a dict or JSON text"):
        solve_formulation(None)  # type: ignore[arg-type]
    for limit in (-1, None, float("nan")):
        with pytest.raises(InputError, match="time_limit must be more than 0"):
            solve_formulation(d, time_limit=limit)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="mip_gap must be 0 or more"):
        solve_formulation(d, mip_gap=-0.5)


def test_a_division_by_zero_gets_a_hint_about_the_zero_not_about_missing_values() -> None:
    d = {"sets": [{"name": "I", "elements": [1, 2]}],
         "parameters": [{"name": "d", "index": ["I"], "values": [2, 0]}],
         "variables": [{"name": "x", "index": ["I"], "ub": 3}],
         "objective": {"sense": "max", "expression": "sum(x[i] / d[i] for i in I)"}}
    with pytest.raises(FormulationError, match="division by zero") as err:
        solve(d)
    assert "if d[i] > 0" in (err.value.hint or "") and "missing" not in (err.value.hint or "")
    d["constraints"] = [{"name": "c", "for_each": "i in I", "expression": "x[i] / d[i] <= 1"}]
    d["objective"]["expression"] = "sum(x[i] for i in I)"
    with pytest.raises(FormulationError, match="division by zero") as err:
        solve(d)
    assert "if d[i] > 0" in (err.value.hint or "")


@pytest.mark.parametrize(("file", "error"), [
    ("../secret.csv", "outside the tables folder"),
    ("/etc/passwd", "outside the tables folder"),
    ("link.csv", "outside the tables folder"),  # a link that leads out of the folder
    ("notes.txt", "not a CSV file"),
])
def test_a_source_reads_only_csv_files_inside_the_tables_folder(tmp_path: Path, file: str,
                                                                error: str) -> None:
    tables = tmp_path / "tables"
    tables.mkdir()
    (tmp_path / "secret.csv").write_text("password\nhunter2\n", encoding="utf-8")
    (tables / "link.csv").symlink_to(tmp_path / "secret.csv")
    (tables / "notes.txt").write_text("password\nhunter2\n", encoding="utf-8")
    d = {"sets": [{"name": "I", "source": {"file": file, "column": "password"}}],
         "variables": [{"name": "x", "index": ["I"], "ub": 1}],
         "objective": {"sense": "max", "expression": "sum(x[i] for i in I)"}}
    with pytest.raises(DataError, match=error) as err:
        solve(d, data_dir=tables)
    assert "hunter2" not in str(err.value)


def test_a_nested_subscript_reads_as_one_with_every_index() -> None:
    """p[i][j] is how Python (and the 1.5B model, 2026-12-06) indexes a table: p[i, j]."""
    def model(expr: str) -> dict:
        return {"sets": [{"name": "F", "elements": ["a", "b"]},
                         {"name": "N", "elements": ["protein", "fat"]}],
                "parameters": [{"name": "amount", "index": ["F", "N"],
                                "values": {"a,protein": 3, "a,fat": 1,
                                           "b,protein": 1, "b,fat": 2}},
                               {"name": "cost", "index": ["F"], "values": {"a": 2, "b": 1}}],
                "variables": [{"name": "x", "index": ["F"]}],
                "objective": {"sense": "min", "expression": "sum(cost[f] * x[f] for f in F)"},
                "constraints": [{"name": "need", "for_each": "n in N", "expression": expr}]}

    joined = solve(model("sum(amount[f, n] * x[f] for f in F) >= 6"))
    nested = solve(model("sum(amount[f][n] * x[f] for f in F) >= 6"))
    assert nested.status is Status.OPTIMAL and nested.objective == pytest.approx(joined.objective)
    quoted = solve(model("sum(amount[f]['protein'] * x[f] for f in F) >= 6"))
    assert quoted.status is Status.OPTIMAL


def test_a_missing_table_is_named_with_the_tables_there_and_no_folder_path(tmp_path: Path
                                                                          ) -> None:
    (tmp_path / "costs.csv").write_text("item,cost\nA,3\n", encoding="utf-8")
    (tmp_path / "plants.csv").write_text("plant\nP1\n", encoding="utf-8")
    d = {"sets": [{"name": "S", "source": {"file": "sites.csv", "column": "site"}}],
         "variables": [{"name": "x", "index": ["S"], "ub": 1}],
         "objective": {"sense": "max", "expression": "sum(x[s] for s in S)"}}
    with pytest.raises(DataError) as info:
        solve(d, data_dir=tmp_path)
    assert "'sites.csv' not found; the tables folder holds costs.csv, plants.csv" in str(
        info.value)
    assert "e.g. 'costs.csv'" in str(info.value) and "did you mean" not in str(info.value)
    assert str(tmp_path) not in str(info.value)


@pytest.mark.parametrize(("file", "meant"), [("costs.csv", "data/costs.csv"),
                                             ("data/cost.csv", "data/costs.csv"),
                                             ("../plants.csv", "plants.csv")])
def test_a_table_not_there_is_told_the_one_meant_in_words_for_any_reader(
        tmp_path: Path, file: str, meant: str) -> None:
    """The error reaches an LLM (the agent's repair feedback) and a person (solve, export,
    the Python API) alike: it names the folder's tables as a source names them, one of its
    folders' too, and says nothing of "the tables given" or of a command's options."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "costs.csv").write_text("item,cost\nA,3\n", encoding="utf-8")
    (tmp_path / "plants.csv").write_text("plant\nP1\n", encoding="utf-8")
    d = {"sets": [{"name": "S", "source": {"file": file, "column": "site"}}],
         "variables": [{"name": "x", "index": ["S"], "ub": 1}],
         "objective": {"sense": "max", "expression": "sum(x[s] for s in S)"}}
    with pytest.raises(DataError) as info:
        solve(d, data_dir=tmp_path)
    said = str(info.value)
    assert "the tables folder holds plants.csv, data/costs.csv" in said
    assert f"did you mean {meant!r}?" in info.value.hint
    assert "given" not in said and "--data-dir" not in said and str(tmp_path) not in said
    (tmp_path / "plants.csv").unlink()
    (tmp_path / "data" / "costs.csv").unlink()
    with pytest.raises(DataError) as info:
        solve(d, data_dir=tmp_path)
    assert "the tables folder holds no CSV file" in str(info.value)
    assert info.value.hint == ("put the CSV file into the tables folder, or give the values "
                               "in the model")


@pytest.mark.parametrize("solver", ["highs", "pdhg", "scip"])
def test_empty_sets_leave_constant_rows_that_decide_feasibility(tmp_path: Path,
                                                                solver: str) -> None:
    (tmp_path / "orders.csv").write_text("order,qty\n", encoding="utf-8")
    d = {"sets": [{"name": "O", "source": {"file": "orders.csv", "column": "order"}}],
         "parameters": [{"name": "q", "index": ["O"], "source": {
             "file": "orders.csv", "column": "qty", "key": ["order"]}}],
         "variables": [{"name": "s", "index": ["O"]}],
         "objective": {"sense": "minimize", "expression": "100 + sum(q[o]*s[o] for o in O)"},
         "constraints": [{"name": "vol", "expression": "sum(q[o]*s[o] for o in O) >= 10"}]}
    res = solve(d, data_dir=tmp_path, solver=solver)
    assert res.status is Status.INFEASIBLE  # not "optimal, 0": 0 >= 10 cannot hold
    d["constraints"][0]["expression"] = "sum(q[o]*s[o] for o in O) >= 0"
    res = solve(d, data_dir=tmp_path, solver=solver)
    assert res.status is Status.OPTIMAL and res.objective == pytest.approx(100.0)
    assert res.values == {"s": {}}


def test_a_missing_value_in_a_filter_is_an_error_unless_a_guard_decides() -> None:
    d = {"sets": [{"name": "T", "elements": [1, 2, 3]}],
         "parameters": [{"name": "p", "index": ["T"], "values": {"1": 5}},
                        {"name": "has", "index": ["T"], "values": {"1": 1, "2": 0, "3": 0}}],
         "variables": [{"name": "x", "index": ["T"]}],
         "objective": {"sense": "minimize", "expression": "sum(x[t] for t in T)"},
         "constraints": [{"name": "c", "for_each": "t in T if p[t] > 0",
                          "expression": "x[t] >= 1"}]}
    for solver in ("highs", "pdhg"):  # the rows of t = 2, 3 were silently dropped
        with pytest.raises(FormulationError, match=r"p\[t\] has no value, so the condition"):
            solve(d, solver=solver)
    d["constraints"][0]["for_each"] = "t in T if has[t] == 1 and p[t] > 0"
    assert solve(d, solver="highs").objective == pytest.approx(1.0)
    d["constraints"][0]["for_each"] = "t in T if not (has[t] == 0 or p[t] <= 0)"
    assert solve(d, solver="highs").objective == pytest.approx(1.0)
    d["constraints"][0]["for_each"] = "t in T if p[t] > 0 and has[t] == 1"
    for solver in ("highs", "scip"):  # left to right on both routes, as Python reads it
        with pytest.raises(FormulationError):
            solve(d, solver=solver)
    d["objective"]["expression"] = "sum(x[t] for t in T if p[t] >= 0)"
    with pytest.raises(FormulationError, match="cannot be decided"):
        solve(d, solver="highs")


def test_max_over_an_empty_set_is_named_not_a_crash() -> None:
    d = {"sets": [{"name": "I", "elements": []}],
         "parameters": [{"name": "p", "index": ["I"], "values": {}}],
         "variables": [{"name": "y"}],
         "objective": {"sense": "minimize", "expression": "y"},
         "constraints": [{"name": "c", "expression": "y >= max(p[i] for i in I)"}]}
    assert "max() over no elements" in error(d, solver="highs")


def test_numbers_solvers_read_as_infinite_and_nan_bounds_are_named() -> None:
    big = {"variables": [{"name": "x", "ub": 1}],
           "objective": {"sense": "maximize", "expression": "1e30*x"}}
    assert "beyond 1e20" in error(big, solver="highs")  # it was "optimal, objective inf"
    row = {"variables": [{"name": "x", "ub": 1}],
           "objective": {"sense": "maximize", "expression": "x"},
           "constraints": [{"name": "c", "expression": "1e25*x <= 3"}]}
    assert "beyond 1e20" in error(row, solver="highs")  # it was "HiGHS rejected the model"
    with pytest.raises(FormulationError, match="not NaN"):
        Formulation.from_dict({"variables": [{"name": "x", "lb": float("nan")}],
                               "objective": {"sense": "minimize", "expression": "x"}})


def test_a_quadratic_objective_over_integers_is_not_highs_work() -> None:
    d = {"variables": [{"name": "x", "domain": "integer", "lb": None}],
         "objective": {"sense": "minimize", "expression": "(x-0.4)**2"}}
    res = solve(d, solver="highs")
    assert res.status is Status.ERROR and res.unsuitable_solver  # exit 2, not 3
    auto = solve(d)
    assert auto.status is Status.OPTIMAL and auto.objective == pytest.approx(0.16)
    assert any("continuous variables only" in w for w in auto.warnings)


def test_a_variable_no_expression_uses_keeps_its_bounds_on_the_scip_route() -> None:
    d = {"variables": [{"name": "x"}, {"name": "y", "lb": 5}, {"name": "z", "lb": None,
                                                               "ub": -2}],
         "objective": {"sense": "minimize", "expression": "exp(x)"}}
    res = solve(d)
    assert res.values["y"] == 5.0 and res.values["z"] == -2.0  # y was reported as 0


def test_csv_cells_are_read_as_a_spreadsheet_writes_them(tmp_path: Path) -> None:
    d = {"sets": [{"name": "T", "elements": [1, 2]}],
         "parameters": [{"name": "p", "index": ["T"], "source": {
             "file": "p.csv", "column": "cost", "key": ["t"]}}],
         "variables": [{"name": "x", "index": ["T"], "ub": 1}],
         "objective": {"sense": "maximize", "expression": "sum(p[t] * x[t] for t in T)"}}
    (tmp_path / "p.csv").write_text("t,cost\n1,3\n2.0,4\n", encoding="utf-8")
    assert solve(d, data_dir=tmp_path).objective == pytest.approx(7.0)  # 2.0 is element 2
    (tmp_path / "p.csv").write_text("t,cost\n1,3\n2,1_000\n", encoding="utf-8")
    with pytest.raises(DataError, match="'1_000' is not a number"):
        solve(d, data_dir=tmp_path)
    (tmp_path / "p.csv").write_text("t,cost,cost\n1,3,9\n2,4,9\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"column 'cost' appears 2 times in p\.csv"):
        solve(d, data_dir=tmp_path)


def test_a_milp_infeasible_only_for_its_integers_blames_no_row() -> None:
    d = {"variables": [{"name": "x", "domain": "integer"}, {"name": "y", "domain": "integer"},
                       {"name": "b"}],
         "objective": {"sense": "minimize", "expression": "x+y+b"},
         "constraints": [{"name": "pairs", "expression": "2*x + 2*y == 3"},
                         {"name": "bmin", "expression": "b >= 1"},
                         {"name": "bmax", "expression": "b <= 2"}]}
    res = solve(d, solver="highs")
    assert res.status is Status.INFEASIBLE
    assert "bmin" not in res.conflict and "bmax" not in res.conflict  # they were all listed
    assert any("must be whole numbers" in w for w in res.warnings)
    both = {"variables": [{"name": "x", "domain": "integer"}],
            "objective": {"sense": "minimize", "expression": "x"},
            "constraints": [{"name": "lo", "expression": "x >= 5"},
                            {"name": "hi", "expression": "x <= 3"}]}
    assert solve(both, solver="highs").conflict == ["lo", "hi"]  # a true subset: kept


@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_elements_with_commas_keep_their_keys_apart(solver: str) -> None:
    d = {"sets": [{"name": "I", "elements": ["NY,NJ", "NY"]},
                  {"name": "J", "elements": ["PA", "NJ,PA"]}],
         "variables": [{"name": "x", "index": ["I", "J"], "ub": 1}],
         "objective": {"sense": "maximize", "expression": "sum(x[i,j] for i in I for j in J)"}}
    res = solve(d, solver=solver)
    assert sorted(res.values["x"]) == ['"NY,NJ","NJ,PA"', '"NY,NJ",PA', 'NY,"NJ,PA"', "NY,PA"]
    assert res.value("x", "NY,NJ", "PA") == 1.0 and res.value("x", "NY", "NJ,PA") == 1.0


def test_a_binding_constraint_over_an_element_with_a_comma_is_found() -> None:
    from optiform.agent.activity import constraint_rows

    d = {"sets": [{"name": "I", "elements": ["NY,NJ", "PA"]}],
         "variables": [{"name": "x", "index": ["I"]}],
         "objective": {"sense": "maximize", "expression": "sum(x[i] for i in I)"},
         "constraints": [{"name": "cap", "for_each": "i in I", "expression": "x[i] <= 5"}]}
    res = solve(d, solver="highs")
    rows = constraint_rows(Formulation.from_dict(d), res.values, None)
    assert {(r.key, r.lhs, r.binding) for r in rows} == {('"NY,NJ"', 5.0, True),
                                                          ("PA", 5.0, True)}


def test_log_or_sqrt_of_a_variable_that_may_leave_its_domain_is_warned() -> None:
    d = {"variables": [{"name": "x", "ub": 2}],
         "objective": {"sense": "minimize", "expression": "log(x)"}}
    res = solve(d)
    assert any("argument of log(x) can be 0 or less" in w for w in res.warnings)
    d["variables"][0]["lb"] = 0.5
    assert not any("can be 0 or less" in w for w in solve(d).warnings)
    d["variables"].append({"name": "y", "ub": 1})
    d["objective"]["expression"] = "y / log(x)"  # log(x) is 0 at x = 1: a zero denominator
    assert any("denominator log(x)" in w for w in solve(d).warnings)


def test_the_sandboxs_and_the_scripts_keys_are_the_solvers_keys() -> None:
    from optiform.solvers import sandbox_solve, script_text
    from optiform.solvers.values import element_text

    text = script_text.MAIN_TEXT
    script: dict[str, Any] = {}
    exec(text[text.index("def _part(e):"):text.index("def solution():")], script)
    for index in ("NY", "NY,NJ", 'say "hi"', ("NY,NJ", "PA"), (1, "a")):
        assert sandbox_solve._key(index) == element_text(index)
        parts = index if isinstance(index, tuple) else (index,)
        assert ",".join(map(script["_part"], parts)) == element_text(index)


def test_a_value_is_found_by_a_tuple_element() -> None:
    d = {"sets": [{"name": "A", "elements": [["a", "b"], ["c", "d"]]}],
         "variables": [{"name": "x", "index": ["A"], "ub": 2}],
         "objective": {"sense": "maximize", "expression": "sum(x[p] for p in A)"}}
    res = solve(d, solver="highs")
    assert res.value("x", ("a", "b")) == 2.0 and res.value("x", "c", "d") == 2.0


def _hard_knapsack() -> dict[str, Any]:
    import random

    rng = random.Random(1)
    items, dims = [f"i{k}" for k in range(150)], list(range(15))
    return {"sets": [{"name": "I", "elements": items}, {"name": "K", "elements": dims}],
            "parameters": [
                {"name": "w", "index": ["I", "K"],
                 "values": {f"{i},{k}": rng.randint(10, 99) for i in items for k in dims}},
                {"name": "v", "index": ["I"], "values": {i: rng.randint(10, 99) for i in items}}],
            "variables": [{"name": "x", "index": ["I"], "domain": "integer", "ub": 3}],
            "objective": {"sense": "maximize", "expression": "sum(v[i]*x[i] for i in I)"},
            "constraints": [{"name": "cap", "for_each": "k in K",
                             "expression": "sum(w[i,k]*x[i] for i in I) <= 3333.5"}]}


def _solve_cancelled_after(seconds: float, d: dict[str, Any], solver: str) -> SolveResult:
    import threading

    from optiform.cancellation import cancel_flag

    flag = threading.Event()
    token = cancel_flag.set(flag)  # as api_async sets it around a turn
    timer = threading.Timer(seconds, flag.set)  # the client goes away
    timer.start()
    try:
        return solve(d, solver=solver, time_limit=120)  # a hard MILP: minutes without a stop
    finally:
        cancel_flag.reset(token)
        timer.cancel()


def test_a_cancelled_turn_stops_highs_too() -> None:
    res = _solve_cancelled_after(0.5, _hard_knapsack(), "highs")
    assert "Interrupted by user" in res.log_tail


def test_a_cancelled_turn_stops_scip_too() -> None:
    import time

    t0 = time.perf_counter()
    res = _solve_cancelled_after(0.5, _hard_knapsack(), "scip")
    assert res.status is Status.TIME_LIMIT and res.message == "stopped: the turn was cancelled"
    assert "userinterrupt" in res.log_tail and time.perf_counter() - t0 < 60
    assert res.values  # the best point found so far comes back


def _solve_with_ctrl_c_after(seconds: float, *, in_turn: bool = False, keep: bool = False,
                             solver: str = "scip") -> SolveResult:
    import contextlib
    import os
    import signal
    import threading

    from optiform.cancellation import cancel_flag, keep_result_on_ctrl_c

    token = cancel_flag.set(threading.Event()) if in_turn else None
    # the hard knapsack takes minutes; the build before the solve well under a second
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))  # Ctrl-C
    timer.start()
    try:
        with keep_result_on_ctrl_c() if keep else contextlib.nullcontext():
            return solve(_hard_knapsack(), solver=solver, time_limit=120)
    finally:
        timer.cancel()
        if token is not None:
            cancel_flag.reset(token)


@pytest.mark.parametrize("solver", ["scip", "highs"])
def test_ctrl_c_ends_the_solve_of_solve_formulation_with_its_best_point(capfd, solver) -> None:
    import signal

    before = signal.getsignal(signal.SIGINT)
    res = _solve_with_ctrl_c_after(1.5, keep=True, solver=solver)
    assert res.status is Status.TIME_LIMIT and res.values and res.objective
    assert res.message.startswith("stopped at an interrupt (Ctrl-C)")
    assert signal.getsignal(signal.SIGINT) is before  # Python's handler is back
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # SCIP printed nothing ("pressed CTRL-C 1 times" was)


@pytest.mark.parametrize("solver", ["scip", "highs"])
@pytest.mark.parametrize("in_turn", [True, False])
def test_ctrl_c_during_a_solve_stops_its_caller(solver, in_turn) -> None:
    """A turn, an eval item, learning, the Python API: Ctrl-C stops them at once, not when
    the solver's time limit runs out (HiGHS) nor never (SCIP, which swallowed it, so that an
    eval recorded the item as a time_limit answer)."""
    import time

    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        _solve_with_ctrl_c_after(1.5, in_turn=in_turn, solver=solver)
    assert time.perf_counter() - t0 < 60


def test_a_scip_solve_writes_nothing_to_the_terminal_and_keeps_its_log(capfd) -> None:
    infeasible = {"variables": [{"name": "x", "ub": 4}],
                  "objective": {"sense": "maximize", "expression": "exp(x)"},
                  "constraints": [{"name": "lo", "expression": "x >= 5"}]}
    res = solve(infeasible, solver="scip")
    assert res.status is Status.INFEASIBLE and "SCIP Status" in res.log_tail
    assert res.conflict  # the IIS too runs without a capture of the terminal
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_scip_solves_in_threads_at_once_keep_their_own_logs_and_the_terminal(capfd) -> None:
    """SCIP solves of turns in threads (HTTP clients), whose cancel handlers let other threads
    run during the solves: each gets its answer and its own log, and what the rest of the
    process writes meanwhile reaches the terminal, not a solver's log."""
    import threading
    import time

    from optiform.cancellation import cancel_flag

    results: list[SolveResult] = []

    def work() -> None:
        cancel_flag.set(threading.Event())  # in a turn, as the server runs them
        results.append(solve(_hard_knapsack(), solver="scip", time_limit=1.5))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    print("main thread output", flush=True)  # while they solve
    for t in threads:
        t.join()
    assert [r.status for r in results] == [Status.TIME_LIMIT] * 2
    assert all(r.values and "SCIP Status" in r.log_tail
               and "main thread output" not in r.log_tail for r in results)
    out, err = capfd.readouterr()
    assert out == "main thread output\n" and err == ""


def test_highs_results_say_what_their_status_means() -> None:
    infeasible = {"variables": [{"name": "x"}],
                  "objective": {"sense": "minimize", "expression": "x"},
                  "constraints": [{"name": "lo", "expression": "x >= 5"},
                                  {"name": "hi", "expression": "x <= 3"}]}
    assert "no point satisfies every constraint" in solve(infeasible, solver="highs").message
    unbounded = {"variables": [{"name": "x"}],
                 "objective": {"sense": "maximize", "expression": "x"}}
    assert "improves without limit" in solve(unbounded, solver="highs").message


def test_a_bound_a_solver_reads_as_infinite_is_said() -> None:
    d = {"variables": [{"name": "x", "ub": 1e25}],
         "objective": {"sense": "maximize", "expression": "x"}}
    res = solve(d, solver="highs")
    assert res.status is Status.UNBOUNDED
    assert any("bound of 1e+25 is read as no bound" in w for w in res.warnings)


def test_an_objective_that_can_reach_scips_infinity_is_warned() -> None:
    d = {"variables": [{"name": "x", "ub": 100}],
         "objective": {"sense": "maximize", "expression": "exp(x)"}}
    assert any("SCIP reads 1e20 and beyond as infinite" in w for w in solve(d).warnings)
    d["variables"][0]["ub"] = 10
    res = solve(d)
    assert res.status is Status.OPTIMAL and not any("1e20" in w for w in res.warnings)


def test_a_constraint_that_can_reach_scips_infinity_is_warned() -> None:
    # exp(x) >= 1 over 50 <= x <= 100 came back "optimal" at x = 75, not 50
    d = {"variables": [{"name": "x", "lb": 50, "ub": 100}],
         "objective": {"sense": "minimize", "expression": "x"},
         "constraints": [{"name": "grow", "expression": "exp(x) >= 1"}]}
    [w] = [w for w in solve(d).warnings if "1e20" in w]
    assert w.startswith("constraint 'grow': ") and "can reach 2.69e+43" in w
    d["variables"][0].update(lb=30, ub=45)  # exp(45) is 3.5e19: no warning, the right optimum
    res = solve(d)
    assert res.status is Status.OPTIMAL and res.objective == pytest.approx(30.0)
    assert not any("1e20" in w for w in res.warnings)


def test_an_indexed_constraint_reaching_scips_infinity_names_its_row() -> None:
    # a coefficient times a bound: 1e15 * x[i] over x[i] <= 1e6 for i = 'b' only
    d = {"sets": [{"name": "I", "elements": ["a", "b", "c"]}],
         "parameters": [{"name": "k", "index": ["I"], "values": {"a": 1, "b": 1e15, "c": 2}}],
         "variables": [{"name": "x", "index": ["I"], "lb": 0, "ub": 1e6},
                       {"name": "y", "lb": 0, "ub": 1}],
         "objective": {"sense": "maximize", "expression": "sum(x[i] for i in I) + y"},
         "constraints": [{"name": "cap", "for_each": "i in I",
                          "expression": "k[i] * x[i] + y * y <= 1e7"}]}
    [w] = [w for w in solve(d, solver="scip").warnings if "1e20" in w]
    assert w.startswith("constraint 'cap' when i='b': ") and "can reach 1e+21" in w
    assert "more of its rows" not in w


def test_a_constraint_side_scip_reads_as_infinite_is_warned_where_it_can_bind() -> None:
    free = {"variables": [{"name": "y"}],
            "objective": {"sense": "maximize", "expression": "y"},
            "constraints": [{"name": "top", "expression": "y <= 1e25"}]}
    [w] = [w for w in solve(free, solver="scip").warnings if "1e20" in w]
    assert w.startswith("constraint 'top': its side 1e+25")
    # a side the terms cannot reach never binds: SCIP reading it as infinite changes nothing
    # (and a free variable alone is no reason to warn)
    never = {"variables": [{"name": "x", "lb": 0, "ub": 100}, {"name": "z"}],
             "objective": {"sense": "maximize", "expression": "x"},
             "constraints": [{"name": "sq", "expression": "x * x <= 1e25"},
                             {"name": "free", "expression": "exp(x) + z >= 1"}]}
    res = solve(never, solver="scip")
    assert res.status is Status.OPTIMAL and not any("1e20" in w for w in res.warnings)


HOURS = "worker,task1,task2,task3,task4\nAnn,9,2,7,8\nBen,6,4,3,7\nCal,5,8,1,8\nDee,7,6,9,4\n"
ASSIGN = {
    "sets": [{"name": "W", "source": {"file": "hours.csv", "column": "worker"}},
             {"name": "T", "elements": ["task1", "task2", "task3", "task4"]}],
    "parameters": [{"name": "hours", "index": ["W", "T"], "source": {
        "file": "hours.csv", "columns": ["task1", "task2", "task3", "task4"],
        "key": ["worker"]}}],
    "variables": [{"name": "x", "index": ["W", "T"], "domain": "binary"}],
    "objective": {"sense": "min", "expression": "sum(hours[w, t]*x[w, t] for w in W for t in T)"},
    "constraints": [{"name": "one_task", "for_each": "w in W",
                     "expression": "sum(x[w, t] for t in T) == 1"},
                    {"name": "one_worker", "for_each": "t in T",
                     "expression": "sum(x[w, t] for w in W) == 1"}]}


def test_a_wide_table_is_read_one_column_per_element(tmp_path: Path) -> None:
    # a row per worker, a column per task: Ann task2, Ben task1, Cal task3, Dee task4
    (tmp_path / "hours.csv").write_text(HOURS)
    result = solve(ASSIGN, data_dir=tmp_path)
    assert result.objective == pytest.approx(13)
    # a column for an element the set leaves out is not part of the model
    three = json.loads(json.dumps(ASSIGN))
    three["sets"][1]["elements"] = ["task1", "task2", "task3"]
    three["constraints"][0]["expression"] = "sum(x[w, t] for t in T) <= 1"
    assert solve(three, data_dir=tmp_path).objective == pytest.approx(2 + 6 + 1)


def test_a_wide_source_that_does_not_fit_is_named(tmp_path: Path) -> None:
    (tmp_path / "hours.csv").write_text(HOURS)
    wrong = json.loads(json.dumps(ASSIGN))
    wrong["parameters"][0]["source"]["columns"] = ["task5", "task6"]
    with pytest.raises((DataError, FormulationError), match="task5"):
        solve(wrong, data_dir=tmp_path)
    wrong["parameters"][0]["source"].update(columns=["task1"], key=["worker", "task1"])
    with pytest.raises(FormulationError, match="a wide table's 'key' names the columns"):
        solve(wrong, data_dir=tmp_path)
    with pytest.raises(ValueError, match="either 'column'"):
        Formulation.model_validate({**ASSIGN, "parameters": [{
            "name": "hours", "index": ["W", "T"],
            "source": {"file": "hours.csv", "column": "task1", "columns": ["task2"]}}]})


def test_one_column_of_a_wide_table_over_both_sets_reads_them_all(tmp_path: Path) -> None:
    # the 1.5B model's second try: index (W, T), key ['worker'], column 'task1'
    (tmp_path / "hours.csv").write_text(HOURS)
    one = json.loads(json.dumps(ASSIGN))
    one["parameters"][0]["source"] = {"file": "hours.csv", "column": "task1", "key": ["worker"]}
    assert solve(one, data_dir=tmp_path).objective == pytest.approx(13)
