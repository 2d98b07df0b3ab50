"""Mending a model line by line: when everything wrong with a model is that some constraints
(or the objective) do not read, the LLM is asked for those lines alone, one short reply each.

A small model asked to write its whole model again after such an error tends to write the same
line again: over the recorded train runs and the first 100 OptiBench items, 25 of 32 whole-model
repairs that followed a line which did not read still failed. The whole-model repair goes
first (it fixed the other 7, and sees the line in its model); when it writes the broken line
again, the next round asks for that line alone, a reply of a few tokens, and keeps the rest of
the model. A mended model is a new attempt (source ``repair``) that is solved and checked like
any other; each line is mended once per turn.
"""

from __future__ import annotations

from typing import Any

from optiform.agent import checks, prompts
from optiform.agent.autofix import apply_fixes
from optiform.agent.budget import spent
from optiform.agent.check_model import Check
from optiform.agent.deps import Deps, call_llm, failed_call_step, step
from optiform.agent.events import emit
from optiform.agent.state import AgentState, Attempt
from optiform.errors import LLMOutputError

MAX_LINES = 4  # lines mended in one round; a model with more broken lines is written again
MAX_TOKENS = 200
SEED_OFFSET = 200
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"expression": {"type": "string"}},
    "required": ["expression"],
    "additionalProperties": False,
}


def line_of(where: str | None) -> str | None:
    """The constraint name (or "objective") a check's ``where`` points at, else None."""
    if where == "objective":
        return "objective"
    if where and where.startswith("constraint '") and where.endswith("'"):
        return where[len("constraint '"):-1]
    return None


def lines_to_mend(attempt: Attempt, fed_back: list[str]) -> list[Check]:
    """The error checks to mend one line at a time: only when the attempt has a model, every
    error is a line of it that does not read, a whole-model repair was already told about
    each (and wrote it again), there are at most ``MAX_LINES`` of them, and none was mended
    before in this turn; else [] (a whole-model repair)."""
    formulation = attempt.get("formulation")
    found = checks.errors(attempt.get("checks", []))
    if not formulation or not found:
        return []
    names = {c["name"] for c in formulation.get("constraints", [])}
    by_line: dict[str, Check] = {}
    for c in found:
        line = line_of(c.where)
        if c.code != "invalid" or line is None or (line != "objective" and line not in names):
            return []
        if f"mend:{line}" in fed_back or c.key not in fed_back:
            return []
        if line in by_line:
            # one request per line, told everything found wrong with it
            first = by_line[line]
            if c.message not in first.message:
                by_line[line] = first.model_copy(update={"message": f"{first.message}\n"
                                                                     f"{c.message}"})
        else:
            by_line[line] = c
    return list(by_line.values()) if len(by_line) <= MAX_LINES else []


def mended_fix(line: str, expression: str) -> dict[str, dict[str, str]]:
    """The change one mended line makes ("" drops a constraint the text does not state)."""
    expression = expression.strip()
    if line == "objective":
        return {"objective": {"expression": expression}}
    if not expression:
        return {"drop": {line: "the LLM found no such limit in the text"}}
    return {"constraints": {line: expression}}


def mend(state: AgentState, deps: Deps, broken: list[Check], *, model_text: str,
         shape: str) -> dict[str, Any]:
    """One repair round that asks for each broken line alone; the state update of ``repair``."""
    attempts = list(state["attempts"])
    current = attempts[state["current"]]
    rounds = state.get("repairs", 0)
    trace = list(state.get("trace", []))
    index = len(attempts)
    formulation = current["formulation"]
    written = {c["name"]: c["expression"].strip() for c in formulation.get("constraints", [])}
    written["objective"] = formulation["objective"]["expression"].strip()
    fixes = []
    for n, c in enumerate(broken):
        line = line_of(c.where) or ""
        if n and spent(state["started"], deps.time_budget):
            trace.append(step("repair", "note", started=state["started"], attempt=index,
                              detail={"time_budget": deps.time_budget,
                                      "skipped": f"mending {len(broken) - n} more lines"}))
            break
        messages = prompts.mend_messages(state["text"], model_text, line, c.message,
                                         shape=shape, guidance=deps.guidance)
        try:
            completion, llm_step = call_llm(
                deps, "repair", messages, started=state["started"], schema=SCHEMA,
                temperature=deps.temperature, seed=deps.seed + SEED_OFFSET + rounds,
                max_tokens=MAX_TOKENS, attempt=index)
        except LLMOutputError as exc:
            trace.append(failed_call_step("repair", exc, started=state["started"],
                                          attempt=index, detail={"mend": line}))
            continue
        data = completion.data if isinstance(completion.data, dict) else {}
        expression = data.get("expression")
        llm_step["detail"].update({"mend": line, "feedback": [c.model_dump()]})
        trace.append(llm_step)
        if isinstance(expression, str) and (expression.strip() or line != "objective") and \
                expression.strip() != written.get(line):
            fixes.append(c.model_copy(update={"fix": mended_fix(line, expression)}))
    mended = [*state.get("fed_back", []), *(f"mend:{line_of(c.where)}" for c in broken)]
    if not fixes:
        # no usable line came back (none, or the same again): nothing was tried, so no round
        # is spent; the whole-model repair that follows gets it (each line is mended once per
        # turn, so this cannot repeat)
        return {"fed_back": mended, "trace": trace}
    new: Attempt = {"index": index, "source": "repair", "raw": None,
                    "formulation": apply_fixes(formulation, fixes), "error": None,
                    "result": None, "checks": [], "checked": False}
    trace.append(step("repair", "mend", started=state["started"], attempt=index,
                      formulation=new["formulation"],
                      detail={"from": current["index"], "fixes": [c.model_dump() for c in fixes]}))
    emit("attempt", "repair", index=index, source="repair", valid=True)
    return {
        "attempts": [*attempts, new],
        "current": index,
        "chain": [*state.get("chain", []), index],
        "repairs": rounds + 1,
        "fed_back": mended,
        "trace": trace,
    }
