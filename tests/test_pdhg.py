"""The PyTorch PDHG LP solver on the CPU: known optima, HiGHS agreement, netlib, statuses."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from optiform.errors import SolverError
from optiform.solvers.api import solve_formulation
from optiform.solvers.evaluate import VarBlock
from optiform.solvers.formulation import Formulation
from optiform.solvers.highs_backend import new_highs, solve_linear_model
from optiform.solvers.linear import LinearModel, RowFamily
from optiform.solvers.pdhg import solve_lp_pdhg
from optiform.solvers.pdhg_backend import solve_linear_model_pdhg
from optiform.solvers.result import Status
from optiform.solvers.samples import transport

INF = np.inf


def lp(c, a, rl, ru, cl, cu, **kw):
    arr = [np.asarray(v, dtype=float) for v in (c, rl, ru, cl, cu)]
    kw.setdefault("device", "cpu")
    mat = a if sp.issparse(a) else sp.csr_matrix(np.asarray(a, float))
    return solve_lp_pdhg(arr[0], mat, *arr[1:], **kw)


# c, A, row_lower, row_upper, col_lower, col_upper, sense, objective, x
KNOWN = {
    "inequalities": ([-1, -1], [[1, 2], [3, 1]], [-INF, -INF], [4, 6], [0, 0], [INF, INF],
                     "minimize", -2.8, [1.6, 1.2]),
    "equality": ([2, 3], [[1, 1], [1, -1]], [10, 2], [10, INF], [0, 0], [INF, INF],
                 "minimize", 20.0, [10.0, 0.0]),
    "ranged_row": ([-1, 0], [[1, 1]], [1], [5], [0, 2], [INF, 3], "minimize", -3.0, [3.0, 2.0]),
    "free_variable": ([1, 1], [[1, 0], [1, 1]], [-2, 0], [INF, INF], [-INF, -INF], [INF, INF],
                      "minimize", 0.0, None),
    "free_variable_bounded_by_rows": ([1, 0], [[1, -1]], [-1], [INF], [-INF, 0], [INF, 4],
                                      "minimize", -1.0, [-1.0, 0.0]),
    "upper_bounds_maximize": ([3, 2], [[1, 1]], [-INF], [4], [0, 0], [3, 3], "maximize",
                              11.0, [3.0, 1.0]),
    "maximize_ranged": ([3, 2, -1], [[1, 1, 1], [1, -1, 0], [0, 1, 2]], [-INF, -2, 1],
                        [4, 2, INF], [0, -INF, -1], [INF, 3, 5], "maximize", 13.0,
                        [2.0, 3.0, -1.0]),
}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_optimum(name: str) -> None:
    c, a, rl, ru, cl, cu, sense, obj, x = KNOWN[name]
    r = lp(c, a, rl, ru, cl, cu, sense=sense, offset=1.5)
    assert r.status == "optimal", r.message
    assert r.objective == pytest.approx(obj + 1.5, rel=1e-5, abs=1e-5)
    if x is not None:
        np.testing.assert_allclose(r.x, x, atol=1e-4)
    assert max(r.primal_residual, r.dual_residual, r.gap) <= 1e-6
    assert r.device == "cpu" and r.iterations > 0


def test_duals_follow_highs_signs_in_both_senses() -> None:
    c, a = np.array([-1.0, -1.0]), [[1, 2], [3, 1]]
    r = lp(c, a, [-INF, -INF], [4, 6], [0, 0], [INF, INF])
    np.testing.assert_allclose(r.y, [-0.4, -0.2], atol=1e-4)  # <= rows of a min: y <= 0
    r = lp(-c, a, [-INF, -INF], [4, 6], [0, 0], [INF, INF], sense="maximize")
    np.testing.assert_allclose(r.y, [0.4, 0.2], atol=1e-4)


def test_infeasible_lp_is_reported_infeasible() -> None:
    r = lp([1, 1], [[1, 1]], [3], [INF], [0, 0], [1, 1])
    assert r.status == "infeasible"
    assert r.objective is None and "ray" in r.message


def test_unbounded_lp_is_reported_unbounded() -> None:
    r = lp([-1, 0], [[1, -1]], [-INF], [1], [0, 0], [INF, INF])
    assert r.status == "unbounded"
    assert r.objective is None


def _far_from_feasible(infeasible: bool = False) -> tuple:
    """min -x0 with x0 free to grow (a primal ray PDHG sees within a few checks) beside
    equality rows with right-hand sides near 1e4 that take longer to satisfy; with
    ``infeasible`` a row asks the first of them for more than it equals."""
    rng = np.random.default_rng(0)
    b = sp.random(15, 25, density=0.4, random_state=rng, data_rvs=rng.standard_normal).toarray()
    rhs = b @ rng.uniform(0, 1e4, 25)
    a = np.block([[np.ones((1, 1)), np.zeros((1, 25))], [np.zeros((15, 1)), b]])
    rl, ru = np.r_[0.0, rhs], np.r_[INF, rhs]
    if infeasible:
        a, rl, ru = np.vstack([a, a[1]]), np.r_[rl, rhs[0] + 1], np.r_[ru, INF]
    return np.r_[-1.0, np.zeros(25)], a, rl, ru, np.zeros(26), np.full(26, INF)


def _model(c, a, rl, ru, cl, cu) -> LinearModel:
    """A LinearModel of one block x and one row family r (minimize), for HiGHS and PDHG."""
    a = sp.csr_matrix(np.asarray(a, float))
    m, n = a.shape
    block = VarBlock("x", ["J"], 0, (n,), False, [list(range(n))])
    fam = RowFamily("r", 0, m, [list(range(m))], np.arange(m), (m,))
    return LinearModel({"x": block}, np.asarray(cl, float), np.asarray(cu, float),
                       np.zeros(n, dtype=bool), np.asarray(c, float), 0.0, "minimize", a,
                       np.asarray(rl, float), np.asarray(ru, float), [fam])


@pytest.mark.parametrize(("infeasible", "status"), [(False, Status.UNBOUNDED),
                                                    (True, Status.INFEASIBLE)])
def test_a_primal_ray_before_a_feasible_point_is_decided_as_highs_does(
        infeasible: bool, status: Status) -> None:
    model = _model(*_far_from_feasible(infeasible))
    assert solve_linear_model(model).status is status
    res = solve_linear_model_pdhg(model, device="cpu")
    assert res.status is status, res.message
    assert "a primal ray" in res.message and "feasibility run" in res.message
    assert res.objective is None and not res.values


def test_a_feasibility_run_cut_short_leaves_the_question_open() -> None:
    r = lp(*_far_from_feasible(), max_iter=256)  # the ray comes at 192, a feasible point later
    assert r.status == "infeasible_or_unbounded" and r.iterations == 256
    assert "not known" in r.message and "iteration limit 256 reached" in r.message


def test_a_dual_ray_is_infeasible_even_when_the_dual_is_infeasible_too() -> None:
    # x1 >= 1 and x1 <= 0 (no point), while -x0 falls without limit (no dual point either)
    args = ([-1, 0], [[0, 1], [0, 1]], [1, -INF], [INF, 0], [0, 0], [INF, INF])
    r = lp(*args)
    assert r.status == "infeasible" and "dual ray" in r.message
    assert solve_linear_model(_model(*args)).status is Status.INFEASIBLE


def test_empty_bounds_and_uncoupled_problems() -> None:
    assert lp([1], [[1]], [0], [1], [2], [1]).status == "infeasible"
    r = lp([1, -2], sp.csr_matrix((1, 2)), [-1], [1], [0, -5], [3, 4])
    assert (r.status, r.objective) == ("optimal", -8.0)
    assert lp([1, -2], sp.csr_matrix((1, 2)), [-1], [1], [0, -5], [3, INF]).status == "unbounded"


def test_limits_are_reported_as_time_limit_not_optimal(mps: dict) -> None:
    import torch

    threads = torch.get_num_threads()
    r = solve_lp_pdhg(*mps["netlib/adlittle"][:6], max_iter=64, device="cpu")
    assert r.status == "time_limit" and "iteration limit" in r.message
    assert r.objective is None and r.iterations == 64
    r = solve_lp_pdhg(*mps["netlib/adlittle"][:6], time_limit=0.0, device="cpu")
    assert r.status == "time_limit" and "time limit 0 s" in r.message
    assert torch.get_num_threads() == threads  # the solve restores torch's thread setting


def test_bad_arguments_raise_solver_error() -> None:
    with pytest.raises(SolverError, match="device"):
        lp([1], [[1]], [0], [1], [0], [1], device="tpu9")
    with pytest.raises(SolverError, match="NaN"):
        lp([1], [[1]], [np.nan], [1], [0], [1])
    with pytest.raises(SolverError, match="entries"):
        lp([1, 2], [[1, 1]], [0, 0], [1], [0, 0], [1, 1])


def test_cuda_without_gpu_is_refused() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the refusal path cannot be exercised")
    with pytest.raises(SolverError, match="GPU"):
        lp([1], [[1]], [0], [1], [0], [1], device="cuda")


# -- agreement with HiGHS ----------------------------------------------------------------


def _read_mps(path: Path) -> tuple:
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    m = h.getLp()
    a = sp.csc_matrix((np.array(m.a_matrix_.value_), np.array(m.a_matrix_.index_),
                       np.array(m.a_matrix_.start_)), shape=(m.num_row_, m.num_col_))
    return (np.array(m.col_cost_), a.tocsr(), np.array(m.row_lower_), np.array(m.row_upper_),
            np.array(m.col_lower_), np.array(m.col_upper_), float(m.offset_))


@pytest.fixture(scope="module")
def mps(shared_dir: Path) -> dict:
    root = shared_dir / "data" / "mps"
    with open(root / "optima.csv", newline="") as fh:
        optima = {row["file"][:-4]: row for row in csv.DictReader(fh)}
    names = ("netlib/afiro", "netlib/sc50a", "netlib/adlittle", "netlib/israel")
    return {n: (*_read_mps(root / f"{n}.mps"), float(optima[n]["objective"])) for n in names}


@pytest.mark.parametrize("name", ["netlib/afiro", "netlib/sc50a"])
def test_netlib_optimum(mps: dict, name: str) -> None:
    *data, offset, optimum = mps[name]
    r = solve_lp_pdhg(*data, offset=offset, device="cpu")
    assert r.status == "optimal", r.message
    assert r.objective == pytest.approx(optimum, rel=1e-5)


def test_optimal_means_small_absolute_violations_on_israel(mps: dict) -> None:
    """israel's bounds reach 9e5 while rows with bounds near 1 have terms near 1e5: a test on
    norms relative to the bounds' norm passed a point 0.5 off such a row."""
    c, a, rl, ru, cl, cu, offset, optimum = mps["netlib/israel"]
    r = solve_lp_pdhg(c, a, rl, ru, cl, cu, offset=offset, device="cpu")
    assert r.status == "optimal", r.message
    ax = a @ r.x
    worst = max(np.max(rl - ax), np.max(ax - ru), np.max(cl - r.x), np.max(r.x - cu))
    assert worst <= 1e-5 and r.max_violation == pytest.approx(worst, abs=1e-12)
    assert f"{worst:.1e}" in r.message
    assert r.objective == pytest.approx(optimum, rel=1e-6)


