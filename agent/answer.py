"""The Answer a user gets, and its explanation: computed from the solve, not written by the LLM,
so it is fast and says only what is true of the model that was solved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from optiform.agent.answer_numbers import fmt
from optiform.agent.checks import Check
from optiform.agent.llm import Usage
from optiform.agent.shadow_prices import shadow_price_line
from optiform.agent.state import Trace
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult

AnswerStatus = Literal["optimal", "infeasible", "unbounded", "infeasible_or_unbounded",
                       "time_limit", "error", "failed", "not_a_problem"]
"""The solver's status when a model was solved; ``failed`` when no attempt produced a model
that could be solved; ``not_a_problem`` when the text states no optimization problem."""

MAX_LISTED_VALUES = 20


class Answer(BaseModel):
    status: AnswerStatus
    message: str = Field("", description="One line: what happened.")
    objective: float | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    formulation: Formulation | None = None
    pyomo_script: str | None = None
    code: str | None = Field(None, description="The code strategy's program, when it was used.")
    explanation: str = ""
    binding: list[str] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list, description="Open checks on the answer.")
    confidence: float = 0.0
    repair_rounds: int = 0
    source: str = Field("", description="How the answer was made: formulate, repair, code...")
    fallback: bool = Field(False, description="Made without the library's insights, after no "
                                              "model written with them reached the solver.")
    result: SolveResult | None = None
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0
    problem: str = ""
    thread_id: str | None = None
    trace: Trace = Field(default_factory=Trace)

    @property
    def ok(self) -> bool:
        return self.status == "optimal" and self.objective is not None

    def save_trace(self, path: str | Path) -> Path:
        """Write the full trace (with this answer's summary) as JSON."""
        return self.trace.save(path)

    def __str__(self) -> str:
        return self.explanation or self.message or self.status


def _value_lines(f: Formulation | None, values: dict[str, Any]) -> list[str]:
    desc = {v.name: v.description for v in f.variables} if f else {}
    lines: list[str] = []
    for name, v in values.items():
        note = f"  ({desc[name]})" if desc.get(name) else ""
        if isinstance(v, dict):
            nonzero = [(k, x) for k, x in v.items() if isinstance(x, (int, float)) and
                       abs(x) > 1e-9]
            if not nonzero:
                lines.append(f"- {name}: all 0{note}")
            for k, x in nonzero:
                lines.append(f"- {name}[{k}] = {fmt(x)}{note}")
        elif isinstance(v, (int, float)):
            lines.append(f"- {name} = {fmt(v)}{note}")
    if len(lines) > MAX_LISTED_VALUES:
        more = len(lines) - MAX_LISTED_VALUES
        lines = [*lines[:MAX_LISTED_VALUES], f"- ... and {more} more non-zero values"]
    return lines


def _grouped(labels: list[str], limit: int = 12) -> str:
    groups: dict[str, list[str]] = {}
    for label in labels:
        name, _, key = label.partition("[")
        groups.setdefault(name, [])
        if key:
            groups[name].append(key.rstrip("]"))
    parts = []
    for name, keys in groups.items():
        if keys:
            shown = ", ".join(keys[:limit]) + (", ..." if len(keys) > limit else "")
            parts.append(f"{name} ({shown})")
        else:
            parts.append(name)
    return "; ".join(parts)


def explain(*, status: str, formulation: Formulation | None, result: SolveResult | None,
            binding: list[str], message: str = "", checks: list[Check] | None = None,
            repairs: int = 0) -> str:
    """A short explanation: the outcome, what to do, which limits bind and what one more unit
    of each is worth (a model over continuous variables), what to double-check."""
    out: list[str] = []
    if status == "not_a_problem":
        return message
    if status == "optimal" and result is not None:
        goal = ""
        if formulation is not None:
            o = formulation.objective
            goal = f" ({o.sense} {o.description or o.expression})"
        out.append(f"Optimal objective{goal}: {fmt(result.objective)}.")
        values = _value_lines(formulation, result.values)
        if values:
            out.append("What to do:")
            out.extend(values)
        if binding:
            out.append(f"Binding constraints (at their limit): {_grouped(binding)}.")
        elif formulation is not None and formulation.constraints:
            out.append("No inequality constraint is at its limit.")
        prices = shadow_price_line(formulation, result, binding)
        if prices:
            out.append(prices)
    elif status == "time_limit" and result is not None and result.objective is not None:
        out.append(f"The solver stopped at its time limit; best objective found: "
                   f"{fmt(result.objective)} (not proven optimal).")
        out.extend(_value_lines(formulation, result.values))
    else:
        out.append(message or f"No solution: {status}.")
        if result is not None and result.conflict:
            out.append("Conflicting constraints: " + ", ".join(result.conflict) + ".")
    if repairs:
        times = "once" if repairs == 1 else f"{repairs} times"
        out.append(f"The model was repaired {times} before this answer.")
    open_warnings = [c for c in (checks or []) if c.severity == "warning"]
    if open_warnings:
        out.append("Worth a second look:")
        out.extend(f"- {c.message}" for c in open_warnings)
    return "\n".join(out)
