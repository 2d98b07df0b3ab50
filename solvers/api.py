"""One entry point: a Formulation in, a SolveResult out, through the right backend.

Linear and mixed-integer models (and convex QPs) compile straight to arrays for HiGHS; anything
else (nonlinear constraints, non-convex objectives) is built in Pyomo and solved by SCIP.
``solver="pdhg"`` sends LPs to the first-order PyTorch solver (solvers/pdhg.py) instead.
Invalid formulations raise FormulationError (or DataError for broken tables); solver trouble
comes back as a SolveResult with status ``error``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from optiform.errors import InputError
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult, Status

if TYPE_CHECKING:
    from optiform.solvers.data import ModelData
    from optiform.solvers.validate import ParsedModel

SolverName = Literal["auto", "highs", "scip", "pdhg"]


def solve_formulation(
    f: Formulation | dict[str, Any] | str,
    *,
    solver: str = "auto",
    time_limit: float = 60.0,
    mip_gap: float = 1e-6,
    data_dir: Path | None = None,
) -> SolveResult:
    from optiform.errors import SolverError
    from optiform.solvers.algebra import NonLinear
    from optiform.solvers.data import load_data
    from optiform.solvers.validate import parse_model

    if solver not in ("auto", "highs", "scip", "pdhg"):
        raise SolverError(f"unknown solver {solver!r}", hint="choose auto, highs, scip or pdhg")
    f = as_formulation(f)
    if not isinstance(time_limit, (int, float)) or not time_limit > 0:
        raise InputError(f"time_limit must be more than 0 seconds, not {time_limit!r}")
    if not isinstance(mip_gap, (int, float)) or not mip_gap >= 0:
        raise InputError(f"mip_gap must be 0 or more, not {mip_gap!r}", hint="e.g. 1e-6")
    t0 = time.perf_counter()
    parsed = parse_model(f)
    data = load_data(f, data_dir)
    reason = ""
    if solver == "pdhg":
        return _solve_pdhg(parsed, data, time_limit, t0)
    if solver in ("auto", "highs"):
        from optiform.solvers.highs_backend import solve_linear_model
        from optiform.solvers.linear import compile_linear

        try:
            model = compile_linear(parsed, data)
        except NonLinear as exc:
            reason = str(exc)
            if solver == "highs":
                return SolveResult(status=Status.ERROR, solver="highs",
                                   message=f"HiGHS needs a linear or quadratic model ({reason})",
                                   warnings=["use --solver scip for nonlinear models"],
                                   unsuitable_solver=True)
        else:
            from optiform.solvers.convexity import quadratic_is_convex

            if model.q is not None and model.integer.any():
                reason = "HiGHS solves quadratic objectives over continuous variables only"
                if solver == "highs":
                    return SolveResult(status=Status.ERROR, solver="highs",
                                       message=f"HiGHS cannot solve this model: {reason} "
                                               "(this one has integer variables)",
                                       warnings=["use --solver scip (or auto) for it"],
                                       unsuitable_solver=True)
            elif model.q is not None and not quadratic_is_convex(model.q, model.sense):
                reason = (f"the quadratic objective is not {_curvature(model.sense)}, and HiGHS "
                          "solves only convex QPs")
                if solver == "highs":
                    return SolveResult(status=Status.ERROR, solver="highs",
                                       message=f"HiGHS cannot solve this model: {reason}",
                                       warnings=["use --solver scip (or auto) for it"],
                                       unsuitable_solver=True)
            else:
                compiled = time.perf_counter() - t0
                result = solve_linear_model(model, time_limit=time_limit, mip_gap=mip_gap)
                result.build_time += compiled
                if not (result.status is Status.ERROR and model.q is not None
                        and solver == "auto"):
                    return result
                reason = "HiGHS could not solve the quadratic objective"
    from optiform.solvers.pyomo_backend import solve_parsed_with_pyomo

    result = solve_parsed_with_pyomo(parsed, data, solver="scip", time_limit=time_limit,
                                     mip_gap=mip_gap)
    if reason:
        result.warnings.append(f"solved with SCIP: {reason}")
    result.build_time = max(result.build_time, 0.0)
    return result


def as_formulation(f: Any) -> Formulation:
    """A Formulation, or a dict or JSON text of one; an InputError for anything else."""
    if isinstance(f, Formulation):
        return f
    if isinstance(f, dict):
        return Formulation.from_dict(f)
    if isinstance(f, str):
        return Formulation.from_json(f)
    raise InputError(f"a formulation is a Formulation, a dict or JSON text, not a "
                     f"{type(f).__name__}",
                     hint="Formulation.load(path) reads a file; `optiform export --schema` "
                          "prints the schema")


def _curvature(sense: str) -> str:
    return "concave (as maximizing needs)" if sense == "maximize" else \
        "convex (as minimizing needs)"


def _solve_pdhg(parsed: ParsedModel, data: ModelData, time_limit: float, t0: float
                ) -> SolveResult:
    """The first-order LP route: compile to arrays, solve with PDHG (LPs only)."""
    from optiform.solvers.algebra import NonLinear
    from optiform.solvers.linear import compile_linear
    from optiform.solvers.pdhg_backend import solve_linear_model_pdhg

    try:
        model = compile_linear(parsed, data)
    except NonLinear as exc:
        return SolveResult(status=Status.ERROR, solver="pdhg",
                           message=f"PDHG solves LPs only ({exc})",
                           warnings=["use --solver scip for nonlinear models"],
                           unsuitable_solver=True)
    compiled = time.perf_counter() - t0
    result = solve_linear_model_pdhg(model, time_limit=time_limit)
    result.build_time += compiled
    return result
