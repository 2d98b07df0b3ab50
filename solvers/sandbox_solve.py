"""Solve a Pyomo model built by untrusted code and describe the outcome as plain JSON data.

Runs inside the sandbox child (loaded by file path by ``sandbox_harness.py``), so it imports
nothing from optiform: only the standard library and Pyomo's ``contrib.solver`` interfaces,
``highs`` (highspy) for LP/MILP/convex QP and ``scip_direct`` (pyscipopt) for the rest.
The status words are those of ``optiform.solvers.result.Status``.
"""

from __future__ import annotations

import math
import time
from typing import Any

# Pyomo TerminationCondition member name -> our status (optiform.solvers.result.Status values)
TERMINATION_STATUS = {
    "convergenceCriteriaSatisfied": "optimal",
    "maxTimeLimit": "time_limit",
    "iterationLimit": "time_limit",
    "objectiveLimit": "time_limit",
    "unbounded": "unbounded",
    "provenInfeasible": "infeasible",
    "locallyInfeasible": "infeasible",
    "infeasibleOrUnbounded": "infeasible_or_unbounded",
    "minStepLength": "error",
    "error": "error",
    "interrupted": "error",
    "licensingProblems": "error",
    "emptyModel": "error",
    "unknown": "error",
}
_MESSAGES = {
    "infeasible": "the model is infeasible: no point satisfies every constraint",
    "unbounded": "the model is unbounded: the objective improves without limit "
                 "(a missing constraint or bound?)",
    "infeasible_or_unbounded": "the model is infeasible or unbounded (the solver could not "
                               "tell which)",
    "emptyModel": "the model has no variables",
}
SOLVER_NAMES = {"highs": "highs", "scip": "scip_direct"}


def _part(e: Any) -> str:
    """An element in a key, as solvers.values writes it (this file runs in the sandbox,
    where optiform cannot be imported): one holding a comma or a quote is quoted."""
    text = str(e)
    return '"' + text.replace('"', '""') + '"' if "," in text or '"' in text else text


def _key(index: Any) -> str:
    return ",".join(map(_part, index)) if isinstance(index, tuple) else _part(index)


def _number(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def needs_scip(model: Any) -> bool:
    """True when HiGHS cannot take the model: nonlinear constraints, an objective beyond
    quadratic, or a quadratic objective over integer variables."""
    from pyomo.environ import Constraint, Objective, Var

    for con in model.component_data_objects(Constraint, active=True, descend_into=True):
        degree = con.body.polynomial_degree()
        if degree is None or degree > 1:
            return True
    for obj in model.component_data_objects(Objective, active=True, descend_into=True):
        degree = obj.expr.polynomial_degree()
        if degree is None or degree > 2:
            return True
        if degree == 2 and any(
            not v.is_continuous() for v in model.component_data_objects(Var, descend_into=True)
        ):
            return True
    return False


def variable_values(model: Any) -> dict[str, Any]:
    """{name: value} for scalar variables, {name: {index key: value}} for indexed ones."""
    from pyomo.environ import Var

    values: dict[str, Any] = {}
    for var in model.component_objects(Var, active=True, descend_into=True):
        if var.is_indexed():
            values[var.name] = {_key(i): _number(v.value) for i, v in var.items()}
        else:
            values[var.name] = _number(var.value)
    return values


def warm_up(threads: int = 1) -> None:
    """Solve a one-variable LP so HiGHS's global scheduler starts with ``threads`` threads.

    HiGHS keeps one scheduler per process; later solves that leave ``threads`` at its default
    reuse it, whatever the code asked for, so a sandbox never starts more threads than this.
    """
    import pyomo.environ as pyo
    from pyomo.contrib.solver.common.factory import SolverFactory

    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.o = pyo.Objective(expr=m.x)
    SolverFactory("highs").solve(m, threads=threads, load_solutions=False,
                                 raise_exception_on_nonoptimal_result=False)


def solve_model(model: Any, solver: str = "highs", time_limit: float = 20.0) -> dict[str, Any]:
    """Solve ``model`` and return the result record (status, objective, values, message)."""
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.results import SolutionStatus
    from pyomo.core.base.block import BlockData
    from pyomo.environ import Objective

    record: dict[str, Any] = {"status": "error", "objective": None, "values": {},
                              "message": "", "traceback": None}
    if not isinstance(model, BlockData):
        record["message"] = f"expected a Pyomo model (ConcreteModel), got {type(model).__name__}"
        return record
    objectives = list(model.component_data_objects(Objective, active=True, descend_into=True))
    if len(objectives) != 1:
        record["message"] = (f"the model has {len(objectives)} active objectives; it needs "
                             "exactly one")
        return record
    name = "scip" if solver == "scip" or needs_scip(model) else "highs"
    opt = SolverFactory(SOLVER_NAMES[name])
    if not opt.available():
        record["message"] = f"the solver {name} is not available"
        return record
    options: dict[str, Any] = {"time_limit": time_limit, "load_solutions": False,
                               "raise_exception_on_nonoptimal_result": False}
    started = time.perf_counter()
    results = opt.solve(model, **options)
    record["solver"] = name
    record["solve_time"] = round(time.perf_counter() - started, 6)
    condition = results.termination_condition.name
    status = TERMINATION_STATUS.get(condition, "error")
    has_point = results.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
    if status in ("optimal", "time_limit") and has_point:
        results.solution_loader.load_vars()
        record["objective"] = _number(results.incumbent_objective)
        record["values"] = variable_values(model)
    record["status"] = status
    if status == "optimal":
        record["message"] = f"optimal, objective {record['objective']:.10g}"
    elif status == "time_limit":
        best = record["objective"]
        record["message"] = (f"stopped at a solver limit ({condition}) after "
                             f"{record['solve_time']:.1f}s; " +
                             (f"best objective found {best:.10g}" if best is not None
                              else "no feasible solution found"))
    else:
        record["message"] = _MESSAGES.get(condition) or _MESSAGES.get(status) or (
            f"the solver {name} stopped with {condition}")
    return record
