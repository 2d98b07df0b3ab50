"""The first nodes: check the input, decide whether it is an optimization problem, retrieve
insights.

Input policy: empty text is an InputError; text longer than ``max_problem_chars`` (default
12,000 characters, about 3,300 tokens, which leaves room in an 8k context for the system prompt
and a 1,200-token answer) is an InputError too: truncating would silently drop constraints.
A text is sent to the LLM for a yes/no classification only when cheap heuristics are unsure;
a follow-up turn in a thread is never classified.
"""

from __future__ import annotations

import re
import time
from typing import Any

from langgraph.runtime import Runtime

from optiform.agent import prompts, textcues
from optiform.agent.deps import Deps, call_llm, step
from optiform.agent.events import traced_node
from optiform.agent.insights import insight_dict
from optiform.agent.state import AgentState, new_turn_state
from optiform.errors import InputError, LLMOutputError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_GOAL = re.compile(r"\b(?:maximi[sz]\w*|minimi[sz]\w*|optimi[sz]\w*|optimal|maximum|minimum|"
                   r"maximal|minimal|profit|cost|revenue|cheapest|fewest|greatest|"
                   r"(?:reduce|decrease|increase)\s+(?:the\s+)?(?:total\s+)?\w+|"
                   r"as (?:many|much|few|little)(?:\s+\w+){0,3}\s+as)\b")
_LIMIT = re.compile(r"\b(?:at most|at least|no more than|no less than|available|limit\w*|"
                    r"capacity|budget|requires?|required|needs?|must|cannot|subject to|"
                    r"constraints?)\b")
# what a text asks for when it asks for no model, whatever numbers it holds ("a poem about
# the 4 seasons and the 12 months": the 1.5B classifier said yes to it, 2026-12-06)
_OTHER_REQUEST = re.compile(r"\b(?:poems?|poetry|haiku|limerick|jokes?|story|stories|song|"
                            r"lyrics|essay|translate|hello|how are you)\b")
# what a problem asks for when it names no goal or limit word: a question, a decision, a
# superlative ("Of all rectangles of area 100, which has the smallest perimeter?"); a short
# statement with none of them ("I have 3 cats and 2 dogs") asks for nothing a model could
# answer (a longer one may state its problem in words these lists miss: the LLM decides)
_ASK = re.compile(r"\?|\b(?:how (?:many|much|long|far|often)|what|which|find|determine|"
                  r"decide|should|plan\w*|allocat\w*|schedul\w*|choose|select|assign\w*|"
                  r"largest|smallest|biggest|best|most|least|fewest|highest|lowest|"
                  r"shortest|longest)\b")
# the ask words above are English: a text in another language is left to the LLM (no word
# here is Italian, Dutch, German, French or Spanish as well)
_ENGLISH = re.compile(r"\b(?:the|and|have|has|are|you|my|our|with)\b")
_SHORT_WORDS = 12


