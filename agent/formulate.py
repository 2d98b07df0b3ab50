"""The nodes that ask the LLM for a formulation: formulate (one or k samples, or a follow-up
on the thread's previous model), repair (Trace-style: the attempt's model, what happened to
it, and the feedback) and plain (the library fallback: once more, without the insights).
An answer that is not a valid formulation becomes an attempt with an error, which the check
node turns into feedback; it is never executed.
"""

from __future__ import annotations

import json
from typing import Any

from langgraph.runtime import Runtime

from optiform.agent import checks, prompts
from optiform.agent.budget import spent
from optiform.agent.deps import Deps, call_llm, failed_call_step, step
from optiform.agent.events import emit, traced_node
from optiform.agent.llm import Message
from optiform.agent.mend import lines_to_mend, mend
from optiform.agent.schema import model_json, schema_for, to_formulation, to_scalar
from optiform.agent.state import AgentState, Attempt, AttemptSource
from optiform.errors import FormulationError, LLMOutputError
from optiform.solvers.formulation import Formulation

REPAIR_TEMPERATURE = 0.3
RETRY_TEMPERATURE = 0.5  # a formulate reply cut off or not JSON is asked again, once, at this
RESAMPLE_TEMPERATURE = 0.7  # the repair of a model identical to an earlier one is sampled
REPLY_TAIL = 400  # characters of a broken reply kept in the trace


def ask_formulation(deps: Deps, node: str, messages: list[Message], *, index: int,
                    source: AttemptSource, started: float, trace: list[dict[str, Any]],
                    temperature: float | None = None, seed: int | None = None,
                    tables: bool = False, shape: str = "indexed") -> Attempt:
    """One LLM call for a formulation, as an Attempt; the call's steps go to ``trace``."""
    attempt: Attempt = {"index": index, "source": source, "raw": None, "formulation": None,
                        "error": None, "result": None, "checks": [], "checked": False}
    try:
        completion, llm_step = call_llm(
            deps, node, messages, started=started, schema=schema_for(shape, tables=tables),
            temperature=temperature, seed=seed, max_tokens=deps.formulation_max_tokens,
            attempt=index)
    except LLMOutputError as exc:
        # the failed call's tokens and seconds count, and the end of its reply is kept
        tail = {"reply_tail": exc.reply[-REPLY_TAIL:]} if exc.reply else {}
        trace.append(failed_call_step(node, exc, started=started, attempt=index, detail=tail))
        return _failed(attempt, exc)
    trace.append(llm_step)
    raw = completion.data if completion.data is not None else completion.text
    attempt["raw"] = raw
    try:
        f = to_formulation(raw)
    except FormulationError as exc:
        return _failed(attempt, exc)
    attempt["formulation"] = f.model_dump(mode="json")
    llm_step["formulation"] = attempt["formulation"]
    emit("attempt", node, index=index, source=source, valid=True)
    return attempt


def _failed(attempt: Attempt, exc: Exception) -> Attempt:
    attempt["error"] = str(exc)
    attempt["checks"] = [checks.error_check(exc).model_dump()]
    attempt["checked"] = True
    emit("attempt", None, index=attempt["index"], source=attempt["source"], valid=False)
    return attempt


