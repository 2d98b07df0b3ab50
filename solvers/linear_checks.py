"""Error-path checks of a compiled linear model: undefined values in a constraint or the
objective (an index outside its set, a missing parameter value, 1/0) and numbers that
overflowed. Each names the constraint, the binding of its for_each and the cause."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from optiform.errors import FormulationError
from optiform.solvers.evaluate import Evaluator
from optiform.solvers.expr import target_names
from optiform.solvers.validate import ParsedConstraint, ParsedModel

if TYPE_CHECKING:
    from optiform.solvers.linear import LinearModel

HUGE = 1e20  # HiGHS reads bounds this large as infinite: x >= 1e20 cannot be met


def check_defined(pc: ParsedConstraint, ev: Evaluator, bad: np.ndarray, mask: np.ndarray,
               labels: list[list[Any]]) -> None:
    """Raise, naming the first row binding, when some value of the constraint is undefined."""
    bad = np.broadcast_to(bad, np.broadcast_shapes(np.shape(bad), mask.shape)) & mask
    if not np.any(bad):
        return
    where = tuple(int(w) for w in np.argwhere(bad)[0]) if bad.ndim else ()
    heads = [", ".join(target_names(g.target)) for g in pc.generators]
    binding = ", ".join(f"{h}={_label(labels[k][where[k]])}" for k, h in enumerate(heads))
    message = bad_message(ev, where[:len(heads)])
    raise FormulationError(
        message + (f" when {binding}" if binding else ""),
        where=f"constraint '{pc.name}'", expression=pc.source,
        hint=bad_hint(message, "add a condition to for_each (e.g. 'if t > 1') or give the "
                               "missing value"),
    )


def bad_hint(message: str, missing: str) -> str:
    """The hint for an undefined value: ``missing`` when a value or element is missing, else
    (a division by zero, log or sqrt of a negative) what to do about the arithmetic."""
    if "no value" in message or "missing values" in message or "not an element" in message:
        return missing
    return ("skip the bindings where it is undefined with a condition (e.g. 'if d[i] > 0'), or "
            "fix the data that makes it so")


def _label(e: Any) -> str:
    return "(" + ", ".join(map(repr, e)) + ")" if isinstance(e, tuple) else repr(e)


def bad_message(ev: Evaluator, at: tuple[int, ...]) -> str:
    """Why a value is undefined at the row binding ``at`` (error path only)."""
    for msg, arr in ev.issues:
        a = np.asarray(arr)
        if a.ndim > len(at):  # any over the axes of sums inside the expression
            a = a.any(axis=tuple(range(len(at), a.ndim)))
        idx = tuple(min(p, n - 1) for p, n in zip(at, a.shape, strict=False))
        if a.ndim == 0 or (a.ndim == len(idx) and bool(a[idx])):
            return msg
    return ("a number is undefined (division by zero, log or sqrt of a negative number, "
            "or an index outside its set)")


def check_finite(model: LinearModel, parsed: ParsedModel) -> None:
    """Coefficients that overflowed (1e200 * 1e200) or became NaN (inf - inf)."""
    bad_rows = np.isnan(model.row_lower) | np.isnan(model.row_upper) \
        | (model.row_lower >= HUGE) | (model.row_upper <= -HUGE)
    huge_coef = ~np.isfinite(model.A.data) | (np.abs(model.A.data) >= HUGE)
    if model.A.nnz and huge_coef.any():
        bad_rows[np.repeat(np.arange(model.num_rows), np.diff(model.A.indptr))
                 [huge_coef]] = True
    if bad_rows.any():
        fam, _ = model.family_of_row(int(np.flatnonzero(bad_rows)[0]))
        raise FormulationError("a coefficient or bound is infinite, undefined or beyond 1e20",
                               where=f"constraint '{fam.name}'",
                               expression=parsed.formulation.constraint(fam.name).expression,
                               hint="keep numbers below 1e20 in size and avoid inf - inf")
    q_ok = model.q is None or bool(np.isfinite(model.q[0]).all())
    q_ok = q_ok and (model.q is None or bool((np.abs(model.q[0]) < HUGE).all()))
    if not (np.isfinite(model.c).all() and np.isfinite(model.offset) and q_ok
            and bool((np.abs(model.c) < HUGE).all()) and abs(model.offset) < HUGE):
        raise FormulationError("a coefficient of the objective is infinite, undefined or "
                               "beyond 1e20 (which solvers read as infinite)",
                               where="objective",
                               expression=parsed.formulation.objective.expression,
                               hint="keep numbers below 1e20 in size and avoid inf - inf")