def test_a_small_bound_is_not_excused_by_large_bounds_elsewhere() -> None:
    """israel in small: rows 1000 (x_i - x_i+1) <= 1.1 beside a row bounded by 9e5. The l2
    test (relative to the bounds' 2-norm, the old default) passes a point 0.58 off a row."""
    rng = np.random.default_rng(5)
    n = 12
    a = np.vstack([np.eye(n - 1, n) * 1000 - np.eye(n - 1, n, 1) * 1000, np.ones(n),
                   rng.uniform(0.5, 1.5, n)])
    rl = np.r_[np.full(n, -INF), 100.0 * n]
    ru = np.r_[np.full(n - 1, 1.1), 9e5, INF]
    args = (rng.uniform(-1, 1, n), a, rl, ru, np.zeros(n), np.full(n, 500.0))
    loose, r = lp(*args, norm="l2"), lp(*args)
    assert loose.status == r.status == "optimal"
    assert loose.max_violation > 0.1 and r.max_violation <= 1e-6
    ax = a @ r.x
    assert np.all(ax <= ru + 1e-6) and np.all(ax >= rl - 1e-6)


def test_tolerance_options() -> None:
    c, a, rl, ru, cl, cu, sense, obj, _ = KNOWN["maximize_ranged"]
    for kw in ({"norm": "l2"}, {"tol": 1e-8, "abs_tol": 1e-6}, {"tol": 1e-4, "abs_tol": 0.0}):
        r = lp(c, a, rl, ru, cl, cu, sense=sense, **kw)
        assert r.status == "optimal" and r.objective == pytest.approx(obj, rel=1e-3), kw
        assert max(r.primal_residual, r.dual_residual, r.gap) <= kw.get("tol", 1e-6)
    for kw in ({"tol": 0.0}, {"abs_tol": -1.0}, {"norm": "l1"}):
        with pytest.raises(SolverError):
            lp(c, a, rl, ru, cl, cu, **kw)


