"""The PDHG LP solver as a backend: a compiled LinearModel in, one SolveResult out.

Plain data in, one call to ``solve_lp_pdhg``, the answer mapped back through an explicit status
map (as ``highs_backend`` does). Integer variables and quadratic objectives are refused with a
status ``error`` result that says which solver to use instead.
"""

from __future__ import annotations

from typing import Any

from optiform.solvers.result import SolveResult, Status

STATUS_MAP: dict[str, Status] = {
    "optimal": Status.OPTIMAL,
    "infeasible": Status.INFEASIBLE,
    "unbounded": Status.UNBOUNDED,
    "infeasible_or_unbounded": Status.INFEASIBLE_OR_UNBOUNDED,
    "time_limit": Status.TIME_LIMIT,
    "error": Status.ERROR,
}


def solve_linear_model_pdhg(model: Any, *, tol: float = 1e-6, time_limit: float = 60.0,
                            device: str = "auto", max_iter: int = 200_000) -> SolveResult:
    """Solve an LP ``LinearModel`` with PDHG; values and duals by name, as HiGHS gives them."""
    from optiform.solvers.pdhg import solve_lp_pdhg
    from optiform.solvers.values import column_values, row_values

    stats: dict[str, Any] = {"variables": model.num_cols, "constraints": model.num_rows,
                             "nonzeros": int(model.A.nnz), "integer": int(model.integer.sum()),
                             "kind": "MILP" if model.integer.any() else "LP"}
    if model.integer.any():
        return SolveResult(status=Status.ERROR, solver="pdhg", stats=stats,
                           message="PDHG solves LPs only; use HiGHS for integer models",
                           warnings=list(model.warnings), unsuitable_solver=True)
    if model.q is not None:
        stats["kind"] = "QP"
        return SolveResult(status=Status.ERROR, solver="pdhg", stats=stats,
                           message="PDHG solves LPs only; use HiGHS for quadratic objectives",
                           warnings=list(model.warnings), unsuitable_solver=True)
    r = solve_lp_pdhg(model.c, model.A, model.row_lower, model.row_upper, model.col_lower,
                      model.col_upper, sense=model.sense, offset=model.offset, tol=tol,
                      max_iter=max_iter, time_limit=time_limit, device=device)
    result = _result(r, stats, list(model.warnings))
    if result.status is Status.OPTIMAL:
        result.values = column_values(model.blocks, r.x)
        result.duals = row_values(model.families, r.y)
    return result


def _result(r: Any, stats: dict[str, Any], warnings: list[str]) -> SolveResult:
    """A PDHG run as a SolveResult, without values and duals (named by the caller)."""
    stats.update(device=r.device, iterations=r.iterations, restarts=r.restarts,
                 primal_residual=r.primal_residual, dual_residual=r.dual_residual, gap=r.gap,
                 max_violation=r.max_violation)
    return SolveResult(status=STATUS_MAP[r.status], objective=r.objective, solver="pdhg",
                       solve_time=r.time, message=r.message, log_tail="\n".join(r.log[-30:]),
                       stats=stats, warnings=warnings)


def solve_file_pdhg(path: Any, *, tol: float = 1e-6, time_limit: float = 60.0,
                    device: str = "auto", max_iter: int = 200_000) -> SolveResult:
    """Solve an MPS or LP file (read by HiGHS) with PDHG; values and duals by the file's
    names. Integer variables and quadratic objectives are refused, as for a formulation."""
    from optiform.solvers.highs_backend import read_model_file
    from optiform.solvers.pdhg import solve_lp_pdhg

    fm = read_model_file(path)
    stats: dict[str, Any] = {"variables": len(fm.col_names), "constraints": len(fm.row_names),
                             "nonzeros": int(fm.A.nnz), "integer": int(fm.integer.sum()),
                             "kind": "MILP" if fm.integer.any() else "LP"}
    if fm.integer.any() or fm.quadratic:  # a usage error: nothing was tried
        from optiform.errors import InputError

        what = "integer variables" if fm.integer.any() else "a quadratic objective"
        raise InputError(f"PDHG solves LPs only, and {path} has {what}",
                         hint="solve it with HiGHS: leave out --solver pdhg (and "
                              "OPTIFORM_SOLVER=pdhg)")
    r = solve_lp_pdhg(fm.c, fm.A, fm.row_lower, fm.row_upper, fm.col_lower, fm.col_upper,
                      sense=fm.sense, offset=fm.offset, tol=tol, max_iter=max_iter,
                      time_limit=time_limit, device=device)
    result = _result(r, stats, list(fm.warnings))
    if result.status is Status.OPTIMAL:
        result.values = dict(zip(fm.col_names, map(float, r.x), strict=True))
        result.duals = dict(zip(fm.row_names, map(float, r.y), strict=True))
    return result
