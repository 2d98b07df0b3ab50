"""Prompts of the baseline strategies. Pure functions; kept short because the embedded model
reads about 40 tokens a second."""

from __future__ import annotations

from optiform.agent.llm import Message

SYSTEM = (
    "You are an operations research expert. You write correct, complete Python programs "
    "with Pyomo."
)

_PROGRAM_RULES = (
    "Write one complete Python program that builds a Pyomo ConcreteModel named `model` "
    "for this problem: variables with the right domains (NonNegativeIntegers for counts of "
    "whole things), the objective, and every constraint. Do not call a solver; the model is "
    "solved for you. Put the program in one ```python block."
)


def standard_prompt(question: str) -> list[Message]:
    """The usual baseline: the problem, then a request for the program."""
    return [
        Message(role="system", content=SYSTEM),
        Message(role="user", content=f"Problem:\n{question.strip()}\n\n{_PROGRAM_RULES}"),
    ]


def cot_prompt(question: str) -> list[Message]:
    """Chain of thought: name the decisions, objective and constraints first, then code."""
    ask = (
        "First reason step by step, briefly: list the decision variables, the objective and "
        "each constraint with its numbers. Then " + _PROGRAM_RULES[0].lower() + _PROGRAM_RULES[1:]
    )
    return [
        Message(role="system", content=SYSTEM),
        Message(role="user", content=f"Problem:\n{question.strip()}\n\n{ask}"),
    ]


def retry_prompt(error: str, *, max_chars: int = 1500) -> Message:
    """Feedback after a failed run: the error (tail kept), and a request for a fixed program."""
    text = error.strip()
    if len(text) > max_chars:
        text = "..." + text[-max_chars:]
    return Message(
        role="user",
        content=f"Running your program failed:\n{text}\n\n"
        "Fix it. Reply with the complete corrected program in one ```python block, still "
        "building a ConcreteModel named `model`.",
    )
