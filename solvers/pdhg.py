"""A first-order LP solver in PyTorch (restarted averaged PDHG, as PDLP / cuPDLP).

It solves ``min (or max) c'x + offset`` subject to ``row_lower <= Ax <= row_upper`` and
``col_lower <= x <= col_upper`` (equality, one-sided, ranged and free rows; infinite bounds
allowed) with two sparse matrix-vector products per iteration, on CUDA when present and on the
CPU otherwise. It is meant for LPs too large for simplex; answers are accurate to the
tolerances (PDLP's test: each row violated by at most ``abs_tol + tol * |its bound|``, likewise
each reduced cost, and the duality gap within ``abs_tol + tol * (|pobj| + |dobj|)``), not to
simplex precision. The result says the largest absolute violation of the point it returns.

Infeasible and unbounded LPs are told apart by certificates (a dual ray proves infeasibility; a
primal ray and a feasible point prove unboundedness, and a feasibility run looks for the point
when the ray comes first); ``infeasible_or_unbounded`` only when the budget ran out before that.

Duals follow HiGHS' convention: ``c - A'y`` is the reduced cost, so for a minimization a row at
its lower bound has ``y >= 0``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from optiform.errors import SolverError

PDHG_STATUSES = ("optimal", "infeasible", "unbounded", "infeasible_or_unbounded", "time_limit",
                 "error")
SMALL_NNZ = 1_000_000


@dataclass
class PdhgResult:
    """The outcome of one PDHG solve, in the original (unscaled) space and sense."""

    status: str
    x: np.ndarray
    y: np.ndarray
    objective: float | None
    iterations: int = 0
    primal_residual: float = float("nan")
    """Relative, as PDLP (compared with ``tol``): row violations over ``abs_tol / tol`` plus
    the violated bound (``norm="componentwise"``: the largest; ``"l2"``: 2-norms)."""
    dual_residual: float = float("nan")
    """Relative: reduced costs without a bound to rest on, over ``abs_tol / tol + |c|``."""
    gap: float = float("nan")
    """Relative: |primal obj - dual obj| / (abs_tol / tol + |primal obj| + |dual obj|)."""
    max_violation: float = float("nan")
    """Absolute: the largest violation of a row or column bound by ``x`` (float64, on host)."""
    time: float = 0.0
    device: str = "cpu"
    restarts: int = 0
    message: str = ""
    log: list[str] = field(default_factory=list)


def resolve_device(device: str = "auto") -> Any:
    """``auto`` -> cuda when torch sees a GPU, else cpu; anything else as torch names it."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise SolverError(f"unknown device {device!r}", hint="use auto, cpu or cuda") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SolverError("device 'cuda' was asked for but torch sees no GPU",
                          hint="use device='auto' or 'cpu'")
    return dev


def _vec(name: str, v: Any, size: int) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64).reshape(-1)
    if a.shape[0] != size:
        raise SolverError(f"{name} has {a.shape[0]} entries, expected {size}",
                          hint="pass one entry per row (row bounds) or per column")
    if np.isnan(a).any():
        raise SolverError(f"{name} contains NaN", hint="use +-inf for missing bounds")
    return a


def max_violation(a: sp.csr_matrix, x: np.ndarray, row_lower: np.ndarray,
                  row_upper: np.ndarray, col_lower: np.ndarray, col_upper: np.ndarray) -> float:
    """The largest absolute violation of a row or column bound by ``x`` (an infinite entry
    of ``x`` at an infinite bound, as for an unbounded separable LP, counts as none); nan
    for a point that is not a number (the iterates of a solve that broke down)."""
    if np.isnan(x).any():
        return float("nan")
    worst = 0.0
    with np.errstate(invalid="ignore"):  # inf - inf: nan, left out below
        for v, lo, up in ((a @ x, row_lower, row_upper), (x, col_lower, col_upper)):
            d = np.fmax(lo - v, v - up)
            d = d[~np.isnan(d)]
            if d.size:
                worst = max(worst, float(d.max()))
    return worst


def _check_tolerances(tol: float, abs_tol: float | None, norm: str) -> float:
    """abs_tol (None: tol) after checking the three; tol must be positive (it divides)."""
    from optiform.solvers.pdhg_loop import NORMS

    if not tol > 0 or not (abs_tol is None or abs_tol >= 0):
        raise SolverError(f"tolerances must be positive (tol {tol!r}, abs_tol {abs_tol!r})",
                          hint="tol is relative (e.g. 1e-6); abs_tol absolute, or None for tol")
    if norm not in NORMS:
        raise SolverError(f"unknown norm {norm!r}", hint="use " + " or ".join(NORMS))
    return tol if abs_tol is None else abs_tol


def _separable(c: np.ndarray, lx: np.ndarray, ux: np.ndarray) -> tuple[str, np.ndarray]:
    """min c'x over a box: each coordinate at the bound its cost points to."""
    x = np.clip(np.zeros_like(c), lx, ux)
    x = np.where(c > 0, lx, np.where(c < 0, ux, x))
    return ("optimal" if np.isfinite(x).all() else "unbounded"), x


