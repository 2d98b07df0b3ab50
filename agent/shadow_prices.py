"""The explanation's line of shadow prices: what one more unit of each binding limit is worth.

A dual is the change of the optimal objective per unit added to its constraint's number
(``SolveResult.duals``), so the line reads the same for minimizing and maximizing, ``<=`` and
``>=``: ``+`` raises the objective, ``-`` lowers it. The line speaks per unit of the number
as written (``agent.written_numbers``): for ``x - 5 <= y`` per unit of the 5, where the dual is
per unit of the -5 added to ``x``, and for ``x - gap[i] <= y`` per unit of each row's gap,
whatever its values (the solvers read the side from the text). Only for a model over
continuous variables (the duals of an integer model price its LP relaxation, not the answer),
only the inequalities that bind and the equalities, and only where the dual is not 0. A chain
of comparisons that is not one range is left out: its dual prices one of its comparisons only;
so is a constraint without a number (``profit == 3*x + 2*y``, ``y <= 2*x``), which states no
limit, and one whose number is not one written number (``x + 2 <= y + 5``).
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

from optiform.agent.answer_numbers import fmt
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult

MAX_KEYS = 12  # per indexed constraint, then "..."
ZERO = 1e-9  # relative to the objective (at least 1): a dual this small is none
ZERO_PDHG = 1e-6  # PDHG's duals are as accurate as its tolerance, not a simplex's


def price_text(x: float) -> str:
    """A price as the line writes it: ``+150``, ``-26.6667``."""
    return ("+" if x > 0 else "") + fmt(x)


def zero_price(result: SolveResult) -> float:
    """The largest dual that is none: within the solver's accuracy of the objective."""
    return (ZERO_PDHG if result.solver == "pdhg" else ZERO) * max(1.0, abs(result.objective
                                                                           or 0.0))


def price_sentence(parts: list[str], equality: bool) -> str:
    """'Shadow prices: <parts joined by '; '> (the objective's change per unit more of ...).';
    ``equality``: an equality's number is priced too."""
    what = "each limit, or of an equality's number" if equality else "each limit"
    return f"Shadow prices: {'; '.join(parts)} (the objective's change per unit more of {what})."


@dataclass(frozen=True)
class Comparison:
    """A constraint that makes one row per binding: ``equality`` or ``inequality`` (a range
    too), and ``sign``, which turns its dual into the change per unit more of the number as
    written (``written_numbers.number_sign``), None where it has no one number to price."""

    kind: str
    sign: float | None


def comparisons(f: Formulation) -> dict[str, Comparison]:
    """Each constraint that makes one row per binding; a chain of comparisons, or an
    expression that does not parse, is left out."""
    from optiform.agent.written_numbers import number_sign
    from optiform.errors import FormulationError
    from optiform.solvers.expr import parse
    from optiform.solvers.pyomo_names import constraint_pieces

    variables = {v.name for v in f.variables}
    out: dict[str, Comparison] = {}
    for c in f.constraints:
        try:
            body = parse(c.expression)
        except FormulationError:
            continue
        if not isinstance(body, ast.Compare):
            continue
        pieces = constraint_pieces(body, variables)
        if pieces is None:  # lo <= e <= hi: one ranged row, priced by the end that binds
            out[c.name] = Comparison("inequality", 1.0)
        elif len(pieces) == 1:
            left, op, right = pieces[0]
            out[c.name] = Comparison("equality" if isinstance(op, ast.Eq) else "inequality",
                                     number_sign(left, right, variables))
    return out


def _rows(duals: Any) -> list[tuple[str, float]]:
    if isinstance(duals, dict):
        return [(str(k), float(v)) for k, v in duals.items() if isinstance(v, (int, float))]
    if isinstance(duals, (int, float)) and not isinstance(duals, bool):
        return [("", float(duals))]
    return []


def _at_bounds(formulation: Formulation, values: dict[str, Any]) -> tuple[int, int]:
    """(how many scalar variables the solution has, how many of them sit at a bound)."""
    bounds = {v.name: (v.lb, v.ub) for v in formulation.variables}
    count = at = 0
    for name, value in values.items():
        lb, ub = bounds.get(name, (None, None))
        for x in (value.values() if isinstance(value, dict) else [value]):
            if not isinstance(x, (int, float)):
                continue
            count += 1
            at += at_bound(x, lb, ub)
    return count, at


def at_bound(x: float, lb: float | None, ub: float | None) -> bool:
    """Whether ``x`` sits at one of its finite bounds (``None`` or an infinity: none)."""
    return any(b is not None and math.isfinite(b) and abs(x - b) <= 1e-9 * max(1.0, abs(b))
               for b in (lb, ub))


def degenerate(formulation: Formulation, result: SolveResult, binding: list[str],
               kinds: dict[str, Comparison]) -> bool:
    """More limits hold with equality (binding rows, the rows of every equality, priced or
    not, variables at a bound) than there are variables: the optimum is degenerate, its
    duals are not unique, and one more unit of a limit may change the objective by another
    amount than a dual says (``x + y <= 2000, x <= 1500, x - y >= 1000``: PDHG priced the
    first +708 where raising it changes nothing)."""
    count, at = _at_bounds(formulation, result.values)
    rows = len(binding) + sum(len(_rows(result.duals.get(name)))
                              for name, c in kinds.items() if c.kind == "equality")
    return count > 0 and rows + at > count


def shadow_price_line(formulation: Formulation | None, result: SolveResult | None,
                      binding: list[str]) -> str:
    """'Shadow prices: labor +50; land +100 (...)', or '' where there is nothing to say
    (also at a degenerate optimum, whose prices are not unique: see :func:`degenerate`)."""
    if formulation is None or result is None or not result.duals:
        return ""
    if any(v.domain in ("integer", "binary") for v in formulation.variables):
        return ""
    kinds = comparisons(formulation)
    if degenerate(formulation, result, binding, kinds):
        return ""
    zero = zero_price(result)
    at_limit = set(binding)
    parts: list[str] = []
    equality = False
    for name, c in kinds.items():
        if c.sign is None:
            continue
        priced = [(key, d * c.sign) for key, d in _rows(result.duals.get(name))
                  if abs(d) > zero and (c.kind == "equality" or
                                        (f"{name}[{key}]" if key else name) in at_limit)]
        if not priced:
            continue
        equality = equality or c.kind == "equality"
        if priced[0][0]:
            shown = ", ".join(f"{key} {price_text(d)}" for key, d in priced[:MAX_KEYS])
            parts.append(f"{name} ({shown}{', ...' if len(priced) > MAX_KEYS else ''})")
        else:
            parts.append(f"{name} {price_text(priced[0][1])}")
    return price_sentence(parts, equality) if parts else ""
