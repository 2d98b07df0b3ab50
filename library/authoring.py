"""LLM-backed authors for learning and evolution: a proposer and a condition rewriter.

Both are plain callables built around an injected LLM, so learning and evolution can be run
with a scripted FakeLLM in tests and with the embedded model (or any endpoint) for real.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from optiform.errors import LLMOutputError
from optiform.library.insight import Condition, Example, Insight, Taxonomy, new_insight_id
from optiform.library.keywords import copied_numbers, quoted_run
from optiform.library.prompts import (
    PROPOSE_SCHEMA,
    REWRITE_SCHEMA,
    propose_messages,
    rewrite_messages,
)

if TYPE_CHECKING:
    from optiform.agent.llm import LLM


class Item(Protocol):
    """A training item: what learning and evolution need from a dataset row."""

    id: str
    question: str
    answer: Any


@dataclass
class SolveOutcome:
    """What solving one item with a given list of insights gave."""

    correct: bool
    status: str = ""
    objective: float | None = None
    trace: str = field(default="", repr=False)  # a compact text of the attempt, for diagnosis


def _data(reply: Any) -> dict[str, Any]:
    data = reply.data
    if data is None:
        import json

        try:
            data = json.loads(reply.text)
        except (TypeError, ValueError) as exc:
            raise LLMOutputError(f"the reply is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise LLMOutputError("the reply is not a JSON object")
    return data


_NOTHING = {"", "none", "n/a", "na", "not stated", "not applicable", "nothing", "-"}
_UNLESS_LEAD = re.compile(r"^(it\s+)?(does\s+not|doesn't)\s+apply\s+when\s*:?\s*", re.I)


def clean_unless(value: Any) -> str:
    """A "does not apply when" as the LLM wrote it, without the placeholders a small model
    copies from the prompt ("(not stated)", "none") and without a repeated lead-in."""
    text = _UNLESS_LEAD.sub("", str(value or "").strip())
    return "" if text.strip(" .()").lower() in _NOTHING else text


def insight_from_proposal(data: dict[str, Any], item_id: str) -> Insight:
    """An Insight from the proposer's JSON; malformed proposals are LLMOutputErrors."""
    try:
        taxonomy = Taxonomy(domain=str(data.get("domain") or "general"),
                            category=str(data["category"]), label=str(data["label"]))
        return Insight(
            id=new_insight_id(taxonomy),
            taxonomy=taxonomy,
            condition=Condition(applies_when=str(data["applies_when"]).strip(),
                                not_applies_when=clean_unless(data.get("not_applies_when"))),
            explanation=str(data["explanation"]).strip(),
            example=Example(wrong=str(data["wrong"]).strip(), right=str(data["right"]).strip()),
            provenance=[item_id],
        )
    except (KeyError, ValidationError) as exc:
        raise LLMOutputError(f"the proposed insight is incomplete: {_what_lacks(exc)}",
                             hint="the proposer must fill every required field") from exc


def _what_lacks(exc: Exception) -> str:
    """A KeyError's bare key as what it means: the reply has no such field."""
    return f"it has no {exc.args[0]!r} field" if isinstance(exc, KeyError) else str(exc)


def _attempt(outcome: SolveOutcome) -> str:
    return outcome.trace or f"status {outcome.status}, objective {outcome.objective}"


class LLMProposer:
    """Diagnoses a failed attempt from its trace and proposes one insight."""

    def __init__(self, llm: LLM, *, max_tokens: int = 700) -> None:
        self.llm = llm
        self.max_tokens = max_tokens

    def __call__(self, item: Item, outcome: SolveOutcome, shown: list[Insight],
                 feedback: str = "", right: SolveOutcome | None = None) -> Insight:
        """``right``: an attempt at the same item that reached the expected value (found by
        sampling), shown beside the failed one."""
        messages = propose_messages(item.question, item.answer, _attempt(outcome), shown,
                                    feedback, right=_attempt(right) if right else "")
        reply = self.llm.complete(messages, schema=PROPOSE_SCHEMA, temperature=0.0,
                                  max_tokens=self.max_tokens)
        return insight_from_proposal(_data(reply), item.id)


