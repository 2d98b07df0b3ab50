"""The code strategy: the LLM writes a Pyomo ``build_model(data)`` function, the sandbox runs
it (``run_code``, injected: a subprocess with time, memory and network limits, owned by
``solvers/sandbox.py``) and reports the solver's result as JSON. It is a cross-check when the
formulation path solved, and the fallback when it did not. A program that fails gets one
retry with its error; a program stopped for time, memory or a forbidden action does not.
"""

from __future__ import annotations

import re
import time
from typing import Any

from langgraph.runtime import Runtime

from optiform.agent import prompts
from optiform.agent.budget import capped, spent
from optiform.agent.deps import Deps, call_llm, sandbox_limits, step
from optiform.agent.events import traced_node
from optiform.agent.state import AgentState
from optiform.agent.tables import read_rows
from optiform.agent.vote import agree

CODE_RETRIES = 1
_NO_RETRY = frozenset({"timeout", "memory", "killed", "refused"})
_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)


def extract_code(reply: str) -> str:
    """The program in a reply: the first fenced block if there is one, else the whole text."""
    blocks = _FENCE.findall(reply)
    if blocks:
        return max(blocks, key=lambda b: "build_model" in b).strip() + "\n"
    return reply.strip() + "\n"


def outcome(program: str, sandbox: Any) -> dict[str, Any]:
    """A JSON-able summary of one sandbox run (SandboxResult contract: .status, .result,
    .message)."""
    result = dict(getattr(sandbox, "result", None) or {})
    objective = result.get("objective")
    solver_status = result.get("status")
    return {
        "code": program,
        "sandbox_status": getattr(sandbox, "status", "error"),
        "status": solver_status,
        "objective": float(objective) if isinstance(objective, (int, float)) else None,
        "values": result.get("values") or {},
        "message": result.get("message") or getattr(sandbox, "message", "") or "",
        "traceback": result.get("traceback") or "",
        "solved": solver_status == "optimal" and isinstance(objective, (int, float)),
    }


def _error_feedback(out: dict[str, Any]) -> str:
    tb = "\n".join((out.get("traceback") or "").strip().splitlines()[-6:])
    parts = [f"status: {out['sandbox_status']}" + (f", solver: {out['status']}"
                                                    if out.get("status") else "")]
    if out.get("message"):
        parts.append(out["message"].strip()[:400])
    if tb:
        parts.append(tb)
    return "\n".join(parts)


def formulation_objective(state: AgentState) -> float | None:
    for i in reversed(state.get("chain") or []):
        r = state["attempts"][i].get("result") or {}
        if r.get("status") == "optimal" and isinstance(r.get("objective"), (int, float)):
            return float(r["objective"])
    return None


@traced_node("code")
def code(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    assert deps.run_code is not None
    tables = state.get("tables") or []
    data = {t["file"]: read_rows(state.get("data_dir"), t["file"]) for t in tables}
    trace = list(state.get("trace", []))
    feedback: str | None = None
    out: dict[str, Any] = {}
    for attempt in range(1 + CODE_RETRIES):
        if attempt and spent(state["started"], deps.time_budget):
            trace.append(step("code", "note", started=state["started"],
                              detail={"time_budget": deps.time_budget, "skipped": "code retry"}))
            break
        messages = prompts.code_messages(state["text"], tables=tables, feedback=feedback,
                                          shape=deps.shape(tables=bool(tables), text=state["text"]),
                                          guidance=deps.guidance)
        completion, llm_step = call_llm(deps, "code", messages, started=state["started"],
                                        max_tokens=deps.code_max_tokens,
                                        seed=deps.seed + 200 + attempt)
        trace.append(llm_step)
        program = extract_code(completion.text)
        t0 = time.perf_counter()
        sandbox = deps.run_code(program, data=data, mode="build_model",
                                limits=sandbox_limits(deps.sandbox_limits), solver="highs",
                                time_limit=capped(deps.code_time_limit, state["started"],
                                                  deps.time_budget))
        out = outcome(program, sandbox)
        trace.append(step("code", "code", started=state["started"],
                          seconds=time.perf_counter() - t0,
                          detail={k: v for k, v in out.items() if k != "values"}))
        if out["solved"] or out["status"] or out["sandbox_status"] in _NO_RETRY:
            break
        feedback = _error_feedback(out)
    mine = formulation_objective(state)
    out["agrees"] = (agree(mine, out["objective"]) if mine is not None and out["solved"]
                     else None)
    return {"cross_check": out, "trace": trace}
