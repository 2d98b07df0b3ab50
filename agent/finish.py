"""The answer node: pick the best attempt, explain it, export it, rate it, remember the turn."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from optiform.agent import checks
from optiform.agent.activity import binding_constraints
from optiform.agent.answer import Answer, explain
from optiform.agent.answer_numbers import fmt
from optiform.agent.deps import Deps, step
from optiform.agent.events import emit, traced_node
from optiform.agent.insights import record_usage
from optiform.agent.llm import Usage
from optiform.agent.solving import FIRST_ROUND, penalty, solved_objective, stopped_by_budget
from optiform.agent.state import AgentState, Attempt, Turn
from optiform.agent.vote import agree, confidence
from optiform.errors import FormulationError
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult

NOT_A_PROBLEM = ("This does not look like an optimization problem{reason}. Describe the "
                 "decisions to make, the goal (what to maximize or minimize) and the limits.")


def best_attempt(state: AgentState) -> Attempt | None:
    """The chain's best attempt: solved first, then one that built and reached the solver
    (an infeasible model says more than a line that never read, and only a built model has
    had its warnings checked), then fewest errors and warnings, then latest."""
    attempts = state.get("attempts") or []
    chain = [attempts[i] for i in state.get("chain") or []] or attempts
    if not chain:
        return None
    return max(chain, key=lambda a: (solved_objective(a) is not None, bool(a.get("result")),
                                     -penalty(a), a["index"]))


_DIRECTION_CODES = ("bound_direction", "pinned_bound", "ratio_direction")
# checks whose fix adds a requirement the text states and the model left out
_MISSING_CODES = ("missing_count",)


def faithful_infeasible(state: AgentState, best: Attempt) -> checks.Check | None:
    """When the chosen model solved only because it reads a limit or a requirement in the
    other direction than the text (a direction check says so) or leaves out a requirement the
    text states (a missing-count check says so), and the chain also holds that model as the
    text says it (the check's fix applied, by the autofix or a repair) and it was infeasible:
    a check saying so, naming the constraints and what conflicts. The answer keeps the solved
    model (the checks are cues that can misread a sentence) but does not pass it off as the
    problem's optimum."""
    fixes: dict[str, str] = {}
    left_out = False
    for c in checks.warnings(best.get("checks", [])):
        if c.code in _DIRECTION_CODES + _MISSING_CODES and c.fix:
            fixes.update(c.fix.get("constraints") or {})
            left_out = left_out or c.code in _MISSING_CODES
    if not fixes:
        return None
    attempts = state.get("attempts") or []
    chain = [attempts[i] for i in state.get("chain") or []] or attempts
    for a in chain:
        result, f = a.get("result") or {}, a.get("formulation") or {}
        if result.get("status") != "infeasible":
            continue
        written = {c.get("name"): _squash(c.get("expression", ""))
                   for c in f.get("constraints") or []}
        if all(written.get(name) == _squash(expr) for name, expr in fixes.items()):
            conflict = list(dict.fromkeys(n for c in checks.errors(a.get("checks", []))
                                          if c.code == "infeasible" for n in c.names))
            said = "; ".join(f"{n}: {e}" for n, e in fixes.items())
            differs = "leaves out or reverses" if left_out else "reverses"
            return checks.Check(
                code="faithful_infeasible", severity="warning", names=sorted(fixes),
                message=(f"As the text states it ({said}), the model is infeasible"
                         + (f": {_quoted(conflict)} cannot all hold" if conflict else "")
                         + f". This answer {differs} the text there: check the wording and "
                           "the numbers, or the problem has no feasible plan."))
    return None


def _squash(expression: str) -> str:
    return "".join(expression.split())


def _quoted(names: list[str]) -> str:
    shown = [f"'{n}'" for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _vote_share(state: AgentState, objective: float | None) -> tuple[float | None, bool]:
    vote = state.get("vote") or {}
    if not vote or objective is None:
        return None, False
    batch = [a for a in state["attempts"] if a["source"] in FIRST_ROUND]
    agreeing = sum(1 for a in batch if (o := solved_objective(a)) is not None and agree(o,
                                                                                      objective))
    return agreeing / max(1, len(batch)), bool(vote.get("tie"))


def _usage(trace: list[dict[str, Any]]) -> Usage:
    total = Usage()
    for s in trace:
        if s.get("usage"):
            total = total + Usage.model_validate(s["usage"])
    return total


def _failure_message(best: Attempt | None, result: SolveResult | None, repairs: int,
                     budget: float | None = None, *, repairs_on: bool = True) -> str:
    """Why the turn has no solution; ``budget`` when the time budget was spent."""
    if result is not None and result.status.value == "time_limit":
        if result.objective is not None:
            return (f"Stopped at the time limit: best objective {fmt(result.objective)} "
                    "(not proven optimal).")
        return ("Stopped at the solver's time limit before it found a feasible solution "
                "(the answer holds the model); a longer time limit may find one.")
    errs = checks.errors(best.get("checks", [])) if best else []
    first = errs[0].message.splitlines()[0] if errs else "no model was produced"
    if budget is not None:
        rounds = f"{repairs} repair round{'s' if repairs != 1 else ''}"
        return f"Stopped at the time budget of {budget:g} s after {rounds}: {first}"
    if repairs == 0:
        return f"No solution{' (repairs are off)' if not repairs_on else ''}: {first}"
    return f"Gave up after {repairs} repair round{'s' if repairs != 1 else ''}: {first}"


@dataclass
class _Outcome:
    status: str
    objective: float | None
    values: dict[str, Any]
    source: str
    message: str
    formulation: Formulation | None
    result: SolveResult | None
    open_checks: list[checks.Check]


def _outcome(state: AgentState, best: Attempt | None, budget: float | None,
             repairs: int, repairs_on: bool = True) -> _Outcome:
    """What the turn ends with: the best attempt's solve, else the code strategy's, else the
    best attempt's failure (``budget``: the time budget, when it was spent)."""
    f = Formulation.model_validate(best["formulation"]) if best and best.get("formulation") \
        else None
    result = SolveResult.model_validate(best["result"]) if best and best.get("result") else None
    open_checks = checks.warnings(best.get("checks", [])) if best else []
    source = best["source"] if best else ""
    cross = state.get("cross_check") or {}
    if result is not None and result.ok:
        message = f"Solved: objective {fmt(result.objective)}."
        faithful = faithful_infeasible(state, best) if best else None
        if faithful is not None:
            open_checks = [faithful, *open_checks]
            have = {c.name for c in f.constraints} if f else set()
            missing = [n for n in faithful.names if n not in have]
            how = (f"without {_quoted(missing)}, which the text states" if missing else
                   f"with {_quoted(faithful.names)} against the text's wording")
            message = (f"Solved: objective {fmt(result.objective)}, but only {how}; as the "
                       "text states it, the model is infeasible.")
        return _Outcome("optimal", result.objective, result.values, source, message, f,
                        result, open_checks)
    if cross.get("solved"):
        code_result = SolveResult(status="optimal", objective=cross["objective"],
                                  values=cross["values"], solver="code strategy")
        return _Outcome("optimal", cross["objective"], cross["values"], "code",
                        f"Solved by the code strategy: objective {fmt(cross['objective'])} "
                        "(the formulation path did not solve).", None, code_result, [])
    message = _failure_message(best, result, repairs, budget, repairs_on=repairs_on)
    if result is None:
        return _Outcome("failed", None, {}, source, message, f, None, open_checks)
    return _Outcome(result.status.value, result.objective, result.values, source, message, f,
                    result, open_checks)


def build_answer(state: AgentState, deps: Deps, *, stopped: bool = False
                 ) -> tuple[Answer, Attempt | None]:
    """The Answer (without its trace) for the state at the end of a turn; ``stopped``: the
    time budget cut the turn short (``stopped_by_budget``)."""
    # under the fallback, the rounds of both chains
    text = state.get("text", "")
    repairs = state.get("repairs", 0) + state.get("repairs_before", 0)
    common: dict[str, Any] = {"problem": text, "repair_rounds": repairs,
                              "usage": _usage(state.get("trace", [])),
                              "seconds": round(time.time() - state.get("started", time.time()),
                                               4)}
    if state.get("kind") == "not_a_problem":
        reason = state.get("reason", "").rstrip(".")
        msg = NOT_A_PROBLEM.format(reason=f" ({reason})" if reason else "")
        return Answer(status="not_a_problem", message=msg, explanation=msg, **common), None
    best = best_attempt(state)
    o = _outcome(state, best, deps.time_budget if stopped else None, repairs,
                 repairs_on=deps.max_repairs > 0)
    fallback = bool(state.get("plain"))
    if fallback:
        o.message = o.message.rstrip(". ") + (
            ". (Written without the library's insights: no model written with them reached "
            "the solver.)" if o.result is not None else
            ". (Also tried without the library's insights, after no model written with them "
            "reached the solver.)")
    cross = state.get("cross_check") or {}
    data_dir = Path(state["data_dir"]) if state.get("data_dir") else None
    f = o.formulation
    binding = binding_constraints(f, o.values, data_dir) if o.status == "optimal" and f else []
    # the vote was over the first chain's samples, not the fallback's
    share, tie = _vote_share(state, o.objective if o.status == "optimal" and not fallback
                             else None)
    conf = confidence(solved=o.status == "optimal", warnings=len(o.open_checks),
                      repairs=repairs, vote_share=share, tie=tie,
                      cross_check=cross.get("agrees"))
    answer = Answer(
        status=o.status, message=o.message, objective=o.objective, values=o.values,
        formulation=f, pyomo_script=_export(deps, f, data_dir) if f is not None else None,
        code=cross.get("code") if o.source == "code" else None, binding=binding,
        checks=o.open_checks, confidence=conf, source=o.source, fallback=fallback,
        result=o.result if o.source != "code" else None,
        explanation=explain(status=o.status, formulation=f, result=o.result, binding=binding,
                            message=o.message, checks=o.open_checks, repairs=repairs),
        **common)
    return answer, best


def _export(deps: Deps, f: Formulation, data_dir: Path | None) -> str | None:
    if deps.export is None:
        return None
    try:
        return deps.export(f, data_dir=data_dir)
    except FormulationError:  # a model that does not build: the answer says why already
        return None
    except Exception as exc:  # an exporter bug must not cost the user the answer
        emit("error", "answer", message=f"Pyomo export failed: {exc}")
        return None


@traced_node("answer")
def answer(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    stopped = stopped_by_budget(state, deps)
    result, best = build_answer(state, deps, stopped=stopped)
    history = list(state.get("history") or [])
    previous = history[-1].get("formulation") if history else None
    turn: Turn = {"text": state.get("text", ""), "status": result.status,
                  "objective": result.objective,
                  "formulation": (best or {}).get("formulation") or previous}
    # the tables it was solved with (none: None), so that undoing later turns brings them back
    turn.update(data_dir=state.get("data_dir"), tables=list(state.get("tables") or []))
    if result.status != "not_a_problem":
        history.append(turn)
        # under the fallback the answer came from a chain without them: theirs failed
        record_usage(deps.insights, [i["id"] for i in state.get("insights", [])],
                     "solved" if result.ok and not state.get("plain") else "failed")
    detail = {"status": result.status, "objective": result.objective,
              "confidence": result.confidence, "source": result.source}
    if stopped:
        detail["stopped_by_time_budget"] = deps.time_budget
    trace = [*state.get("trace", []), step("answer", "note", started=state["started"],
                                           detail=detail)]
    dump = result.model_dump(mode="json", exclude={"trace"})
    return {"answer": dump, "history": history, "trace": trace}
