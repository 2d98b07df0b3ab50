"""The line of shadow prices of an MPS or LP file's answer, as a formulation's answer has it.

A file is its arrays (``solvers.highs_backend.FileModel``): each row ``lo <= a x <= hi`` is one
limit, named by the file, and its dual (``SolveResult.duals``, by row name) is the change of
the optimal objective per unit more of its right-hand side, the number the file writes for it
(a range's: the end that binds). The rules are those of ``agent.shadow_prices``: only for a
model over continuous variables, only the inequality rows that bind (their activity ``a x``,
computed here from the solution, at a bound) and the equality rows, only where the dual is
not 0, and none at a degenerate optimum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from optiform.agent.activity import TOL
from optiform.agent.shadow_prices import MAX_KEYS, at_bound, price_sentence, price_text, zero_price
from optiform.solvers.result import SolveResult

if TYPE_CHECKING:
    from optiform.solvers.highs_backend import FileModel

EQUALITY, INEQUALITY, FREE = "equality", "inequality", "free"


def row_kinds(model: FileModel) -> list[str]:
    """Each row's kind: ``equality`` (``lo == hi``), ``inequality`` (a finite end, a range
    too) or ``free`` (no finite end: no limit)."""
    lo, hi = np.asarray(model.row_lower, float), np.asarray(model.row_upper, float)
    return [EQUALITY if a == b else INEQUALITY if np.isfinite(a) or np.isfinite(b) else FREE
            for a, b in zip(lo, hi, strict=True)]


def activities(model: FileModel, values: dict[str, Any]) -> np.ndarray:
    """Each row's activity ``a x`` at the solution (its values by the file's column names)."""
    x = np.array([float(values.get(name) or 0.0) for name in model.col_names])
    return np.asarray(model.A @ x, float).reshape(-1)


def binding_rows(model: FileModel, values: dict[str, Any]) -> list[int]:
    """The inequality rows at one of their ends, within ``activity.TOL`` as a formulation's."""
    kinds = row_kinds(model)
    out = []
    for r, ax in enumerate(activities(model, values)):
        if kinds[r] != INEQUALITY:
            continue
        for end in (model.row_lower[r], model.row_upper[r]):
            if np.isfinite(end) and abs(end - ax) <= TOL * (1.0 + abs(ax) + abs(end)):
                out.append(r)
                break
    return out


def degenerate(model: FileModel, values: dict[str, Any], binding: list[int]) -> bool:
    """More limits hold with equality (binding rows, equality rows, columns at a bound) than
    there are columns: the duals are not unique (see ``shadow_prices.degenerate``)."""
    count = len(model.col_names)
    at = sum(at_bound(float(values.get(name) or 0.0), lb, ub)
             for name, lb, ub in zip(model.col_names, model.col_lower, model.col_upper,
                                     strict=True))
    rows = len(binding) + row_kinds(model).count(EQUALITY)
    return count > 0 and rows + at > count


def file_shadow_price_line(model: FileModel, result: SolveResult) -> str:
    """'Shadow prices: R1 -7.5; R2 -2.5 (...)' for the file ``model`` solved as ``result``,
    at most ``MAX_KEYS`` rows in the file's order, then '...'; '' where there is nothing to
    say: no duals, integer columns, or a degenerate optimum."""
    if not result.duals or bool(np.any(model.integer)):
        return ""
    binding = binding_rows(model, result.values)
    if degenerate(model, result.values, binding):
        return ""
    kinds, at_limit, zero = row_kinds(model), set(binding), zero_price(result)
    priced = []
    for r, name in enumerate(model.row_names):
        d = result.duals.get(name)
        if isinstance(d, (int, float)) and abs(d) > zero and (
                kinds[r] == EQUALITY or r in at_limit):
            priced.append((name, float(d), kinds[r] == EQUALITY))
    if not priced:
        return ""
    parts = [f"{name} {price_text(d)}" for name, d, _ in priced[:MAX_KEYS]]
    if len(priced) > MAX_KEYS:
        parts.append("...")
    return price_sentence(parts, any(eq for _, _, eq in priced[:MAX_KEYS]))