def _random_model(m: int = 50, n: int = 80, seed: int = 7) -> LinearModel:
    """A primal and dual feasible LP with every kind of row and column bound."""
    rng = np.random.default_rng(seed)
    a = sp.random(m, n, density=0.15, random_state=rng, data_rvs=rng.standard_normal,
                  format="csr")
    x0 = rng.uniform(0.5, 1.5, n)
    ax0, slack = a @ x0, rng.uniform(0.1, 1.0, m)
    kind = rng.integers(0, 5, m)  # 0 ==, 1 >=, 2 <=, 3 ranged, 4 free
    rl = np.where(np.isin(kind, (0, 1, 3)), ax0 - slack * (kind != 0), -INF)
    ru = np.where(np.isin(kind, (0, 2, 3)), ax0 + slack * (kind != 0), INF)
    y0 = rng.standard_normal(m) * (kind != 4)
    y0 = np.where(kind == 1, np.abs(y0), np.where(kind == 2, -np.abs(y0), y0))
    ckind = rng.integers(0, 4, n)  # 0 [0, inf), 1 box, 2 free, 3 (-inf, 4]
    cl = np.select([ckind == 0, ckind == 1], [0.0, -1.0], -INF)
    cu = np.select([ckind == 1, ckind == 3], [3.0, 4.0], INF)
    lam = rng.uniform(0.1, 1.0, n) * np.select([ckind == 0, ckind == 1, ckind == 3],
                                               [1.0, rng.choice([-1.0, 1.0], n), -1.0], 0.0)
    c = a.T @ y0 + lam
    block = VarBlock("x", ["J"], 0, (n,), False, [list(range(n))])
    fam = RowFamily("r", 0, m, [list(range(m))], np.arange(m), (m,))
    return LinearModel({"x": block}, cl, cu, np.zeros(n, dtype=bool), c, 2.0, "minimize",
                       a, rl, ru, [fam])


