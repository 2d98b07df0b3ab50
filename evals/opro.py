"""Prompt optimization with an LLM as the optimizer (the idea of OPRO, Yang et al. 2023).

What is optimized is the agent's *guidance*: a few sentences added to every formulation prompt
(``Settings.guidance``). Each step shows the optimizer LLM the guidance texts tried so far with
their scores (the share of training items the agent then solves right), worst first so the
best sit next to the request, and a few items the best text still gets wrong; it writes new
texts between ``<INS>`` and ``</INS>``; each is scored on the same items. The best text wins.

Pure orchestration over injected callables, as learning is: ``score(guidance) -> Scored``
solves the items, ``propose(messages, seed) -> str`` asks the optimizer. Every scored text is
handed to ``on_scored`` as soon as it is known (the command appends it to a JSON-lines file),
and a run handed its earlier trajectory goes on from there without scoring anything twice.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from optiform.agent.llm import Message
from optiform.errors import OptiformError, is_fatal

MAX_GUIDANCE_CHARS = 600
SHOWN_TEXTS = 12  # OPRO shows the best 20; a 1.5B model reads 40 tokens a second
SHOWN_MISSES = 2
MISS_CHARS = 500
_TAGGED = re.compile(r"<INS>(.*?)(?:</INS>|$)", re.DOTALL | re.IGNORECASE)
_SCORE = re.compile(r"\bscore\s*:", re.IGNORECASE)
# untagged replies that are no advice: refusals, apologies, JSON or code
_NOT_ADVICE = re.compile(r"[{}`]|\b(sorry|apologi[sz]e|cannot|can't|unable)\b",
                         re.IGNORECASE)
_LEAD_IN = re.compile(r"^[^.:\n]{0,80}:\s*\n", re.IGNORECASE)  # "Here is a new text:\n"


@dataclass(frozen=True)
class Scored:
    """One guidance text and how the agent did with it."""

    guidance: str
    step: int
    correct: int
    total: int
    wrong: tuple[str, ...] = ()  # ids of the items it got wrong

    @property
    def score(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "guidance": self.guidance, "correct": self.correct,
                "total": self.total, "score": round(self.score, 4), "wrong": list(self.wrong)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scored:
        return cls(guidance=str(data["guidance"]), step=int(data["step"]),
                   correct=int(data["correct"]), total=int(data["total"]),
                   wrong=tuple(str(w) for w in data.get("wrong", [])))


def same_text(a: str, b: str) -> bool:
    """Whether two guidance texts say the same words (case and spacing aside)."""
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def best(trajectory: Iterable[Scored]) -> Scored | None:
    """The highest score; on a tie the earlier (the baseline before any rewrite)."""
    found: Scored | None = None
    for s in trajectory:
        if found is None or s.score > found.score:
            found = s
    return found


def meta_prompt(trajectory: list[Scored], misses: list[tuple[str, str]]) -> list[Message]:
    """The optimizer's prompt: scored texts worst first, then problems the best one misses.

    ``misses``: (problem text, expected answer) pairs."""
    ranked = sorted(_distinct(trajectory), key=lambda s: (s.score, -s.step))[-SHOWN_TEXTS:]
    lines = ["A model turns optimization word problems into mathematical models. Extra "
             "guidance is added to its instructions. Below are guidance texts tried so far, "
             "each with its score (the percentage of training problems then modeled right), "
             "from worst to best.", ""]
    for s in ranked:
        text = s.guidance.strip() or "(no guidance)"
        lines += [f"text: {text}", f"score: {round(100 * s.score)}", ""]
    if misses:
        lines.append("Problems the best text still gets wrong:")
        for question, answer in misses[:SHOWN_MISSES]:
            q = " ".join(question.split())
            q = q if len(q) <= MISS_CHARS else q[: MISS_CHARS - 1] + "…"
            lines.append(f"Problem: {q}\nRight optimal value: {answer}")
        lines.append("")
    lines.append("Write a new guidance text, different from every text above, that would score "
                 "higher: general advice on modeling such problems (never one problem's "
                 "numbers), at most 80 words. Write it between <INS> and </INS>.")
    return [Message(role="system", content="You improve instructions for a modeling "
                                           "assistant."),
            Message(role="user", content="\n".join(lines))]


def _distinct(trajectory: list[Scored]) -> list[Scored]:
    out: list[Scored] = []
    for s in trajectory:
        if not any(same_text(s.guidance, o.guidance) for o in out):
            out.append(s)
    return out


def parse_guidance(reply: str) -> str | None:
    """The guidance text of an optimizer reply, cleaned; None when there is nothing usable.

    The first ``<INS>`` block that holds a usable text (a model that repeats the request
    writes "between <INS> and </INS>" before its own block); without tags, the reply itself
    when it is short, after a lead-in line ("Here is a new text:"). A "score:" it copies from
    the prompt's layout ends the text."""
    blocks = [m.group(1) for m in _TAGGED.finditer(reply)]
    if not blocks:
        if len(reply) > MAX_GUIDANCE_CHARS or _NOT_ADVICE.search(reply):
            return None
        blocks = [_LEAD_IN.sub("", reply.strip(), count=1)]
    for block in blocks:
        text = _clean(block)
        if text is not None:
            return text
    return None


