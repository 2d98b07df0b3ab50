"""HiGHS through highspy: the compiled arrays in, one SolveResult out.

Plain data in (``apply``), one call that touches the solver, the raw answer mapped back through
an explicit status map (``invert``), as cvxpy does it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from optiform.errors import InputError, SolverError
from optiform.solvers.result import SolveResult, Status, status_message, tail

IIS_STRATEGY = 4  # irreducible infeasible subset from the LP (HiGHS 1.16 numbering)
# HiGHS's subsets are of the LP relaxation; when it has none, the model is infeasible only
# for its integers, and naming every row would blame them all
NO_SUBSET = ("no conflict set: the model is infeasible because its variables must be whole "
             "numbers (its LP relaxation has solutions)")


def _status_map() -> dict[Any, Status]:
    import highspy

    M = highspy.HighsModelStatus
    return {
        M.kOptimal: Status.OPTIMAL,
        M.kInfeasible: Status.INFEASIBLE,
        M.kUnbounded: Status.UNBOUNDED,
        M.kUnboundedOrInfeasible: Status.INFEASIBLE_OR_UNBOUNDED,
        M.kTimeLimit: Status.TIME_LIMIT,
        M.kIterationLimit: Status.TIME_LIMIT,
        M.kSolutionLimit: Status.TIME_LIMIT,
        M.kInterrupt: Status.TIME_LIMIT,
        M.kHighsInterrupt: Status.TIME_LIMIT,
        M.kObjectiveBound: Status.TIME_LIMIT,
        M.kObjectiveTarget: Status.TIME_LIMIT,
        M.kModelEmpty: Status.OPTIMAL,
        M.kNotset: Status.ERROR,
        M.kLoadError: Status.ERROR,
        M.kModelError: Status.ERROR,
        M.kPresolveError: Status.ERROR,
        M.kSolveError: Status.ERROR,
        M.kPostsolveError: Status.ERROR,
        M.kUnknown: Status.ERROR,
        M.kMemoryLimit: Status.ERROR,
    }


def new_highs() -> Any:
    """A Highs instance. The copyright banner HiGHS prints (to the C stdout, once per process)
    is dropped: stdout stays clean for --json, and stderr for the user's messages."""
    import highspy

    global _BANNER_DONE
    if _BANNER_DONE:
        return highspy.Highs()
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_DONE = True
    return h


_BANNER_DONE = False


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


