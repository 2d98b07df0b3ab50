"""The general route: a checked formulation built in Pyomo and solved by SCIP (or HiGHS).

Solvers come from ``pyomo.contrib.solver`` (``scip_direct`` on pyscipopt, ``highs`` on
highspy); their termination conditions map to our ``Status`` through one explicit table.
SCIP writes its log to a file of its own, read back into the result (see ``_solve_scip``),
never to stdout, so ``optiform solve --json`` keeps stdout clean.
"""

from __future__ import annotations

import ast
import contextlib
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from optiform.cancellation import cancelled, ctrl_c_stops, current_flag
from optiform.errors import SolverError
from optiform.solvers.data import ModelData
from optiform.solvers.pyomo_build import PyomoBuild, build_pyomo, build_pyomo_model
from optiform.solvers.pyomo_eval import ZERO_DENOMINATOR
from optiform.solvers.pyomo_names import index_key
from optiform.solvers.result import SolveResult, Status, tail
from optiform.solvers.validate import ParsedModel

__all__ = ["build_pyomo", "solve_parsed_with_pyomo", "solve_pyomo_build", "status_map"]

SOLVER_NAMES = {"scip": "scip_direct", "highs": "highs"}
IIS_TIME_LIMIT = 20.0

def status_map() -> dict[Any, Status]:
    """Pyomo contrib TerminationCondition -> Status, every member listed."""
    from pyomo.contrib.solver.common.results import TerminationCondition as TC

    return {
        TC.convergenceCriteriaSatisfied: Status.OPTIMAL,
        TC.maxTimeLimit: Status.TIME_LIMIT,
        TC.iterationLimit: Status.TIME_LIMIT,
        TC.objectiveLimit: Status.TIME_LIMIT,
        TC.interrupted: Status.TIME_LIMIT,
        TC.unbounded: Status.UNBOUNDED,
        TC.provenInfeasible: Status.INFEASIBLE,
        TC.locallyInfeasible: Status.INFEASIBLE,
        TC.infeasibleOrUnbounded: Status.INFEASIBLE_OR_UNBOUNDED,
        TC.emptyModel: Status.OPTIMAL,
        TC.minStepLength: Status.ERROR,
        TC.error: Status.ERROR,
        TC.licensingProblems: Status.ERROR,
        TC.unknown: Status.ERROR,
    }


def solve_parsed_with_pyomo(parsed: ParsedModel, data: ModelData, *, solver: str = "scip",
                            time_limit: float = 60.0, mip_gap: float = 1e-6) -> SolveResult:
    """Build the formulation in Pyomo and solve it; FormulationError for bad input."""
    if solver not in SOLVER_NAMES:
        raise SolverError(f"unknown solver {solver!r} for the Pyomo route",
                          hint="choose scip or highs")
    t0 = time.perf_counter()
    built = build_pyomo_model(parsed, data)
    build_time = time.perf_counter() - t0
    result = solve_pyomo_build(built, solver=solver, time_limit=time_limit, mip_gap=mip_gap)
    result.build_time = build_time
    result.warnings = [*built.warnings, *result.warnings]
    return result


def model_stats(model: Any) -> dict[str, Any]:
    """Size and kind (LP, MILP, QP, MIQP, NLP, MINLP) of a Pyomo model."""
    from pyomo.environ import Constraint, Objective, Var

    variables = list(model.component_data_objects(Var, descend_into=True))
    cons = list(model.component_data_objects(Constraint, active=True, descend_into=True))
    integer = sum(1 for v in variables if not v.is_continuous())
    nonlinear = any(c.body.polynomial_degree() not in (0, 1) for c in cons)
    degrees = (o.expr.polynomial_degree()
               for o in model.component_data_objects(Objective, active=True))
    obj_degree = max(99 if d is None else d for d in degrees)
    base = "NLP" if nonlinear or obj_degree > 2 else "QP" if obj_degree == 2 else "LP"
    kind = ("MI" if integer else "") + base
    return {"variables": len(variables), "constraints": len(cons), "integer": integer,
            "kind": kind}