def solve_lp_pdhg(c: Any, A: Any, row_lower: Any, row_upper: Any, col_lower: Any,
                  col_upper: Any, *, sense: str = "minimize", offset: float = 0.0,
                  tol: float = 1e-6, abs_tol: float | None = None, norm: str = "componentwise",
                  max_iter: int = 200_000, time_limit: float = 60.0, device: str = "auto",
                  dtype: Any = None, check_every: int = 64, threads: int | None = None
                  ) -> PdhgResult:
    """Solve an LP with restarted averaged PDHG; see the module docstring for the form.

    Optimal means PDLP's test with eps_rel = ``tol`` and eps_abs = ``abs_tol`` (None: ``tol``)
    in ``norm``: "componentwise" (each row and reduced cost on its own, PDLP's
    L_INF_COMPONENTWISE; the default, so that a row with a small bound is not excused by
    large bounds elsewhere) or "l2" (2-norms against the norms of the bounds and of c, PDLP's
    default). The iteration and time limits cover a feasibility run, if one is needed.

    ``device``: "auto" (cuda if torch sees a GPU, else cpu), "cpu", "cuda", "cuda:1"...
    ``dtype``: torch float type of the iterates (default float64).
    ``check_every``: iterations between convergence checks (the only host synchronisations).
    ``threads``: CPU threads torch may use during the solve (restored afterwards); None uses
    one thread below ``SMALL_NNZ`` nonzeros, where threading costs more than it gives (and
    far more on a busy machine), and torch's setting above.
    """
    import torch

    from optiform.solvers.pdhg_loop import PdhgOptions, run_pdhg
    from optiform.solvers.pdhg_problem import DeviceLP
    from optiform.solvers.pdhg_scaling import bound_norm, precondition

    t0 = time.perf_counter()
    if sense not in ("minimize", "maximize"):
        raise SolverError(f"unknown sense {sense!r}", hint="use 'minimize' or 'maximize'")
    eps_abs = _check_tolerances(tol, abs_tol, norm)
    dev = resolve_device(device)
    dtype = dtype or torch.float64
    a = sp.csr_matrix(A, dtype=np.float64)
    m, n = a.shape
    c0 = _vec("c", c, n)
    rl, ru = _vec("row_lower", row_lower, m), _vec("row_upper", row_upper, m)
    cl, cu = _vec("col_lower", col_lower, n), _vec("col_upper", col_upper, n)
    if not np.isfinite(a.data).all() or not np.isfinite(c0).all():
        raise SolverError("A or c has an infinite or NaN entry", hint="check the model data")
    sign = -1.0 if sense == "maximize" else 1.0
    cmin = sign * c0

    def result(status: str, x: np.ndarray, y: np.ndarray, message: str = "", **kw: Any
               ) -> PdhgResult:
        obj = float(c0 @ x) + offset if status == "optimal" else None
        viol = max_violation(a, x, rl, ru, cl, cu)
        if status == "optimal":
            message = (f"optimal within tol {tol:g}, abs_tol {eps_abs:g} ({norm}); the largest "
                       f"absolute violation of a row or bound is {viol:.1e}")
        return PdhgResult(status, x, sign * y, obj, time=time.perf_counter() - t0,
                          device=str(dev), message=message, max_violation=viol, **kw)

    bad_rows = np.flatnonzero((rl > ru) | (rl == np.inf) | (ru == -np.inf))
    bad_cols = np.flatnonzero((cl > cu) | (cl == np.inf) | (cu == -np.inf))
    if bad_rows.size or bad_cols.size:
        what = f"row {bad_rows[0]}" if bad_rows.size else f"column {bad_cols[0]}"
        return result("infeasible", np.zeros(n), np.zeros(m), f"{what} has empty bounds")
    a.eliminate_zeros()
    if a.nnz == 0:  # no coupling: rows must admit 0, columns are separable
        if ((rl > 0) | (ru < 0)).any():
            return result("infeasible", np.zeros(n), np.zeros(m), "an empty row excludes 0")
        status, x = _separable(cmin, cl, cu)
        return result(status, x, np.zeros(m), primal_residual=0.0, dual_residual=0.0, gap=0.0)

    scaled = precondition(a, cmin, rl, ru, cl, cu)
    lp = DeviceLP(scaled, cmin, rl, ru, dev, dtype)
    cn = float(np.linalg.norm(scaled.c))
    bn = bound_norm(scaled.row_lower, scaled.row_upper)
    omega = cn / bn if cn > 1e-10 and bn > 1e-10 else 1.0
    eta = 1.0 / float(np.abs(scaled.A.data).max())
    opts = PdhgOptions(eps_rel=tol, eps_abs=eps_abs, norm=norm, max_iter=max_iter,
                       time_limit=time_limit, started=t0, check_every=check_every)
    saved = torch.get_num_threads()
    want = threads or (1 if a.nnz < SMALL_NNZ else None)
    try:
        if dev.type == "cpu" and want:
            torch.set_num_threads(want)
        with torch.inference_mode():
            out = run_pdhg(lp, opts, omega, eta)
            x = (out.point.x * lp.cs).cpu().numpy()
            y = (out.point.y * lp.rs).cpu().numpy()
    finally:
        torch.set_num_threads(saved)
    mm = out.measure
    return result(out.status, x, y, out.message, iterations=out.iterations,
                  primal_residual=mm.rel_primal, dual_residual=mm.rel_dual, gap=mm.rel_gap,
                  restarts=out.restarts, log=out.log)
