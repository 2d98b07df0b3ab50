"""Scoring: is a predicted objective value right? Pure functions, no I/O.

The main rule (as in optiform's reports): correct when |pred - truth| <= 1e-4 * (|truth| + 1).
Reported alongside: the same form at 1e-6, and 5% relative error. A null truth (the problem
is infeasible or has no answer) is correct only when the run reports ``infeasible``.
NaN, infinities, None and non-numeric strings are never correct; numeric strings are parsed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

#: Outcome statuses that mean "the solver gave an answer" (for the execution rate).
SOLVER_STATUSES = frozenset(
    {"optimal", "infeasible", "unbounded", "infeasible_or_unbounded", "time_limit"}
)


@dataclass(frozen=True)
class Tolerance:
    """One way to compare a prediction with the truth."""

    name: str
    kind: Literal["mixed", "relative"]
    value: float

    def close(self, pred: float, truth: float) -> bool:
        err = abs(pred - truth)
        if self.kind == "mixed":
            return err <= self.value * (abs(truth) + 1.0)
        return err <= self.value * abs(truth)


#: The primary tolerance comes first.
TOLERANCES: tuple[Tolerance, ...] = (
    Tolerance("1e-4", "mixed", 1e-4),
    Tolerance("1e-6", "mixed", 1e-6),
    Tolerance("rel5%", "relative", 0.05),
)
PRIMARY = TOLERANCES[0].name


def as_number(value: Any) -> float | None:
    """A finite float from a number or a numeric string; None for anything else.

    Booleans, NaN, infinities, empty and non-numeric strings give None. Thousands separators
    (``"1,234.5"``) and surrounding whitespace are accepted in strings.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def is_correct(pred: Any, truth: Any, status: str | None, tol: Tolerance = TOLERANCES[0]) -> bool:
    """Whether one prediction counts as correct under ``tol``.

    ``truth`` None means the item has no optimum: only status ``infeasible`` is correct.
    Otherwise the status must not say there is no solution and ``pred`` must be a finite
    number close to the truth.
    """
    if truth is None:
        return status == "infeasible"
    truth_value = as_number(truth)
    if truth_value is None:
        return False
    if status in ("infeasible", "unbounded", "infeasible_or_unbounded"):
        return False
    pred_value = as_number(pred)
    if pred_value is None:
        return False
    return tol.close(pred_value, truth_value)


def score(pred: Any, truth: Any, status: str | None) -> dict[str, Any]:
    """The scoring fields of one result record.

    ``correct`` is the primary tolerance; ``correct_at`` holds every tolerance by name;
    ``abs_error`` is |pred - truth| when both are numbers, else None.
    """
    pred_value = as_number(pred)
    truth_value = as_number(truth)
    abs_error = None
    if pred_value is not None and truth_value is not None:
        abs_error = abs(pred_value - truth_value)
    correct_at = {t.name: is_correct(pred, truth, status, t) for t in TOLERANCES}
    return {
        "abs_error": abs_error,
        "correct": correct_at[PRIMARY],
        "correct_at": correct_at,
        "executed": status in SOLVER_STATUSES,
    }
