"""The autofix node: corrections the checks are sure of, applied without an LLM call.

Some checks know the exact right form: a bound whose direction the text states ("requiring
500 hours" -> ``>= 500``), "at least twice as many trams as trains" (``trams >= 2*trains``), a
count declared binary, an objective sense the wording names. A small model told about them
often rewrites the constraint wrongly again; applying the correction is faster (no LLM round)
and exact. The corrected model is a new attempt (source ``autofix``) that is solved and checked
like any other, so a wrong correction shows up in its checks; each check's fix is applied once.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from optiform.agent import checks
from optiform.agent.check_model import as_checks
from optiform.agent.deps import Deps, step
from optiform.agent.events import emit, traced_node
from optiform.agent.state import AgentState, Attempt


def max_autofixes(deps: Deps) -> int:
    """At most one autofix round per LLM-written attempt of a turn."""
    return 1 + deps.max_repairs


def pending_fixes(attempt: Attempt, applied: list[str]) -> list[checks.Check]:
    """The attempt's checks that carry a fix not applied before in this turn."""
    if not attempt.get("formulation"):
        return []
    return [c for c in as_checks(attempt.get("checks", []))
            if c.fix and f"fix:{c.key}" not in applied]


def _writes(check: checks.Check) -> dict[str, object]:
    """What a fix writes, by target: the objective's expression or sense, a constraint by
    name (a dropped one included), a constraint's for_each, a variable's domain or a new
    variable."""
    out: dict[str, object] = {}
    for part, changes in (check.fix or {}).items():
        kind = "constraints" if part == "drop" else part
        out |= {f"{kind}:{name}": (part, value) for name, value in changes.items()}
    return out


def compatible_fixes(fixes: list[checks.Check]) -> list[checks.Check]:
    """The fixes that write nothing another one before them writes otherwise (two that both
    write the objective's expression would keep only the last; the same new variable twice
    is no conflict). The others wait: the corrected model is checked again, and their checks
    come back with fixes of its expressions."""
    written: dict[str, object] = {}
    out = []
    for c in fixes:
        writes = _writes(c)
        if any(k in written and written[k] != v for k, v in writes.items()):
            continue
        written |= writes
        out.append(c)
    return out


def apply_fixes(formulation: dict[str, Any], fixes: list[checks.Check]) -> dict[str, Any]:
    """The formulation (as a dict) with every fix applied (a fix naming a constraint the
    model lacks adds it; the constraints under "for_each" take the index head written there,
    name -> 'i in S', the model's or an added one; the constraints under "drop" are removed;
    the variables under "variables" are added, name -> domain, where the model lacks them,
    and those under "drop_variables" removed (the fix removes every use of them);
    the scalar parameters under "parameters" take the value written there)."""
    out = {**formulation}
    merged: dict[str, dict[str, str]] = {"constraints": {}, "domains": {}, "objective": {},
                                         "drop": {}}
    for c in fixes:
        for part, changes in (c.fix or {}).items():
            merged.setdefault(part, {}).update(changes)
    constraints, domains, objective = (merged[k] for k in ("constraints", "domains", "objective"))
    heads = merged.get("for_each", {})

    def head(name: str) -> dict[str, str]:
        return {"for_each": heads[name]} if name in heads else {}

    out["constraints"] = [{**c, "expression": constraints.get(c["name"], c["expression"]),
                           **head(c["name"])}
                          for c in formulation.get("constraints", [])
                          if c["name"] not in merged["drop"]]
    known = {c["name"] for c in formulation.get("constraints", [])}
    out["constraints"] += [{"name": name, "expression": expression, **head(name)}
                           for name, expression in constraints.items() if name not in known]
    gone = merged.get("drop_variables", {})
    out["variables"] = [{**v, "domain": domains.get(v["name"], v.get("domain", "continuous"))}
                        for v in formulation.get("variables", []) if v["name"] not in gone]
    have = {v["name"] for v in out["variables"]}
    out["variables"] += [{"name": name, "domain": domain}
                         for name, domain in merged.get("variables", {}).items()
                         if name not in have]
    values = merged.get("parameters", {})
    if values:
        out["parameters"] = [{**p, "value": float(values[p["name"]])}
                             if p.get("name") in values else p
                             for p in formulation.get("parameters", [])]
    if objective:
        out["objective"] = {**formulation["objective"], **objective}
    return out


@traced_node("autofix")
def autofix(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    attempts = list(state["attempts"])
    current = attempts[state["current"]]
    fixes = compatible_fixes(pending_fixes(current, state.get("fed_back", [])))
    new: Attempt = {"index": len(attempts), "source": "autofix", "raw": None,
                    "formulation": apply_fixes(current["formulation"], fixes), "error": None,
                    "result": None, "checks": [], "checked": False}
    trace = [*state.get("trace", []), step(
        "autofix", "autofix", started=state["started"], attempt=new["index"],
        formulation=new["formulation"],
        detail={"from": current["index"], "fixes": [c.model_dump() for c in fixes]})]
    emit("attempt", "autofix", index=new["index"], source="autofix", valid=True)
    return {
        "attempts": [*attempts, new],
        "current": new["index"],
        "chain": [*state.get("chain", []), new["index"]],
        "fed_back": [*state.get("fed_back", []), *(f"fix:{c.key}" for c in fixes)],
        "autofixes": state.get("autofixes", 0) + 1,
        "trace": trace,
    }
