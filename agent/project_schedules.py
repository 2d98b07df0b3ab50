"""A project's earliest finish the model did not write as a schedule. For 'task A takes 3 days;
task B takes 2 days and can start only after A is finished; task C takes 4 days and can start
only after A is finished; task D takes 1 day and can start only after both B and C are
finished; what is the earliest time the whole project can be finished?' a small model has no
start times to write the precedences with.

The check reads each task's duration ('task B takes 2 days', 'activity C lasts 4 hours'), each
written once, in one unit, and in the same sentence the tasks it must wait for ('can start
only after A is finished', 'after both B and C are done', 'requires A to be finished',
'must wait for A'), every one a listed task, with no cycle; and the ask for the earliest
finish (or the shortest time to complete the project). The earliest finish is the longest
path through the precedences (critical path). Where the model's answer is not that, the fix
is the schedule: a start time per task, each task starting after every task it waits for has
finished, the project's finish after every task's, and the finish minimized. The model's own
variables and lines go.
"""

from __future__ import annotations

import re

from optiform.agent.check_model import Check
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult

_TASK = r"(?:[Tt]ask|[Aa]ctivity|[Jj]ob|[Ss]tep)"
_NAME = r"([A-Z]\w{0,11}|\d{1,2})"
_DURATION = re.compile(rf"\b{_TASK}\s+{_NAME}\s+(?:takes|lasts|needs|requires)\s+"
                       r"(\d+(?:\.\d+)?)\s+(day|hour|week|minute|month)s?\b")
_WAITS = re.compile(r"\b(?:(?:can\s+(?:only\s+)?start|starts?|begins?|can\s+begin)\s+only\s+after|"
                    r"(?:can\s+(?:only\s+)?(?:start|begin)|starts?|begins?)\s+after|"
                    r"requires|must\s+wait\s+for|waits\s+for|follows|comes\s+after)\s+"
                    r"((?:both\s+|all\s+of\s+|tasks?\s+|activit(?:y|ies)\s+)*"
                    rf"{_NAME}(?:\s*(?:,\s*(?:and\s+)?|and\s+){_NAME})*)", re.I)
_ASKED = re.compile(r"\b(?:earliest|soonest|shortest|minimum|least|fewest)\b[^.?!]*\b(?:time|"
                    r"finish|finished|complete|completed|completion|duration|makespan|days|"
                    r"hours|weeks)\b", re.I)


def project_tasks(text: str) -> tuple[dict[str, float], dict[str, list[str]]] | None:
    """Each task's duration and the tasks it waits for, as the text gives them, where it asks
    for the earliest finish; else None (module docstring)."""
    if not _ASKED.search(text):
        return None
    durations: dict[str, float] = {}
    waits: dict[str, list[str]] = {}
    units = set()
    for m in _DURATION.finditer(text):
        name = m.group(1)
        if name in durations:
            return None
        durations[name] = float(m.group(2))
        units.add(m.group(3))
        sentence_end = re.search(r"[.;?!](?:\s|$)", text[m.end():])
        rest = text[m.end():m.end() + (sentence_end.start() if sentence_end else len(text))]
        after = _WAITS.search(rest)
        if after:
            waits[name] = re.findall(rf"(?<![\w])(?:{_NAME[1:-1]})(?![\w])",
                                     re.sub(r"\b(?:both|all|of|and|tasks?|activit(?:y|ies))\b",
                                            " ", after.group(1), flags=re.I))
    if len(durations) < 2 or len(units) != 1 or not waits or \
            any(p not in durations or p == t for t, ps in waits.items() for p in ps):
        return None
    return (durations, waits) if earliest_finish(durations, waits) is not None else None


def earliest_finish(durations: dict[str, float], waits: dict[str, list[str]]) -> float | None:
    """The longest path through the precedences; None where they hold a cycle."""
    finish: dict[str, float] = {}
    visiting: set[str] = set()

    def done(task: str) -> float | None:
        if task in finish:
            return finish[task]
        if task in visiting:
            return None
        visiting.add(task)
        start = 0.0
        for p in waits.get(task, []):
            end = done(p)
            if end is None:
                return None
            start = max(start, end)
        visiting.discard(task)
        finish[task] = start + durations[task]
        return finish[task]

    ends = [done(t) for t in durations]
    return None if any(e is None for e in ends) else max(e for e in ends if e is not None)


def _schedule(f: Formulation, durations: dict[str, float],
              waits: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    taken = {v.name for v in f.variables}
    start = {t: f"start_{t}" for t in durations}
    end = "finish"
    while end in taken and end not in start.values():
        end += "_"
    constraints = {f"{t}_after_{p}": f"{start[t]} >= {start[p]} + {durations[p]:g}"
                   for t, ps in waits.items() for p in ps}
    constraints |= {f"finish_after_{t}": f"{end} >= {start[t]} + {d:g}"
                    for t, d in durations.items()}
    variables = dict.fromkeys([*start.values(), end], "continuous")
    return {"constraints": constraints, "variables": variables,
            "objective": {"sense": "minimize", "expression": end},
            "drop": {c.name: "not a line of the schedule" for c in f.constraints
                     if c.name not in constraints},
            "drop_variables": {v.name: "not a start or the finish" for v in f.variables
                               if v.name not in variables}}


def project_lengths(text: str, f: Formulation, result: SolveResult | None) -> list[Check]:
    """A warning, with the project schedule as the fix, where the text asks for a project's
    earliest finish and the model's answer is not its critical path (module docstring)."""
    read = project_tasks(text)
    if read is None:
        return []
    durations, waits = read
    length = earliest_finish(durations, waits)
    answer = result.objective if result is not None and result.ok else None
    if length is None or (answer is not None and
                          abs(answer - length) <= 1e-6 * max(1.0, abs(length))):
        return []
    got = f"the model's answer is {answer:g}" if answer is not None else "the model gives none"
    order = "; ".join(f"{t} after {', '.join(ps)}" for t, ps in waits.items())
    return [Check(code="project_length", severity="warning", where="objective",
                  names=[v.name for v in f.variables], fix=_schedule(f, durations, waits),
                  message=(
                      f"The text asks for the earliest finish of tasks that wait for others "
                      f"({order}); the longest chain of them takes {length:g}, but {got}. "
                      f"Decide a start time per task (start_X): each task starts after every "
                      f"task it waits for has finished (start_B >= start_A + the duration of "
                      f"A); the finish comes after every task's end; minimize the finish."))]
