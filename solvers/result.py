"""One result type for every solver backend, with one status vocabulary."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Status(StrEnum):
    """How a solve ended. Each backend maps its own codes to these, explicitly."""

    OPTIMAL = "optimal"
    """A proven optimal solution (within the MIP gap for integer models)."""
    INFEASIBLE = "infeasible"
    """No point satisfies every constraint; ``conflict`` names a conflicting subset."""
    UNBOUNDED = "unbounded"
    """The objective improves without limit."""
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    """The solver proved one of the two but not which."""
    TIME_LIMIT = "time_limit"
    """Stopped at the time limit; ``objective`` holds the best solution found, if any."""
    ERROR = "error"
    """The solver failed or the model could not be built; ``message`` says why."""

    @property
    def solved(self) -> bool:
        return self is Status.OPTIMAL


class SolveResult(BaseModel):
    status: Status
    objective: float | None = None
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="Variable values by name: a float, or {index key: float} for indexed ones. "
        "Index keys are elements joined by ','.",
    )
    duals: dict[str, Any] = Field(
        default_factory=dict,
        description="Constraint duals (shadow prices) of a model over continuous variables "
        "(none for integer ones), keyed like values: d(optimal objective) / d(the "
        "constraint's number), in the objective's own sense. Raising the number by 1 changes "
        "the optimal objective by the dual (for small changes), for <=, >= and == alike and "
        "whether it minimizes or maximizes: 'x + y <= 100' and '100 >= x + y' both by 100. "
        "The number is read from the text, never from the data: the side without variables; "
        "with variables on both sides, the side that adds or subtracts a number to them ('x <= "
        "y + 5' and '5 + y >= x': 5; 'x - gap[i] <= y': -gap[i], where it is 0 too), the right "
        "side where both or neither do (a number inside a term, the 1 of '2*(x + 1)', is none); "
        "a range 'lo <= e <= hi' is one row, priced by the end that binds; a chain of other "
        "comparisons by its first. HiGHS and PDHG give them (SCIP none).",
    )
    conflict: list[str] = Field(
        default_factory=list, description="Constraint names in an irreducible infeasible subset."
    )
    conflict_bounds: list[str] = Field(
        default_factory=list,
        description="Variables whose bounds take part in that subset: 'x', or 'x[a,b]' when "
        "indexed.",
    )
    solver: str = ""
    solve_time: float = 0.0
    build_time: float = 0.0
    message: str = ""
    log_tail: str = ""
    stats: dict[str, Any] = Field(
        default_factory=dict, description="Model size: variables, constraints, nonzeros, kind."
    )
    warnings: list[str] = Field(default_factory=list)
    unsuitable_solver: bool = Field(
        default=False,
        description="The solver asked for cannot solve this kind of model (HiGHS or PDHG on "
        "a nonlinear one, PDHG on an integer or quadratic one, HiGHS on a nonconvex "
        "quadratic); another solver can (status is 'error').",
    )

    @property
    def ok(self) -> bool:
        return self.status is Status.OPTIMAL and self.objective is not None and math.isfinite(
            self.objective
        )

    def value(self, name: str, *index: Any) -> float | None:
        v = self.values.get(name)
        if not index:
            return v if isinstance(v, (int, float)) else None
        if isinstance(v, dict):
            from optiform.solvers.values import element_text

            flat = [part for i in index for part in (i if isinstance(i, tuple) else (i,))]
            return v.get(element_text(tuple(flat)))  # a tuple element's parts, in line
        return None


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


STATUS_MESSAGES = {
    Status.INFEASIBLE: "the model is infeasible: no point satisfies every constraint",
    Status.UNBOUNDED: "the model is unbounded: the objective improves without limit "
                      "(a missing constraint or bound?)",
    Status.INFEASIBLE_OR_UNBOUNDED: "the model is infeasible or unbounded (the solver could "
                                    "not tell which)",
}


def status_message(result: SolveResult, limit: str = "a solver limit") -> str:
    """The message of a result whose solver said nothing more: what its status means."""
    if result.status is Status.OPTIMAL and result.objective is not None:
        return f"optimal, objective {result.objective:.10g}"
    if result.status is Status.TIME_LIMIT:
        best = result.objective
        return (f"stopped at {limit} after {result.solve_time:.1f}s; "
                + (f"best objective found {best:.10g}" if best is not None
                   else "no feasible solution found"))
    return STATUS_MESSAGES.get(result.status, f"the solver stopped ({result.status.value})")