class HighsRun:
    """One HiGHS instance with logging to a private file (read back as the log tail)."""

    def __init__(self, *, time_limit: float, mip_gap: float, threads: int | None = None) -> None:
        self.h = new_highs()
        self.time_limit = float(time_limit)
        self.no_subset = False  # HiGHS said the infeasible model has no IIS (a MILP's)
        self.ctrl_c = False  # Ctrl-C stopped the solve (in the main thread)
        fd, self.log_path = tempfile.mkstemp(prefix="optiform-highs-", suffix=".log")
        os.close(fd)
        opts = {
            "output_flag": True, "log_to_console": False, "log_file": self.log_path,
            "time_limit": float(time_limit), "mip_rel_gap": float(mip_gap),
        }
        if threads:
            opts["threads"] = int(threads)
        for k, v in opts.items():
            self.h.setOptionValue(k, v)

    def log(self) -> str:
        try:
            return tail(Path(self.log_path).read_text(errors="replace"))
        except OSError:
            return ""

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)

    def run(self) -> tuple[Status, float]:
        """Solve; when presolve cannot tell infeasible from unbounded, solve again without it
        (HiGHS's own advice), within what is left of the time limit. A turn cancelled
        meanwhile (its client went away) stops HiGHS too, and so does Ctrl-C in the main
        thread (see ``ctrl_c_stops``; :meth:`stopped_at` says which)."""
        from optiform.cancellation import current_flag, stop_when_cancelled

        if current_flag() is not None or _in_main_thread():
            with contextlib.suppress(Exception):  # highspy's switch for cancelSolve
                self.h.HandleUserInterrupt = True
        with stop_when_cancelled(self.h.cancelSolve):
            return self._run()

    def stopped_at(self) -> str:
        """What stopped a solve that ended without its answer: for status_message."""
        import highspy

        if self.h.getModelStatus() in (highspy.HighsModelStatus.kInterrupt,
                                       highspy.HighsModelStatus.kHighsInterrupt):
            return "an interrupt (Ctrl-C)" if self.ctrl_c else "a cancel of the turn"
        return "the time limit"

    def _solve_once(self) -> None:
        from optiform.cancellation import ctrl_c_stops

        with ctrl_c_stops(self.h.cancelSolve) as ctrl_c:
            self.h.run()
        self.ctrl_c = self.ctrl_c or ctrl_c.pressed

    def _run(self) -> tuple[Status, float]:
        t0 = time.perf_counter()
        self._solve_once()
        status = _status_map().get(self.h.getModelStatus(), Status.ERROR)
        left = self.time_limit - (time.perf_counter() - t0)
        if status is Status.INFEASIBLE_OR_UNBOUNDED and left > 0.05 and not self.ctrl_c:
            self.h.setOptionValue("presolve", "off")
            self.h.setOptionValue("time_limit", left)
            self._solve_once()
            status = _status_map().get(self.h.getModelStatus(), Status.ERROR)
            self.h.setOptionValue("presolve", "choose")
            self.h.setOptionValue("time_limit", self.time_limit)
        return status, time.perf_counter() - t0

    def objective(self, status: Status) -> float | None:
        if status is Status.OPTIMAL or (status is Status.TIME_LIMIT and self.has_solution()):
            return float(self.h.getInfo().objective_function_value)
        return None

    def mip_stats(self, objective: float | None) -> dict[str, float]:
        """For a MIP with a solution: the relative gap HiGHS stopped at and its dual bound
        (so an answer stopped by a loose --mip-gap, or by the time limit, says how far from
        proven optimal it may be)."""
        if objective is None:
            return {}
        info = self.h.getInfo()
        return {"mip_gap": float(info.mip_gap), "mip_dual_bound": float(info.mip_dual_bound)}

    def has_solution(self) -> bool:
        return bool(self.h.getInfo().primal_solution_status == 2)

    def iis_rows(self) -> list[int]:
        return self.iis()[0]

    def iis(self) -> tuple[list[int], list[int]]:
        """The rows and the columns (whose bounds take part) of an irreducible infeasible
        subset; empty lists when HiGHS finds none, or finds that what it has is none (a MILP
        whose LP relaxation is feasible: the rows it lists are all of them, no subset)."""
        try:
            self.h.setOptionValue("iis_strategy", IIS_STRATEGY)
            _status, iis = self.h.getIis()
        except Exception:
            return [], []
        rows = [int(r) for r in iis.row_index_]
        if not rows:
            try:
                self.h.setOptionValue("iis_strategy", 2)
                _status, iis = self.h.getIis()
                rows = [int(r) for r in iis.row_index_]
            except Exception:
                return [], []
        if not getattr(iis, "valid_", True):
            self.no_subset = True
            return [], []
        return rows, [int(c) for c in getattr(iis, "col_index_", [])]


def pass_model(h: Any, model: Any, name: str = "") -> None:
    """Hand a LinearModel to HiGHS (row-wise matrix, no per-term Python objects); ``name``
    is the model's name (the NAME line of an MPS file HiGHS writes)."""
    import highspy

    lp = highspy.HighsLp()
    lp.model_name_ = name
    n, m = model.num_cols, model.num_rows
    lp.num_col_ = n
    lp.num_row_ = m
    sign = -1.0 if (model.q is not None and model.sense == "maximize") else 1.0
    lp.col_cost_ = sign * model.c
    lp.offset_ = sign * model.offset
    lp.col_lower_ = model.col_lower
    lp.col_upper_ = model.col_upper
    lp.row_lower_ = model.row_lower
    lp.row_upper_ = model.row_upper
    if model.sense == "maximize" and sign > 0:
        lp.sense_ = highspy.ObjSense.kMaximize
    a = model.A
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = m
    if model.integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in model.integer]
    if h.passModel(lp) == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model", hint="see the log tail")
    if model.q is not None:
        _pass_hessian(h, model.q, n, sign)


def _pass_hessian(h: Any, q: tuple[np.ndarray, np.ndarray, np.ndarray], n: int,
                  sign: float) -> None:
    """HiGHS minimizes c'x + x'Qx/2 with Q given as its lower triangle, column-wise."""
    import highspy
    import scipy.sparse as sp

    coef, a, b = q
    lo, hi = np.maximum(a, b), np.minimum(a, b)  # row >= col: lower triangle
    vals = np.where(a == b, 2.0 * coef, coef) * sign
    hess = sp.csc_matrix((vals, (lo, hi)), shape=(n, n))
    hess.sum_duplicates()
    hess.eliminate_zeros()
    hs = highspy.HighsHessian()
    hs.dim_ = n
    hs.format_ = highspy.HessianFormat.kTriangular
    hs.start_ = hess.indptr.astype(np.int32)
    hs.index_ = hess.indices.astype(np.int32)
    hs.value_ = hess.data.astype(float)
    if h.passHessian(hs) == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the quadratic objective", hint="see the log tail")


