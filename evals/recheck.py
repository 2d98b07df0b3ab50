"""Recheck a recorded run: each item's first formulation reply, replayed without the LLM.

Checks and autofixes change often, and a model run to measure each change costs an hour of
CPU. The first reply of every item is in its trace; ``recheck_run`` feeds it to the current
graph (a scripted LLM that gives back exactly that reply and declines every repair, no
library), so
what the current parse, checks and autofix make of it is measured in seconds. An item is a
*gain* when it is right now and the run got it wrong, a *loss* when the run got it right
without a repair round and it is wrong now (the first-reply path regressed). Repairs are not
replayed: they depend on what the LLM would answer to the new feedback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optiform.errors import EvalError, OptiformError
from optiform.evals.datasets import load_file
from optiform.evals.scoring import is_correct
from optiform.evals.store import ResultStore

CLASSIFY_MARK = "Is the text above an optimization problem"
FORMULATE_MARK = "Write the JSON model."


@dataclass(frozen=True)
class RecheckRow:
    id: str
    truth: float | None
    was_correct: bool
    was_status: str
    was_objective: float | None
    was_repairs: int
    status: str
    objective: float | None
    correct: bool

    @property
    def change(self) -> str:
        if self.correct and not self.was_correct:
            return "gain"
        if not self.correct and self.was_correct and self.was_repairs == 0:
            return "loss"
        return ""


@dataclass
class RecheckReport:
    folder: Path
    strategy: str | None = None  # the strategy replayed (None: the run's only one)
    rows: list[RecheckRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # items without a trace or a reply

    @property
    def gains(self) -> list[RecheckRow]:
        return [r for r in self.rows if r.change == "gain"]

    @property
    def losses(self) -> list[RecheckRow]:
        return [r for r in self.rows if r.change == "loss"]

    def to_dict(self) -> dict[str, Any]:
        n = len(self.rows)
        return {
            "folder": str(self.folder), "items": n, "skipped": self.skipped,
            "first_reply_correct": sum(r.correct for r in self.rows),
            "run_correct": sum(r.was_correct for r in self.rows),
            "gains": [r.id for r in self.gains], "losses": [r.id for r in self.losses],
            "rows": [{**r.__dict__, "change": r.change} for r in self.rows],
        }


def first_reply(trace: dict[str, Any]) -> str | None:
    """The reply of the first formulation call of a saved trace (an Answer's trace JSON)."""
    for s in trace.get("steps", []):
        if s.get("kind") == "llm" and s.get("node") == "formulate" and s.get("reply"):
            return str(s["reply"])
    return None


def _scripted(reply: str) -> Any:
    """An LLM that answers the formulation prompt with ``reply``, says yes to the problem
    check, and declines every other request, repairs and mended lines alike (so the turn
    ends with what the autofix made)."""
    from optiform.agent.fake import FakeLLM
    from optiform.errors import LLMOutputError

    def answer(messages: list[Any]) -> Any:
        last = messages[-1].content
        if CLASSIFY_MARK in last:
            return {"optimization": True, "reason": "recheck"}
        if not last.rstrip().endswith(FORMULATE_MARK):
            raise LLMOutputError("recheck replays the first reply only", model="recheck")
        return reply

    return FakeLLM(default=answer)


def _no_script(f: Any, data_dir: Any = None) -> str:
    return ""


def replay_reply(question: str, reply: str, *, settings: Any = None,
                 solve: Callable[..., Any] | None = None) -> tuple[str, float | None]:
    """(status, objective) of the current graph on ``question`` when the LLM's first reply
    is ``reply``: parse, solve, checks and autofix; every repair declined, no library."""
    from optiform.api import Assistant
    from optiform.config import load_settings

    base = settings if settings is not None else load_settings(backend="fake")
    # the run's repair budget, so that the autofix gets as many rounds as it had there
    run_settings = base.model_copy(update={"library": False, "samples": 1,
                                           "code_strategy": False})
    kwargs: dict[str, Any] = {"export": _no_script}  # no Pyomo script: only the numbers
    if solve is not None:
        kwargs["solve"] = solve
    with Assistant(run_settings, llm=_scripted(reply), **kwargs) as assistant:
        try:
            answer = assistant.solve(question)
        except OptiformError as exc:
            return f"error: {exc}".splitlines()[0], None
    status = str(getattr(answer.status, "value", answer.status))
    return status, answer.objective


def recheck_run(folder: Path, *, strategy: str | None = None, settings: Any = None,
                solve: Callable[..., Any] | None = None,
                on_item: Callable[[RecheckRow], None] | None = None) -> RecheckReport:
    """Replay the first reply of every traced item of the run in ``folder`` (of one strategy
    label when given) through the current graph and compare with the recorded outcome."""
    store = ResultStore(folder)
    if not store.has_run():
        raise EvalError(f"{folder} holds no eval run", hint="give the folder of `eval run --out`")
    info = store.read_run()
    meta = info.get("dataset") or {}
    path = Path(meta.get("path", ""))
    if not path.is_file():
        raise EvalError(f"the run's data set file {path} is gone",
                        hint="put it back at that path to recheck the run")
    questions = {i.id: i.question for i in load_file(path, name=meta.get("name"),
                                                     split=meta.get("split", "test")).items}
    records = store.load()
    labels = sorted({str(r.get("strategy")) for r in records})
    if strategy is not None and records and strategy not in labels:
        raise EvalError(f"{folder} has no strategy {strategy!r}",
                        hint=f"its strategies: {', '.join(labels)}")
    declared = [e["label"] for e in info.get("strategies") or []
                if isinstance(e, dict) and e.get("name") == "agent" and "label" in e]
    agents = list(dict.fromkeys(declared + [label for label in labels
                                            if label == "agent" or label.startswith("agent:")]))
    if strategy is None and len(labels) > 1:  # pooled, an item would count once per strategy
        if len(agents) != 1:  # the one agent strategy beside prompt baselines is meant
            raise EvalError(f"{folder} holds {len(labels)} strategies; a recheck replays one",
                            hint=f"add --strategy, one of: {', '.join(labels)}")
        strategy = agents[0]
    chosen = strategy if strategy is not None else (labels[0] if labels else None)
    if chosen is not None and records and chosen not in agents:  # a baseline has no agent reply
        raise EvalError(f"{chosen!r} is a prompt baseline; a recheck replays the first reply "
                        "of an agent strategy through the agent's checks",
                        hint=f"the run's agent strategies: {', '.join(agents)}" if agents
                        else "run the data set with --strategy agent to recheck it")
    report = RecheckReport(folder, strategy=strategy)
    for record in records:
        if strategy is not None and record.get("strategy") != strategy:
            continue
        trace_path = record.get("trace_path")
        trace_file = folder / trace_path if trace_path else None
        if trace_file is None or not trace_file.is_file() or record["id"] not in questions:
            report.skipped.append(record["id"])
            continue
        try:
            reply = first_reply(json.loads(trace_file.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            reply = None
        if reply is None:
            report.skipped.append(record["id"])
            continue
        status, objective = replay_reply(questions[record["id"]], reply, settings=settings,
                                         solve=solve)
        row = RecheckRow(
            id=record["id"], truth=record.get("truth"),
            was_correct=bool(record.get("correct")), was_status=str(record.get("status")),
            was_objective=record.get("objective"),
            was_repairs=int(record.get("repair_rounds") or 0), status=status,
            objective=objective, correct=is_correct(objective, record.get("truth"), status))
        report.rows.append(row)
        if on_item is not None:
            on_item(row)
    if not report.rows and not report.skipped:
        raise EvalError(f"no results recorded in {folder}", hint="run or resume it first")
    return report