def _clean(block: str) -> str | None:
    text = _SCORE.split(block, maxsplit=1)[0]
    text = " ".join(text.split()).strip().strip('"').strip()
    if text.lower().startswith(("text:", "guidance:")):
        text = text.split(":", 1)[1].strip()
    if len(text) > MAX_GUIDANCE_CHARS:  # a small model overshoots the 80 words asked for:
        cut = text[:MAX_GUIDANCE_CHARS]  # keep the whole sentences that fit
        end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
        text = cut[: end + 1] if end > 0 else ""
    if len(text.split()) < 3:
        return None
    return text


@dataclass
class TuneReport:
    trajectory: list[Scored] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # proposals that could not be used

    @property
    def best(self) -> Scored | None:
        return best(self.trajectory)


def optimize(score: Callable[[str, int], Scored], propose: Callable[[list[Message], int], str],
             questions: dict[str, tuple[str, str]], *, steps: int, per_step: int,
             start: str = "", earlier: list[Scored] | None = None,
             on_scored: Callable[[Scored], None] | None = None,
             on_note: Callable[[str], None] | None = None) -> TuneReport:
    """Run OPRO for ``steps`` steps of ``per_step`` proposals (see the module docstring).

    ``score(guidance, step)`` solves the training items with that guidance; ``questions``
    maps item ids to (problem text, expected answer) for the misses shown to the optimizer;
    ``start`` is the guidance scored first (step 0; empty: the agent as it is). With
    ``earlier`` (a trajectory read back from disk) the run goes on after its last step."""
    report = TuneReport(trajectory=list(earlier or []))

    def note(text: str) -> None:
        report.notes.append(text)
        if on_note is not None:
            on_note(text)

    def scored(s: Scored) -> None:
        report.trajectory.append(s)
        if on_scored is not None:
            on_scored(s)

    if not any(s.step == 0 for s in report.trajectory):
        scored(score(start, 0))
    first = max(s.step for s in report.trajectory) + 1
    for step_no in range(first, first + steps):
        top = report.best
        assert top is not None
        # OPRO draws the exemplars afresh each step: the optimizer sees other misses
        wrong = [i for i in top.wrong if i in questions]
        drawn = random.Random(step_no).sample(wrong, min(SHOWN_MISSES, len(wrong)))
        messages = meta_prompt(report.trajectory, [questions[i] for i in drawn])
        for n in range(per_step):
            seed = step_no * 100 + n
            try:
                reply = propose(messages, seed)
            except OptiformError as exc:
                if is_fatal(exc):
                    raise
                note(f"step {step_no}: the optimizer failed ({exc.message})")
                continue
            text = parse_guidance(reply)
            if text is None:
                note(f"step {step_no}: no guidance text in the optimizer's reply "
                     f"({' '.join(reply.split())[:120]!r})")
                continue
            if any(same_text(text, s.guidance) for s in report.trajectory):
                note(f"step {step_no}: the optimizer repeated a text already scored")
                continue
            scored(score(text, step_no))
    return report