def solve_linear_model(model: Any, *, time_limit: float = 60.0, mip_gap: float = 1e-6,
                       threads: int | None = None) -> SolveResult:
    from optiform.solvers.values import column_values, row_values

    if model.num_cols == 0:  # HiGHS calls a model with no column "empty", and so optimal
        return _solve_without_columns(model)
    run = HighsRun(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    try:
        t0 = time.perf_counter()
        try:
            pass_model(run.h, model)
        except SolverError as exc:
            return SolveResult(status=Status.ERROR, solver="highs", message=exc.message,
                               log_tail=run.log(), warnings=list(model.warnings))
        build = time.perf_counter() - t0
        status, seconds = run.run()
        obj = run.objective(status)
        if obj is not None and model.q is not None and model.sense == "maximize":
            obj = -obj
        result = SolveResult(
            status=status, objective=obj, solver="highs", solve_time=seconds, build_time=build,
            stats={"variables": model.num_cols, "constraints": model.num_rows,
                   "nonzeros": int(model.A.nnz), "integer": int(model.integer.sum()),
                   "kind": _kind(model),
                   **(run.mip_stats(obj) if model.integer.any() else {})},
            warnings=list(model.warnings),
        )
        if obj is not None:
            sol = run.h.getSolution()
            result.values = column_values(model.blocks, np.asarray(sol.col_value))
            if not model.integer.any() and sol.dual_valid:
                # HiGHS minimized -f for a maximized QP: turn its duals back into d f / d rhs
                duals = np.asarray(sol.row_dual) * (-1.0 if model.q is not None
                                                    and model.sense == "maximize" else 1.0)
                result.duals = row_values(model.families, duals)
        if status is Status.INFEASIBLE:
            rows, cols = run.iis()
            if run.no_subset:
                result.warnings.append(NO_SUBSET)
            result.conflict = list(dict.fromkeys(model.row_name(r) for r in rows))
            result.conflict_bounds = list(dict.fromkeys(model.col_name(c) for c in cols))
        if status is Status.ERROR:
            result.message = "HiGHS failed: " + (run.log().splitlines() or ["no log"])[-1]
        elif status is not Status.OPTIMAL:
            result.message = status_message(result, run.stopped_at())
        result.log_tail = run.log()
        return result
    finally:
        run.close()


def _solve_without_columns(model: Any, tol: float = 1e-9) -> SolveResult:
    """A model whose sets came out empty, so that it has no variable: each row is a constant
    (0) that its bounds hold or not, and the objective is its constant. Each violated row is
    infeasible on its own, so each is an irreducible infeasible subset."""
    lo, hi = np.asarray(model.row_lower, float), np.asarray(model.row_upper, float)
    broken = [r for r in range(model.num_rows)
              if lo[r] > tol * (1 + abs(lo[r])) or hi[r] < -tol * (1 + abs(hi[r]))]
    stats = {"variables": 0, "constraints": model.num_rows, "nonzeros": 0, "integer": 0,
             "kind": _kind(model)}
    warnings = [*model.warnings, "the model has no variable (its index sets are empty): "
                "every constraint is a comparison of numbers"]
    if broken:
        names = list(dict.fromkeys(model.row_name(r) for r in broken))
        return SolveResult(status=Status.INFEASIBLE, solver="highs", stats=stats,
                           conflict=names, warnings=warnings,
                           message=f"with no variable, {', '.join(names[:5])} cannot hold")
    from optiform.solvers.values import column_values

    return SolveResult(status=Status.OPTIMAL, objective=float(model.offset), solver="highs",
                       stats=stats, warnings=warnings,
                       values=column_values(model.blocks, np.zeros(0)))  # {"s": {}}, as SCIP


def _kind(model: Any) -> str:
    base = "MI" if model.integer.any() else ""
    return base + ("QP" if model.q is not None else "LP")


@dataclass
class FileModel:
    """An MPS/LP file as arrays (row-wise matrix) with its column and row names."""

    c: np.ndarray
    A: Any  # scipy.sparse.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    offset: float
    sense: str
    col_names: list[str]
    row_names: list[str]
    integer: np.ndarray
    quadratic: bool
    warnings: list[str] = field(default_factory=list)  # what HiGHS's reader said it dropped


def read_model_file(path: str | Path) -> FileModel:
    """Read an MPS or LP file with HiGHS into arrays; InputError when HiGHS cannot read it."""
    import highspy
    import scipy.sparse as sp

    run = HighsRun(time_limit=60.0, mip_gap=1e-6)
    try:
        warnings = _read(run, path)
        lp = run.h.getLp()
        m = lp.a_matrix_
        n_rows, n_cols = lp.num_row_, lp.num_col_
        a = sp.csc_matrix((np.asarray(m.value_, float), np.asarray(m.index_),
                           np.asarray(m.start_)), shape=(n_rows, n_cols)).tocsr() \
            if m.format_ == highspy.MatrixFormat.kColwise else \
            sp.csr_matrix((np.asarray(m.value_, float), np.asarray(m.index_),
                           np.asarray(m.start_)), shape=(n_rows, n_cols))
        kinds = list(lp.integrality_)
        integer = np.array([k != highspy.HighsVarType.kContinuous for k in kinds], bool) \
            if kinds else np.zeros(n_cols, bool)
        return FileModel(
            c=np.asarray(lp.col_cost_, float), A=a, row_lower=np.asarray(lp.row_lower_, float),
            row_upper=np.asarray(lp.row_upper_, float),
            col_lower=np.asarray(lp.col_lower_, float),
            col_upper=np.asarray(lp.col_upper_, float), offset=float(lp.offset_),
            sense="maximize" if lp.sense_ == highspy.ObjSense.kMaximize else "minimize",
            col_names=_names(lp.col_names_, "x", n_cols),
            row_names=_names(lp.row_names_, "row", n_rows), integer=integer,
            quadratic=run.h.getModel().hessian_.dim_ > 0, warnings=warnings)
    finally:
        run.close()


def _names(given: Any, prefix: str, n: int) -> list[str]:
    names = list(given)
    return names if len(names) == n else [f"{prefix}{i}" for i in range(n)]


def _read(run: HighsRun, path: str | Path) -> list[str]:
    """Read the file into ``run``; the warnings HiGHS's reader gave (it reads leniently: a
    row that ROWS never declared is dropped, and says so only in its log)."""
    import highspy

    if run.h.readModel(str(path)) == highspy.HighsStatus.kError:
        said = [line.strip() for line in run.log().splitlines() if line.strip()]
        raise InputError(f"HiGHS could not read {path}" + (f": {said[-1]}" if said else ""),
                         hint="give an MPS (.mps, free or fixed format) or CPLEX LP (.lp) "
                              "file, optionally gzipped; `optiform export FILE.json --to "
                              "mps` writes one from a formulation")
    return [f"reading {Path(path).name}: {line.strip().removeprefix('WARNING:').strip()}"
            for line in run.log().splitlines() if line.strip().startswith("WARNING")]


def solve_mps(path: str | Path, *, time_limit: float = 60.0, mip_gap: float = 1e-6,
              iis: bool = True) -> SolveResult:
    """Read an MPS/LP file with HiGHS and solve it (used by golden tests and `optiform solve`).
    A file HiGHS cannot read is an InputError. Values and duals are keyed by the file's
    column and row names."""
    import highspy

    run = HighsRun(time_limit=time_limit, mip_gap=mip_gap)
    try:
        warnings = _read(run, path)
        status, seconds = run.run()
        lp = run.h.getLp()
        cols = _names(lp.col_names_, "x", lp.num_col_)
        rows = _names(lp.row_names_, "row", lp.num_row_)
        objective = run.objective(status)
        res = SolveResult(status=status, objective=objective, solver="highs",
                          solve_time=seconds, warnings=warnings,
                          stats={"variables": lp.num_col_, "constraints": lp.num_row_})
        if objective is not None:  # by the file's own names, as a formulation's are given
            sol = run.h.getSolution()
            res.values = dict(zip(cols, map(float, sol.col_value), strict=True))
            mip = any(k != highspy.HighsVarType.kContinuous for k in lp.integrality_)
            if mip:
                res.stats.update(run.mip_stats(objective))
            if sol.dual_valid and not mip:
                res.duals = dict(zip(rows, map(float, sol.row_dual), strict=True))
        if status is Status.INFEASIBLE and iis:
            res.conflict = [rows[r] if r < len(rows) else f"row{r}" for r in run.iis_rows()]
            if run.no_subset:
                res.warnings.append(NO_SUBSET)
        res.log_tail = run.log()
        if status not in (Status.OPTIMAL, Status.ERROR):
            res.message = status_message(res, run.stopped_at())
        if status is Status.ERROR:
            said = [line.strip() for line in res.log_tail.splitlines() if line.strip()]
            why = next((line for line in reversed(said) if "cannot" in line.lower()
                        or "non-convex" in line.lower()), said[-1] if said else "no log")
            why = why.removeprefix("ERROR:").strip()
            res.message = f"HiGHS failed: {why}"
            if run.h.getModel().hessian_.dim_ > 0 and ("non-convex" in why.lower()
                                                      or "cannot solve" in why.lower()):
                res.unsuitable_solver = True
                res.message = (f"HiGHS cannot solve this file's quadratic objective ({why}); "
                               "it solves convex QPs over continuous variables only, and it "
                               "is the solver that reads MPS and LP files here")
                res.warnings.append("written as a formulation (JSON), the model can go to "
                                    "SCIP: optiform solve --formulation FILE --solver scip")
        return res
    finally:
        run.close()