def test_random_lp_agrees_with_highs() -> None:
    model = _random_model()
    ref = solve_linear_model(model)
    res = solve_linear_model_pdhg(model, device="cpu")
    assert ref.status is Status.OPTIMAL and res.status is Status.OPTIMAL, res.message
    assert res.objective == pytest.approx(ref.objective, rel=1e-4)
    assert res.solver == "pdhg" and res.stats["device"] == "cpu"
    x = np.array([res.values["x"][str(j)] for j in range(model.num_cols)])
    ax = model.A @ x
    assert np.all(ax >= model.row_lower - 1e-4) and np.all(ax <= model.row_upper + 1e-4)
    assert res.stats["max_violation"] == pytest.approx(
        max(0.0, np.max(model.row_lower - ax), np.max(ax - model.row_upper),
            np.max(model.col_lower - x), np.max(x - model.col_upper)), abs=1e-9)
    assert set(res.duals["r"]) == set(ref.duals["r"])


def test_integer_and_quadratic_models_are_refused() -> None:
    model = _random_model(5, 8)
    model.integer[0] = True
    res = solve_linear_model_pdhg(model)
    assert res.status is Status.ERROR
    assert res.message == "PDHG solves LPs only; use HiGHS for integer models"
    model = _random_model(5, 8)
    model.q = (np.ones(1), np.zeros(1, int), np.zeros(1, int))
    assert solve_linear_model_pdhg(model).status is Status.ERROR


# -- the formulation route ----------------------------------------------------------------


def _transport(domain: str = "continuous") -> Formulation:
    cost = {"s1": {"d1": 4, "d2": 6, "d3": 9}, "s2": {"d1": 5, "d2": 3, "d3": 8}}
    return Formulation.from_dict(transport({"s1": 40, "s2": 35}, {"d1": 20, "d2": 30, "d3": 15},
                                           cost, domain=domain))


def test_formulation_route_matches_highs() -> None:
    ref = solve_formulation(_transport(), solver="highs")
    res = solve_formulation(_transport(), solver="pdhg")
    assert res.status is Status.OPTIMAL and res.solver == "pdhg", res.message
    assert res.objective == pytest.approx(ref.objective, rel=1e-5)
    assert res.value("x", "s2", "d2") == pytest.approx(30.0, abs=1e-3)
    assert set(res.duals) == {"ship", "meet"}


def test_formulation_route_refuses_integer_and_nonlinear_models() -> None:
    res = solve_formulation(_transport("integer"), solver="pdhg")
    assert res.status is Status.ERROR and "use HiGHS for integer models" in res.message
    f = Formulation.from_dict({
        "variables": [{"name": "x"}, {"name": "y"}],
        "objective": {"sense": "maximize", "expression": "x + y"},
        "constraints": [{"name": "curve", "expression": "x * y <= 4"}],
    })
    res = solve_formulation(f, solver="pdhg")
    assert res.status is Status.ERROR and "LPs only" in res.message


def test_the_violation_of_a_point_that_is_not_a_number_is_not_a_number() -> None:
    import math

    import numpy as np
    import scipy.sparse as sp

    from optiform.solvers.pdhg import max_violation

    a = sp.csr_matrix(np.array([[1.0, 1.0]]))
    lo, up = np.array([0.0]), np.array([1.0])
    bounds = (np.zeros(2), np.full(2, np.inf))
    assert max_violation(a, np.array([2.0, 0.5]), lo, up, *bounds) == 1.5
    assert math.isnan(max_violation(a, np.array([np.nan, 0.5]), lo, up, *bounds))  # was 0.0
    assert max_violation(a, np.array([np.inf, 0.0]), np.array([-np.inf]), np.array([np.inf]),
                         *bounds) == 0.0  # inf at an infinite bound: no violation
