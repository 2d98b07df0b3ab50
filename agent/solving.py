"""The nodes between the LLM's formulation and the answer: solve, check, select (vote), and
the routing that bounds the repair loop by the ``repairs`` counter in the state.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from optiform.agent import checks
from optiform.agent.autofix import max_autofixes, pending_fixes
from optiform.agent.budget import capped, spent
from optiform.agent.deps import Deps, step
from optiform.agent.events import traced_node
from optiform.agent.formulate import pending_feedback, wants_plain
from optiform.agent.name_fixes import with_name_fixes
from optiform.agent.state import AgentState, Attempt
from optiform.agent.vote import vote
from optiform.errors import FormulationError, OptiformError
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult
from optiform.solvers.validate import model_errors

FIRST_ROUND = ("formulate", "sample", "follow_up")


def solve_attempt(deps: Deps, attempt: Attempt, data_dir: str | None,
                  text: str = "", time_limit: float | None = None) -> tuple[Attempt, float]:
    """Solve one attempt's formulation (within ``time_limit``, else ``deps.time_limit``); a
    FormulationError (or any optiform error from the solver stack) becomes the attempt's error,
    with the exact fixes the problem ``text`` allows (``name_fixes``). Returns the attempt and
    the seconds spent."""
    out: Attempt = {**attempt}
    f = Formulation.model_validate(attempt["formulation"])
    t0 = time.perf_counter()
    try:
        limit = deps.time_limit if time_limit is None else time_limit
        result = deps.solve(f, solver=deps.solver, time_limit=limit,
                            mip_gap=deps.mip_gap, data_dir=Path(data_dir) if data_dir else None)
    except OptiformError as exc:
        found: list[BaseException] = [exc]
        if isinstance(exc, FormulationError):
            # every static error at once, so one repair can fix them all
            found += [e for e in model_errors(f) if str(e) != str(exc)]
        out["error"] = str(exc)
        found_checks = [checks.error_check(e) for e in found]
        if isinstance(exc, FormulationError):
            found_checks = with_name_fixes(f, found_checks, text)
        found_checks += checks.model_replacements(text, f)
        out["checks"] = [c.model_dump() for c in found_checks]
        out["checked"] = True
        return out, time.perf_counter() - t0
    out["result"] = result.model_dump(mode="json")
    return out, time.perf_counter() - t0


@traced_node("solve")
def solve(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    attempts = list(state["attempts"])
    trace = list(state.get("trace", []))
    for i, a in enumerate(attempts):
        if a.get("formulation") is None or a.get("result") is not None or a.get("error"):
            continue
        limit = capped(deps.time_limit, state["started"], deps.time_budget)
        solved, seconds = solve_attempt(deps, a, state.get("data_dir"), state.get("text", ""),
                                        limit)
        attempts[i] = solved
        trace.append(step("solve", "solve", started=state["started"], seconds=seconds,
                          attempt=a["index"], result=solved.get("result"),
                          detail={"error": solved["error"]} if solved.get("error") else {}))
    return {"attempts": attempts, "trace": trace}


@traced_node("check")
def check(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    attempts = list(state["attempts"])
    trace = list(state.get("trace", []))
    for i, a in enumerate(attempts):
        if a.get("checked"):
            continue
        t0 = time.perf_counter()
        f = Formulation.model_validate(a["formulation"])
        result = SolveResult.model_validate(a["result"]) if a.get("result") else None
        found = [c.model_dump() for c in checks.solution_checks(state["text"], f, result)]
        attempts[i] = {**a, "checks": found, "checked": True}
        trace.append(step("check", "check", started=state["started"],
                          seconds=time.perf_counter() - t0, attempt=a["index"], checks=found))
    for a in attempts:  # attempts that failed before solving were checked when they failed
        if a.get("error") and not any(s.get("attempt") == a["index"] and s["kind"] == "check"
                                      for s in trace):
            trace.append(step("check", "check", started=state["started"], attempt=a["index"],
                              checks=a.get("checks", [])))
    return {"attempts": attempts, "trace": trace}


def penalty(attempt: Attempt) -> float:
    """Lower is better: errors weigh far more than warnings."""
    cs = attempt.get("checks", [])
    return 100.0 * len(checks.errors(cs)) + len(checks.warnings(cs))


def solved_objective(attempt: Attempt) -> float | None:
    r = attempt.get("result") or {}
    if r.get("status") == "optimal" and isinstance(r.get("objective"), (int, float)):
        return float(r["objective"])
    return None


@traced_node("select")
def select(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """After the first round: vote among the samples (or take the only one). After a repair:
    the repaired attempt is the current one."""
    if state.get("chain"):
        return {}
    batch = [a for a in state["attempts"] if a["source"] in FIRST_ROUND]
    update: dict[str, Any] = {}
    if len(batch) > 1:
        result = vote([solved_objective(a) for a in batch], tie_break=[penalty(a) for a in batch])
        pick = batch[result.winner].get("index", 0) if result.winner is not None else \
            min(batch, key=lambda a: (penalty(a), a["index"]))["index"]
        update["vote"] = result.model_dump()
        update["trace"] = [*state.get("trace", []), step(
            "select", "vote", started=state["started"],
            detail={**result.model_dump(), "picked": pick})]
    else:
        pick = batch[0]["index"]
    update.update(current=pick, chain=[pick])
    return update


def after_intake(state: AgentState) -> str:
    kind = state.get("kind")
    return {"not_a_problem": "answer", "follow_up": "formulate"}.get(kind or "", "retrieve")


def route(state: AgentState, runtime: Runtime[Deps]) -> str:
    """Autofix while the current attempt's checks carry corrections not yet applied (no LLM
    call); repair while it has errors or new warnings and rounds and time are left; then, when
    no model written with insights reached the solver, once more without them (plain); then
    the code strategy when it is on and time is left; then the answer."""
    deps = runtime.context
    current = state["attempts"][state["current"]]
    out_of_time = spent(state["started"], deps.time_budget)
    if deps.autofix and state.get("autofixes", 0) < max_autofixes(deps) and \
            pending_fixes(current, state.get("fed_back", [])):
        return "autofix"
    if _wants_repair(state, deps, current) and not out_of_time:
        return "repair"
    if wants_plain(state, deps) and not out_of_time:
        return "plain"
    if _wants_code(state, deps) and not out_of_time:
        return "code"
    return "answer"


def _wants_repair(state: AgentState, deps: Deps, current: Attempt) -> bool:
    return bool(pending_feedback(current, state.get("fed_back", []))) and \
        state.get("repairs", 0) < deps.max_repairs


def _wants_code(state: AgentState, deps: Deps) -> bool:
    return deps.code_strategy and deps.run_code is not None and not state.get("cross_check")


def stopped_by_budget(state: AgentState, deps: Deps) -> bool:
    """Whether the time budget cut this turn short: it is spent, and a step was skipped or a
    reply cut for it, or a repair round, the library fallback or the code cross-check would
    still have run."""
    if not spent(state.get("started", time.time()), deps.time_budget):
        return False
    for s in state.get("trace", []):
        detail = s.get("detail") or {}
        if s.get("kind") == "note" and (detail.get("time_budget_cut") or
                                        ("time_budget" in detail and detail.get("skipped"))):
            return True
    attempts = state.get("attempts") or []
    current = attempts[state["current"]] if attempts and "current" in state else None
    return current is not None and (_wants_repair(state, deps, current) or
                                    wants_plain(state, deps) or _wants_code(state, deps))