def thread_text(history: list[dict[str, Any]], max_chars: int = 6000) -> str:
    """The thread so far: the first problem, then each later request."""
    texts = [t.get("text", "") for t in history if t.get("text")]
    joined = "\n".join([texts[0], *(f"Then: {t}" for t in texts[1:])]) if texts else ""
    return joined if len(joined) <= max_chars else joined[:max_chars // 2] + "\n...\n" + \
        joined[-max_chars // 2:]


@traced_node("formulate")
def formulate(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    tables = state.get("tables") or []
    history = state.get("history") or []
    source: AttemptSource = "formulate"
    shape = deps.shape(tables=bool(tables), text=state["text"])
    if state.get("kind") == "follow_up":
        previous = Formulation.model_validate(history[-1]["formulation"])
        if to_scalar(previous) is None:
            shape = "indexed"
        messages = prompts.follow_up_messages(state["text"], thread_text(history),
                                              model_json(previous, shape), tables=tables,
                                              shape=shape, guidance=deps.guidance)
        source = "follow_up"
    else:
        messages = prompts.formulate_messages(state["text"], insights=state.get("insights"),
                                              tables=tables, shape=shape,
                                              guidance=deps.guidance)
    trace = list(state.get("trace", []))
    k = max(1, deps.samples)
    attempts = []
    for i in range(k):
        if i and spent(state["started"], deps.time_budget):
            trace.append(step("formulate", "note", started=state["started"], detail={
                "time_budget": deps.time_budget, "skipped": f"samples {i + 1}-{k}"}))
            break
        # the first sample is the greedy one; the others are drawn with different seeds
        temp = deps.temperature if i == 0 else max(deps.sample_temperature, deps.temperature)
        kind: AttemptSource = source if i == 0 else "sample"
        attempts.append(_ask_with_retry(
            deps, "formulate", messages, index=i, source=kind, started=state["started"],
            trace=trace, temperature=temp, seed=deps.seed + i, tables=bool(tables),
            shape=shape))
    return {"attempts": attempts, "trace": trace}


def _ask_with_retry(deps: Deps, node: str, messages: list[Message], *, index: int,
                    source: AttemptSource, started: float, trace: list[dict[str, Any]],
                    temperature: float, seed: int, tables: bool, shape: str) -> Attempt:
    attempt = ask_formulation(deps, node, messages, index=index, source=source, started=started,
                              trace=trace, temperature=temperature, seed=seed, tables=tables,
                              shape=shape)
    if broken_reply(attempt) and not spent(started, deps.time_budget):
        # a reply cut off at the token limit or stopped as a loop (a run-away) or not JSON at
        # all: ask again, once, sampled, rather than repair from nothing
        trace.append(step(node, "note", started=started, attempt=index,
                          detail={"retry": attempt.get("error") or "broken reply"}))
        attempt = ask_formulation(
            deps, node, messages, index=index, source=source, started=started, trace=trace,
            temperature=max(temperature, RETRY_TEMPERATURE), seed=seed + 1000, tables=tables,
            shape=shape)
    return attempt


def executed(attempts: list[Attempt]) -> bool:
    """Whether any attempt reached a solver answer (optimal, infeasible, unbounded, time
    limit), as opposed to models that never built or a solver that failed."""
    return any((a.get("result") or {}).get("status") not in (None, "error") for a in attempts)


def wants_plain(state: AgentState, deps: Deps) -> bool:
    """The library fallback: insights were in the prompts, and no model written with them
    reached the solver, after every repair round. Insights are advice; when a small model
    cannot turn the advice into a model that builds, it writes one more as if there were no
    library (once per turn, with repair rounds of its own). Not when the code strategy is on:
    its program answers a turn whose formulations failed, and the fallback runs only where
    the turn would otherwise end with no answer."""
    return deps.library_fallback and bool(state.get("insights")) and \
        not state.get("plain") and state.get("kind") != "follow_up" and \
        not (deps.code_strategy and deps.run_code is not None) and \
        not executed(state.get("attempts") or [])


@traced_node("plain")
def plain(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    attempts = list(state["attempts"])
    tables = state.get("tables") or []
    shape = deps.shape(tables=bool(tables), text=state["text"])
    trace = list(state.get("trace", []))
    trace.append(step("plain", "note", started=state["started"], detail={
        "fallback": "no model written with the insights reached the solver",
        "left_out": [i.get("id") for i in state.get("insights") or []],
        "repairs_before": state.get("repairs", 0)}))
    messages = prompts.formulate_messages(state["text"], insights=None, tables=tables,
                                          shape=shape, guidance=deps.guidance)
    new = _ask_with_retry(deps, "plain", messages, index=len(attempts), source="plain",
                          started=state["started"], trace=trace, temperature=deps.temperature,
                          seed=deps.seed, tables=bool(tables), shape=shape)
    return {"attempts": [*attempts, new], "current": new["index"], "chain": [new["index"]],
            "repairs": 0, "autofixes": 0, "fed_back": [], "plain": True,
            "repairs_before": state.get("repairs", 0), "trace": trace}


def broken_reply(attempt: Attempt) -> bool:
    """Whether the LLM's reply was no formulation at all: cut off, off-schema or not JSON
    (as opposed to a formulation with a mistake, which feedback can fix)."""
    if attempt.get("formulation") is not None:
        return False
    return any(c.code == "bad_output" or (c.code == "invalid" and c.where == "reply")
               for c in checks.errors(attempt.get("checks", [])))


def _floats(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def attempt_key(attempt: Attempt) -> str | None:
    """The attempt's model as canonical JSON (numbers as floats, keys sorted), to spot a reply
    identical to an earlier one; None when there is no reply."""
    model = attempt.get("formulation") or attempt.get("raw")
    if model is None:
        return None
    if isinstance(model, str):
        try:
            model = json.loads(model)
        except json.JSONDecodeError:
            return model.strip()
    return json.dumps(_floats(model), sort_keys=True, separators=(",", ":"))


def attempt_shape(attempt: Attempt, shape: str) -> str:
    """``shape``, unless the attempt's model cannot be written in the scalar shape."""
    formulation = attempt.get("formulation")
    if shape == "scalar" and formulation and \
            to_scalar(Formulation.model_validate(formulation)) is None:
        return "indexed"
    return shape


def model_text(attempt: Attempt, shape: str = "indexed") -> str:
    """The attempt's model as shown to the LLM: compact JSON in ``shape``, or the raw reply."""
    if attempt.get("formulation"):
        return model_json(Formulation.model_validate(attempt["formulation"]), shape)
    raw = attempt.get("raw")
    if raw is None:
        return "(no answer)"
    return raw if isinstance(raw, str) else json.dumps(raw, separators=(",", ":"))


def pending_feedback(attempt: Attempt, fed_back: list[str]) -> list[checks.Check]:
    """What to tell the LLM about an attempt: every error, and warnings not yet sent."""
    found = checks.errors(attempt.get("checks", []))
    found += [w for w in checks.warnings(attempt.get("checks", [])) if w.key not in fed_back]
    return found


def repeats_earlier(attempts: list[Attempt], attempt: Attempt) -> bool:
    """Whether a repair's model is identical to one written before it."""
    if attempt.get("source") != "repair":
        return False
    key = attempt_key(attempt)
    return key is not None and any(attempt_key(a) == key for a in attempts
                                   if a["index"] < attempt["index"])


@traced_node("repair")
def repair(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    attempts = list(state["attempts"])
    current = attempts[state["current"]]
    tables = state.get("tables") or []
    shape = attempt_shape(current, deps.shape(tables=bool(tables), text=state["text"]))
    broken = lines_to_mend(current, state.get("fed_back", []))
    if broken and deps.mend:
        return mend(state, deps, broken, model_text=model_text(current, shape), shape=shape)
    feedback = pending_feedback(current, state.get("fed_back", []))
    rounds = state.get("repairs", 0)
    messages = prompts.repair_messages(state["text"], current, checks.feedback_text(feedback),
                                       model_text(current, shape),
                                       insights=None if state.get("plain") else
                                       state.get("insights"),
                                       tables=tables, shape=shape, guidance=deps.guidance)
    trace = list(state.get("trace", []))
    temperature = deps.temperature if rounds == 0 else max(deps.temperature, REPAIR_TEMPERATURE)
    seed = deps.seed + 100 + rounds
    if repeats_earlier(attempts, current):
        # the LLM gave back a model it had already written (greedy decoding repeats itself):
        # sample this round, with a new seed, and say so
        messages = prompts.with_identical_note(messages)
        temperature = max(deps.temperature, RESAMPLE_TEMPERATURE)
        seed = deps.seed + 500 + rounds
        trace.append(step("repair", "note", started=state["started"], attempt=current["index"],
                          detail={"resample": True, "reason": "identical to an earlier model"}))
    new = ask_formulation(
        deps, "repair", messages, index=len(attempts), source="repair", started=state["started"],
        trace=trace, temperature=temperature, seed=seed, tables=bool(tables), shape=shape)
    trace[-1].setdefault("detail", {})["feedback"] = [c.model_dump() for c in feedback]
    return {
        "attempts": [*attempts, new],
        "current": new["index"],
        "chain": [*state.get("chain", []), new["index"]],
        "repairs": rounds + 1,
        "fed_back": [*state.get("fed_back", []), *(c.key for c in feedback)],
        "trace": trace,
    }