def solve_pyomo_build(built: PyomoBuild, *, solver: str = "scip", time_limit: float = 60.0,
                      mip_gap: float = 1e-6) -> SolveResult:
    """Solve a built model; solver trouble comes back as status ``error``."""
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.results import SolutionStatus

    stats = model_stats(built.model)
    name = solver
    if solver == "highs" and stats["kind"] not in ("LP", "MILP", "QP"):
        return SolveResult(status=Status.ERROR, solver=name, stats=stats,
                           message=f"HiGHS cannot solve a {stats['kind']} model",
                           warnings=["use --solver scip for nonlinear models"])
    if solver == "highs":
        from optiform.solvers.highs_backend import new_highs

        new_highs()  # HiGHS writes its banner once per process: drop it
    opt = SolverFactory(SOLVER_NAMES[solver])
    if not opt.available():
        return SolveResult(status=Status.ERROR, solver=name, stats=stats,
                           message=f"the solver {name} is not available",
                           warnings=["install pyscipopt (SCIP) or highspy (HiGHS)"])
    t0 = time.perf_counter()
    try:
        if solver == "scip":
            results = _solve_scip(opt, built, time_limit, mip_gap)
        else:
            results = opt.solve(built.model, time_limit=float(time_limit),
                                rel_gap=float(mip_gap), load_solutions=False,
                                raise_exception_on_nonoptimal_result=False)
    except Exception as exc:  # the backend failed: report it as a status, not a crash
        return SolveResult(status=Status.ERROR, solver=name, stats=stats,
                           solve_time=time.perf_counter() - t0,
                           message=f"{name} failed: {type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - t0
    status = status_map().get(results.termination_condition, Status.ERROR)
    log = results.solver_log or ""
    if solver == "scip":
        log = (log + "\n" + scip_summary(opt)).strip()
    result = SolveResult(status=status, solver=name, solve_time=seconds, stats=stats,
                         log_tail=tail(log))
    has_point = results.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
    if status in (Status.OPTIMAL, Status.TIME_LIMIT) and has_point:
        results.solution_loader.load_vars()
        result.values = named_values(built)
        result.objective = _objective_value(built, results)
        if solver == "highs" and stats["integer"] == 0:
            result.duals = _duals(built, results)
    elif status is Status.OPTIMAL:
        result.status = Status.ERROR
        result.message = f"{name} reported optimal but returned no solution"
    if status is Status.INFEASIBLE and solver == "scip":
        result.conflict = scip_conflict(opt, built, min(IIS_TIME_LIMIT, time_limit))
    if status is Status.TIME_LIMIT and solver == "scip" and cancelled():
        result.message = "stopped: the turn was cancelled"
    result.message = result.message or _message(result, results.termination_condition.name)
    if status is Status.INFEASIBLE and any(ZERO_DENOMINATOR in w for w in built.warnings):
        result.message = ("the solver found no feasible point, but a denominator can be 0 "
                          "(see the warnings): the division, not the constraints, may be why")
    return result


def _solve_scip(opt: Any, built: PyomoBuild, time_limit: float, mip_gap: float) -> Any:
    """Pyomo's ``scip_direct`` solve, less its capture of the process's stdout and stderr.

    Pyomo points file descriptors 1 and 2 at a pipe for the whole solve, and reads SCIP's log
    from it: C-level output of any thread lands there, past ~64 KiB of log SCIP waits on a
    pipe nobody drains, and a Ctrl-C handled in the main thread while it ran (the CLI printing
    "interrupted") ended in "I/O operation on closed file" and "lost sys.stderr". SCIP writes
    its log to a file of its own instead (errors and warnings only: ``display/verblevel`` 1;
    the closing figures come from :func:`scip_summary`), and nothing to the terminal.
    :class:`_ScipStop` stops it at a cancel or a Ctrl-C. It calls two private methods of
    Pyomo 6.10's ``scip_direct`` (``_create_solver_model``, ``_populate_results``), so
    pyproject pins Pyomo to 6.10."""
    from pyomo.common.timing import HierarchicalTimer
    from pyomo.core.staleflag import StaleFlagManager

    config = opt.config(value={"time_limit": float(time_limit), "rel_gap": float(mip_gap),
                               "load_solutions": False,
                               "raise_exception_on_nonoptimal_result": False},
                        preserve_implicit=True)
    config.timer = HierarchicalTimer()
    StaleFlagManager.mark_all_as_stale()
    scip_model, loader, has_obj = opt._create_solver_model(built.model, config)
    stop = _ScipStop(current_flag(), scip_model)
    params = {"limits/time": float(time_limit), "limits/gap": float(mip_gap),
              "display/verblevel": 1, "misc/catchctrlc": False}  # Ctrl-C: see _ScipStop
    for key, value in params.items():
        scip_model.setParam(key, value)
    with tempfile.TemporaryDirectory(prefix="optiform-scip-") as scratch:
        log_file = Path(scratch) / "scip.log"
        scip_model.setLogfile(str(log_file))
        scip_model.hideOutput(True)  # the log file only: nothing on the terminal
        try:
            with ctrl_c_stops(stop.press):
                scip_model.optimize()
        finally:
            scip_model.setLogfile(None)
        log = log_file.read_text(encoding="utf-8", errors="replace")
    results = opt._populate_results(scip_model, loader, has_obj, config)
    results.solver_log = log
    return results


class _ScipStop:
    """Stops SCIP at a cancel or a Ctrl-C. pyscipopt's ``optimize()`` holds the GIL, so no
    watcher thread can call ``interruptSolve``; an event handler inside the solve looks at
    the turn's cancel flag instead (none outside a turn) and at :meth:`press`, after each
    presolve round, LP and node. SCIP is told not to catch Ctrl-C itself (it would swallow
    it, print to stdout and let the caller go on): in the main thread ``ctrl_c_stops`` sends
    it here; in another thread the handler's Python code lets the main thread take the GIL,
    see it and set the turn's flag."""

    def __init__(self, flag: threading.Event | None, scip_model: Any) -> None:
        self.flag = flag
        self.ctrl_c = False
        scip_model.includeEventhdlr(self._handler(), "optiform_cancel",
                                    "stops the solve when the optiform turn is cancelled")

    def press(self) -> None:
        self.ctrl_c = True

    def _handler(self) -> Any:
        from pyscipopt import SCIP_EVENTTYPE, Eventhdlr

        events = (SCIP_EVENTTYPE.PRESOLVEROUND, SCIP_EVENTTYPE.LPSOLVED,
                  SCIP_EVENTTYPE.NODESOLVED)
        stop = self

        class StopWhenCancelled(Eventhdlr):  # type: ignore[misc]
            def eventinit(self) -> None:
                for event in events:
                    self.model.catchEvent(event, self)

            def eventexit(self) -> None:
                for event in events:
                    self.model.dropEvent(event, self)

            def eventexec(self, event: Any) -> dict[str, Any]:
                if stop.ctrl_c or (stop.flag is not None and stop.flag.is_set()):
                    self.model.interruptSolve()
                return {}

        return StopWhenCancelled()


def _message(result: SolveResult, condition: str) -> str:
    from optiform.solvers.result import status_message

    if condition == "interrupted":  # Ctrl-C kept the result (keep_result_on_ctrl_c)
        return status_message(result, "an interrupt (Ctrl-C)")
    return status_message(result, f"a solver limit ({condition})")


def _clean(v: float) -> float:
    r = round(v)
    return float(r) if abs(v - r) < 1e-9 else float(v)


def _var_value(vd: Any) -> float:
    if vd.value is not None:
        return _clean(float(vd.value))
    lb, ub = vd.bounds  # not in any expression: any value within its bounds is optimal
    value = 0.0 if lb is None else max(0.0, float(lb))  # 0 when the bounds allow it
    return value if ub is None else min(value, float(ub))


def named_values(built: PyomoBuild) -> dict[str, Any]:
    """Variable values by formulation name; indexed ones keyed by elements joined by ','."""
    out: dict[str, Any] = {}
    for fname, cname in built.names.variables.items():
        var = built.model.component(cname)
        if var.is_indexed():
            out[fname] = {index_key(i): _var_value(vd) for i, vd in var.items()}
        else:
            out[fname] = _var_value(var)
    return out


def _objective_value(built: PyomoBuild, results: Any) -> float | None:
    from pyomo.environ import value

    obj = built.model.component(built.names.objective)
    try:
        return float(value(obj.expr))
    except (ArithmeticError, ValueError, TypeError):
        inc = results.incumbent_objective
        return None if inc is None else float(inc)


def row_name(con: Any, built: PyomoBuild) -> str:
    """``name`` or ``name[key]`` of a constraint row, with the formulation's name."""
    comp = con.parent_component()
    fname = built.names.formulation_of.get(comp.name, comp.name)
    return f"{fname}[{index_key(con.index())}]" if comp.is_indexed() else fname


def _duals(built: PyomoBuild, results: Any) -> dict[str, Any]:
    """The rows' duals in ``SolveResult.duals``' meaning (see :func:`_dual_signs`)."""
    try:
        duals = results.solution_loader.get_duals()
    except Exception:  # a solve without valid duals (e.g. presolve solved it)
        return {}
    signs = _dual_signs(built, list(duals))
    out: dict[str, Any] = {}
    for con, d in duals.items():
        comp = con.parent_component()
        fname = built.names.formulation_of.get(comp.name, comp.name)
        value = float(d) * signs.get(con, 1.0) + 0.0  # + 0.0: no -0.0
        if comp.is_indexed():  # a chain's first comparison, as row_values keeps it
            out.setdefault(fname, {}).setdefault(index_key(con.index()), value)
        else:
            out.setdefault(fname, value)
    return out


def _dual_signs(built: PyomoBuild, cons: list[Any]) -> dict[Any, float]:
    """-1 for the rows whose Pyomo dual is per unit added to the other side than the one
    ``SolveResult.duals`` means: the number as written (``build.number_left``, read from the
    text by ``number_side``, as ``linear._orient`` compiles it). Pyomo's dual is per unit
    added to a row's side without variables where it has one (its bound), else to the second
    of its two sides (``a <= b``, ``a >= b`` kept as ``b <= a``, ``a == b``); which of a
    row's sides has no variables can differ from the text where a sum is empty at that row.
    One look at each row's two sides: no walk of its expressions."""
    from pyomo.core.expr.numvalue import is_potentially_variable

    signs: dict[Any, float] = {}
    for con in cons:
        name = con.parent_component().name
        op = built.ops.get(name)
        args = getattr(con.expr, "args", ())
        if op is None or len(args) != 2:  # a range: its ends are its bounds, as written
            continue
        first, second = (bool(is_potentially_variable(arg)) for arg in args)
        if not (first or second):
            continue
        priced_second = first or not second  # the side without variables, else the second
        second_is_left = op in (ast.GtE, ast.Gt)
        if (priced_second == second_is_left) != built.number_left.get(name, False):
            signs[con] = -1.0
    return signs


def scip_summary(opt: Any) -> str:
    """SCIP's closing statistics, read from the solver (its own log is kept quiet)."""
    m = getattr(opt, "_solver_model", None)
    if m is None:
        return ""
    lines = []
    for label, getter in (("SCIP Status", "getStatus"), ("Solving Time (sec)", "getSolvingTime"),
                          ("Solving Nodes", "getNNodes"), ("Primal Bound", "getPrimalbound"),
                          ("Dual Bound", "getDualbound"), ("Gap", "getGap")):
        with contextlib.suppress(Exception):
            lines.append(f"{label:<19}: {getattr(m, getter)()}")
    return "\n".join(lines)


def scip_conflict(opt: Any, built: PyomoBuild, time_limit: float) -> list[str]:
    """Constraint rows of an irreducible infeasible subsystem found by SCIP (best effort;
    the model is quiet since :func:`_solve_scip`, so nothing is captured)."""
    scip_model = getattr(opt, "_solver_model", None)
    con_map = getattr(opt, "_pyomo_con_to_solver_con_map", None)
    if scip_model is None or not con_map:
        return []
    by_name = {sc.name: con for con, sc in con_map.items()}
    try:
        scip_model.setParam("iis/silent", True)
        scip_model.setParam("iis/time", float(time_limit))
        sub = scip_model.generateIIS().getSubscip()
        names = [by_name[c.name] for c in sub.getConss() if c.name in by_name]
    except Exception:  # the IIS is a diagnostic; the status stands without it
        return []
    with contextlib.suppress(Exception):
        names.sort(key=lambda c: list(by_name.values()).index(c))
    return list(dict.fromkeys(row_name(c, built) for c in names))
