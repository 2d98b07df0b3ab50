"""The agent's typed state and the Trace: everything one solve did, step by step.

The graph state holds only JSON-able values (dicts, lists, strings, numbers), so any
checkpointer can store it and a thread can be resumed in another process. Typed views
(``Formulation``, ``SolveResult``, ``Trace``) are built from it where they are needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, Field

from optiform.agent.llm import Usage

AttemptSource = Literal["formulate", "sample", "repair", "autofix", "follow_up", "code",
                        "plain"]


class Attempt(TypedDict, total=False):
    """One candidate model: how it was written, whether it solved, what the checks found."""

    index: int
    source: AttemptSource
    raw: Any  # the LLM's JSON (or code text for the code strategy)
    formulation: dict[str, Any] | None  # a valid Formulation as a dict, else None
    error: str | None  # why no formulation/result came out (parse, validation, LLM output)
    result: dict[str, Any] | None  # SolveResult.model_dump(mode="json")
    checks: list[dict[str, Any]]  # Check.model_dump()
    checked: bool


class Turn(TypedDict, total=False):
    """What a finished turn leaves for the next one in a thread."""

    text: str
    status: str
    objective: float | None
    formulation: dict[str, Any] | None
    data_dir: str | None  # the tables the turn was solved with (threads of the API)
    tables: list[dict[str, Any]]


class AgentState(TypedDict, total=False):
    """The graph state. Input keys: ``text``, ``tables``, ``data_dir``."""

    # input of this turn
    text: str
    tables: list[dict[str, Any]]  # TableInfo dicts (see agent/tables.py)
    data_dir: str | None
    # set by intake
    started: float  # time.time() when the turn started
    kind: Literal["problem", "follow_up", "not_a_problem"]
    reason: str
    history: list[Turn]  # earlier turns of this thread (kept across turns)
    # working state of this turn
    insights: list[dict[str, Any]]
    attempts: list[Attempt]
    current: int  # index into attempts of the candidate under consideration
    chain: list[int]  # the selected attempt, then each repair of it, in order
    repairs: int  # repair rounds used (bounded by Deps.max_repairs)
    autofixes: int  # autofix rounds used (bounded by max_autofixes(Deps))
    fed_back: list[str]  # check keys already sent to the LLM
    plain: bool  # the chain is the fallback written without insights (Deps.library_fallback)
    repairs_before: int  # repair rounds the chain written with insights used, under the fallback
    vote: dict[str, Any]  # VoteResult dump when several samples were drawn
    cross_check: dict[str, Any]  # the code strategy's outcome when it ran
    trace: list[dict[str, Any]]  # TraceStep dumps
    answer: dict[str, Any]  # the final Answer dump


class TraceStep(BaseModel):
    """One step of a solve. Only the fields that apply to the step's kind are set."""

    node: str
    kind: Literal["llm", "solve", "check", "code", "vote", "retrieve", "classify", "autofix",
                  "mend", "note"]
    at: float = Field(0.0, description="Seconds since the turn started.")
    seconds: float = 0.0
    attempt: int | None = None
    messages: list[dict[str, str]] | None = None
    reply: str | None = None
    usage: Usage | None = None
    formulation: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    checks: list[dict[str, Any]] | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class Trace(BaseModel):
    """Every step of one turn, in order: prompts, replies, tokens, models, results, checks."""

    steps: list[TraceStep] = Field(default_factory=list)

    @classmethod
    def from_state(cls, steps: list[dict[str, Any]]) -> Trace:
        return cls(steps=[TraceStep.model_validate(s) for s in steps])

    @property
    def usage(self) -> Usage:
        total = Usage()
        for s in self.steps:
            if s.usage is not None:
                total = total + s.usage
        return total

    @property
    def llm_calls(self) -> int:
        return sum(1 for s in self.steps if s.messages is not None)

    @property
    def seconds(self) -> float:
        return max((s.at + s.seconds for s in self.steps), default=0.0)

    def of_kind(self, kind: str) -> list[TraceStep]:
        return [s for s in self.steps if s.kind == kind]

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=indent)

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(p.suffix + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(p)
        return p


def new_turn_state() -> dict[str, Any]:
    """The per-turn keys reset at the start of every turn (history is kept)."""
    return {
        "kind": "problem",
        "reason": "",
        "insights": [],
        "attempts": [],
        "current": -1,
        "chain": [],
        "repairs": 0,
        "autofixes": 0,
        "fed_back": [],
        "plain": False,
        "repairs_before": 0,
        "vote": {},
        "cross_check": {},
        "trace": [],
        "answer": {},
    }