class LLMRewriter:
    """Rewrites an insight's condition from the problems it misled and the ones it missed."""

    def __init__(self, llm: LLM, *, max_tokens: int = 300) -> None:
        self.llm = llm
        self.max_tokens = max_tokens

    def __call__(self, insight: Insight, misled: list[str], missed: list[str]) -> Condition:
        """One rewrite; one more, told why, when the first quotes a problem it was given
        (:func:`quoted_run`) or gives back the current condition unchanged (the 1.5B model
        gave back 5 of the 7 conditions it was asked to rewrite on NL4Opt train). A second
        quote is an LLMOutputError; a second unchanged condition is returned as it is (evolve
        then reports that the rewrite changed nothing)."""
        feedback = ""
        for attempt in range(2):
            condition = self._ask(insight, misled, missed, feedback)
            quote = quoted_condition(condition, [*misled, *missed])
            if quote is None and (condition != insight.condition or attempt == 1):
                return condition
            if quote is None:
                feedback = ("it gave back the current condition unchanged. Say in "
                            "'not_applies_when' what the problems it misled have in common "
                            "that the problems it suits do not" if misled else
                            "it gave back the current condition unchanged. Broaden "
                            "'applies_when' to the kind of problem where it was needed")
                continue
            feedback = (f'it quotes a problem ("{quote}"). Describe the kind of problem in '
                        "general terms, as a modeler would recognize it in new problems.")
        raise LLMOutputError(f"the rewritten condition quotes a problem it was given: {quote!r}",
                             hint="a condition must describe a kind of problem, not list problems")

    def _ask(self, insight: Insight, misled: list[str], missed: list[str],
             feedback: str) -> Condition:
        reply = self.llm.complete(rewrite_messages(insight, misled, missed, feedback),
                                  schema=REWRITE_SCHEMA, temperature=0.0,
                                  max_tokens=self.max_tokens)
        data = _data(reply)
        try:
            return Condition(applies_when=str(data["applies_when"]).strip(),
                             not_applies_when=clean_unless(data.get("not_applies_when")))
        except (KeyError, ValidationError) as exc:
            raise LLMOutputError(f"the rewritten condition is incomplete: "
                                 f"{_what_lacks(exc)}") from exc


def quoted_condition(condition: Condition, problems: list[str]) -> str | None:
    """A run of words the condition copies from one of ``problems`` (see :func:`quoted_run`)."""
    return (quoted_run(condition.applies_when, problems)
            or quoted_run(condition.not_applies_when, problems))


_COMPARISON = re.compile(r"<=|>=|==|!=|[<>=]")
_WORDS = re.compile(r"[A-Za-z]{2,}")


def formula_condition(applies_when: str) -> str | None:
    """``applies_when`` when it is a comparison of a few names rather than words about a kind
    of problem ("elephants <= cows": a 1.5B proposer wrote it, and it held only for the
    problem that used those names), else None."""
    text = applies_when.strip()
    if _COMPARISON.search(text) and len(_WORDS.findall(text)) < 6:
        return text
    return None


def specific_condition(condition: Condition, problems: list[str],
                       before: Condition | None = None) -> str | None:
    """Why ``condition`` describes ``problems`` themselves rather than a kind of problem (it
    quotes one, is a formula of a few names, or carries their figures that ``before``, the
    condition it replaces, did not), or None."""
    quote = quoted_condition(condition, problems)
    if quote is not None:
        return f'it quotes the problem ("{quote}")'
    formula = formula_condition(condition.applies_when)
    if formula is not None:
        return f"it is a formula ({formula}), not a description of a kind of problem"
    known = f"{before.applies_when} {before.not_applies_when}" if before else ""
    numbers = copied_numbers(f"{condition.applies_when} {condition.not_applies_when}",
                             problems, known)
    if numbers:
        return f"it carries the problem's figures ({', '.join(numbers[:4])})"
    return None
