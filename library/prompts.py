"""Prompts and JSON schemas for the library's LLM steps. Pure: text in, messages out.

Three steps use an LLM: checking that a retrieved insight's condition holds for a problem,
proposing an insight from a failed solve (diagnose, then generalize), and rewriting an insight's
condition after it misled or was missed. Prompts are short and put the fixed part first.
"""

from __future__ import annotations

from typing import Any

from optiform.agent.llm import Message
from optiform.library.insight import Insight, render_prompt

FRAGMENT_RULES = (
    "Fragments use optiform's formulation language: expressions like "
    "'sum(x[p] for p in P) <= 100', constraints with an index head like "
    "'for_each \"t in T\": inv[t] == inv[t-1] + make[t] - d[t]', declarations like "
    "'var trucks: integer', objectives like 'maximize: 3*x + 2*y'; join parts with ' ; '."
)

CHECK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"applies": {"type": "boolean"}},
    "required": ["applies"],
}

def _text(max_length: int) -> dict[str, Any]:
    """A string field with a length cap: under constrained decoding a small model cannot
    ramble in one field until the reply is cut off at the token limit."""
    return {"type": "string", "maxLength": max_length}


# the caps sum to about 2,100 characters (~550 tokens), within the proposer's 700 tokens
PROPOSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "diagnosis": _text(400),
        "domain": _text(40),
        "category": {"type": "string",
                     "enum": ["constraints", "variables", "objective", "linearization", "units",
                              "structure"]},
        "label": _text(48),
        "applies_when": _text(300),
        "not_applies_when": _text(240),
        "explanation": _text(300),
        "wrong": _text(240),
        "right": _text(240),
    },
    "required": ["diagnosis", "category", "label", "applies_when", "explanation", "wrong",
                 "right"],
}

REWRITE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "applies_when": _text(300),
        "not_applies_when": _text(300),
    },
    "required": ["applies_when", "not_applies_when"],
}

_CHECK_SYSTEM = ("You decide whether a modeling hint applies to an optimization word problem. "
                 'Reply with JSON {"applies": true} or {"applies": false}.')

_PROPOSE_SYSTEM = (
    "You are an operations research expert who reviews a failed attempt to model an "
    "optimization word problem. First find the modeling mistake (diagnosis), comparing the "
    "attempt with the problem text and the expected optimal value. Then write ONE reusable "
    "insight that would prevent this kind of mistake in other problems: a short label "
    "(kebab-case), when it applies (cues in problem wording, not this problem's numbers), when "
    "it does not apply, a one-sentence explanation, and a wrong and a right fragment. "
    + FRAGMENT_RULES + " Reply with JSON only."
)

_REWRITE_SYSTEM = (
    "You maintain a library of modeling insights. An insight's condition decides which "
    "problems it is shown for. Rewrite the condition so that it covers the problems where the "
    "insight was needed but not shown, and excludes the problems where showing it led the "
    "modeler astray (say so in 'not_applies_when'). Describe the kind of problem by its "
    "structure and wording cues; never quote or list the problems themselves, and no specific "
    "numbers. Keep each field under 40 words. Reply with JSON only."
)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def check_messages(problem: str, insight: Insight, system: str | None = None) -> list[Message]:
    """Ask whether ``insight``'s condition holds for ``problem``.

    The problem comes first, so checks of several insights for one problem share a prompt
    prefix that llama.cpp reads once. ``system`` (the agent's system prompt, see
    ``optiform.agent.prompts.system_text``) replaces the check's own short one: the
    formulation call that follows then finds its system prompt still in the cache.
    """
    cond = insight.condition
    unless = f"\nIt does not apply when: {cond.not_applies_when}" if cond.not_applies_when else ""
    return [
        Message(role="system", content=system or _CHECK_SYSTEM),
        Message(role="user", content=f"Problem:\n{_clip(problem, 2000)}\n\nHint: "
                f"{insight.explanation}\nIt applies when: {cond.applies_when}{unless}\n\n"
                'Does the hint apply to this problem? Reply with JSON {"applies": true} or '
                '{"applies": false}.'),
    ]


def propose_messages(problem: str, expected: Any, attempt: str,
                     retrieved: list[Insight], feedback: str = "",
                     right: str = "") -> list[Message]:
    """``right``: a correct attempt at the same problem; the mistake is then the difference."""
    shown = "\n".join(f"- {render_prompt(i)}" for i in retrieved) or "(none)"
    parts = [
        f"Problem:\n{_clip(problem, 3000)}",
        f"Expected optimal objective value: {expected}",
        f"Failed attempt (formulation, solver status, checks):\n{_clip(attempt, 3000)}",
    ]
    if right:
        parts.append("A correct attempt, which reaches the expected value (the mistake is "
                     "where the failed attempt differs from it; the insight's wrong and right "
                     f"fragments should show that difference):\n{_clip(right, 2000)}")
    parts.append(f"Insights the modeler was shown:\n{shown}")
    if feedback:
        parts.append(f"An earlier proposal did not fix the attempt: {feedback}\n"
                     "Propose a different insight.")
    return [Message(role="system", content=_PROPOSE_SYSTEM),
            Message(role="user", content="\n\n".join(parts))]


def rewrite_messages(insight: Insight, misled: list[str], missed: list[str],
                     feedback: str = "") -> list[Message]:
    def listing(texts: list[str]) -> str:
        return "\n".join(f"- {_clip(t, 600)}" for t in texts) or "(none)"

    cond = insight.condition
    body = (
        f"Insight {insight.taxonomy.label}: {insight.explanation}\n"
        f"Example: wrong {insight.example.wrong} / right {insight.example.right}\n"
        f"Current condition: applies when {cond.applies_when}; does not apply when "
        f"{cond.not_applies_when or '(not stated)'}\n\n"
        f"Problems where it was shown and misled the modeler (exclude these):\n{listing(misled)}"
        f"\n\nProblems where it was needed but not shown (include these):\n{listing(missed)}"
    )
    if feedback:
        body += f"\n\nAn earlier rewrite was rejected: {feedback}"
    return [Message(role="system", content=_REWRITE_SYSTEM),
            Message(role="user", content=body)]