def check_unicode(text: str, what: str, error: type[InputError] = InputError) -> None:
    """An ``error`` for text that cannot be written as UTF-8: a lone half of a surrogate
    pair (an emoji cut in two by a JavaScript string slice) would fail only when the answer
    is written, after all the work."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise error(f"{what} holds a broken character at position {exc.start} (half of a "
                    f"UTF-16 surrogate pair, {text[exc.start]!r})",
                    hint="send valid Unicode text: cut strings between characters, not "
                         "inside an emoji") from None


def check_previews(tables: list[dict[str, Any]], max_chars: int) -> None:
    """An InputError when the tables' previews alone (a few rows of each, every column) would
    fill more of the prompt than a problem text may: a model would read none of it well."""
    size = len(prompts.tables_block(tables))
    if size > max_chars:
        raise InputError(
            f"the previews of the {len(tables)} data table(s) take {size:,} characters of the "
            f"prompt; the limit is {max_chars:,} (max_problem_chars)",
            hint="send fewer tables or fewer columns (the rows are not the problem: a preview "
                 "shows 6), or raise max_problem_chars (OPTIFORM_MAX_PROBLEM_CHARS) for a "
                 "model with a larger context window")


def validate_text(text: Any, max_chars: int) -> str:
    """The problem text, cleaned; InputError when it cannot be worked on."""
    if not isinstance(text, str):
        raise InputError(f"the problem must be text, not {type(text).__name__}",
                         hint="pass the problem statement as a string")
    clean = _CONTROL.sub("", text).strip()
    check_unicode(clean, "the problem text")
    if not clean:
        raise InputError("the problem text is empty",
                         hint="describe the decisions, the goal (maximize or minimize what) "
                              "and the limits")
    if len(clean) > max_chars:
        raise InputError(
            f"the problem text has {len(clean):,} characters; the limit is {max_chars:,}",
            hint="shorten it, move tables into data files (solve --data FILE, or data= in "
                 "Python and the HTTP API), or raise "
                 "max_problem_chars (OPTIFORM_MAX_PROBLEM_CHARS) for a model with a larger "
                 "context window")
    return clean


def looks_like_problem(text: str, *, tables: bool = False) -> bool | None:
    """True when the wording clearly states an optimization problem; False when it clearly
    does not: no goal and no limit, and no data tables, and either no number at all
    (nothing a model could be written from), a request for something else (a poem, a
    joke, a story, a translation), or a short English statement that asks nothing ("I have
    3 cats and 2 dogs"); else None (unsure: the LLM decides)."""
    low = text.lower()
    goal = _GOAL.search(low)
    limit = _LIMIT.search(low) or re.search(r"<=|>=|[≤≥]", text)
    if goal and (limit or len(textcues.numbers_in_text(text)) >= 2):
        return True
    if not (goal or limit or tables) and (not re.search(r"\d", text)
                                         or _OTHER_REQUEST.search(low)
                                         or _asks_nothing(low)):
        return False
    return None


def _asks_nothing(low: str) -> bool:
    """A short English statement with no question, decision or superlative in it."""
    return (len(low.split()) <= _SHORT_WORDS and not _ASK.search(low)
            and _ENGLISH.search(low) is not None)


@traced_node("intake")
def intake(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    started = time.time()
    text = validate_text(state.get("text"), deps.max_problem_chars)
    check_previews(state.get("tables") or [], deps.max_problem_chars)
    update: dict[str, Any] = {**new_turn_state(), "text": text, "started": started}
    history = state.get("history") or []
    update["history"] = history
    if history and history[-1].get("formulation"):
        update["kind"] = "follow_up"
        return update
    clear = looks_like_problem(text, tables=bool(state.get("tables")))
    if clear:
        return update
    if clear is False:
        update.update(kind="not_a_problem",
                      reason="it states no goal to maximize or minimize and no limits")
        update["trace"] = [step("intake", "note", started=started, detail={
            "message": "not classified: no goal or limit in the text"})]
        return update
    try:
        shape = deps.shape(tables=bool(state.get("tables")), text=text)
        completion, llm_step = call_llm(deps, "intake",
                                        prompts.classify_messages(text, shape=shape,
                                                                  guidance=deps.guidance),
                                        started=started, schema=prompts.CLASSIFY_SCHEMA,
                                        temperature=0.0, max_tokens=60)
    except LLMOutputError as exc:
        update["trace"] = [step("intake", "note", started=started, detail={
            "message": f"classification failed ({exc.message}); treated as a problem"})]
        return update
    trace = [{**llm_step, "kind": "classify"}]
    data = completion.data if isinstance(completion.data, dict) else {}
    is_problem = data.get("optimization")
    if is_problem is False:
        update.update(kind="not_a_problem", reason=str(data.get("reason") or "").strip())
    elif not isinstance(is_problem, bool):
        trace.append(step("intake", "note", started=started,
                          detail={"message": "classification unreadable; treated as a problem"}))
    update["trace"] = trace
    return update


@traced_node("retrieve")
def retrieve(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    if deps.top_k <= 0:
        return {}
    t0 = time.perf_counter()
    found = [insight_dict(i) for i in deps.insights.retrieve(state["text"], k=deps.top_k)]
    seconds = time.perf_counter() - t0
    trace_step = step("retrieve", "retrieve", started=state["started"], seconds=seconds,
                      detail={"insights": [{k: i[k] for k in ("id", "label", "score")}
                                           for i in found]})
    return {"insights": found, "trace": [*state.get("trace", []), trace_step]}
