"""A project's earliest finish the model did not write as a schedule. For 'task A takes 3 days;
task B takes 2 days and can start only after A is finished; task C takes 4 days and can start
only after A is finished; task D takes 1 day and can start only after both B and C are
finished; what is the earliest time the whole project can be finished?' a small model has no
start times to write the precedences with.

The check reads each task's duration ('task B takes 2 days', 'activity C lasts 4 hours'), each
written once, in one unit, and in the same sentence the tasks it must wait for ('can start
only after A is finished', 'after both B and C are done', 'requires A to be finished',
'must wait for A'), every one a listed task, with no cycle; and the ask for the earliest
finish (or the shortest time to complete the project) of the whole project, not of one task
and not a cost. The text must say nothing beyond the durations and waits read: no other number
(a release day, a lag, a cost), no order word outside the reads ('C cannot start until B is
finished', 'after A has started', 'not at the same time'), no number word but the count of
tasks; a number names a task in a wait only after its kind ('requires 2 workers' is none).
The earliest finish is the longest
path through the precedences (critical path). Where the model's answer is not that, the fix
is the schedule: a start time per task, each task starting after every task it waits for has
finished, the project's finish after every task's, and the finish minimized. The model's own
variables and lines go.
"""

from __future__ import annotations

import re

from optiform.agent.check_model import Check, replacement
from optiform.agent.textcues import NUMBER_WORDS
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult

_TASK = r"(?:[Tt]ask|[Aa]ctivity|[Jj]ob|[Ss]tep)"
_NAME = r"([A-Z]\w{0,11}|\d{1,2})"
_DURATION = re.compile(rf"\b{_TASK}\s+{_NAME}\s+(?:takes|lasts|needs|requires)\s+"
                       r"(\d+(?:\.\d+)?)\s+(day|hour|week|minute|month)s?\b")
_WAITS = re.compile(r"\b(?:(?:can\s+(?:only\s+)?start|starts?|begins?|can\s+begin)\s+only\s+after|"
                    r"(?:can\s+(?:only\s+)?(?:start|begin)|starts?|begins?)\s+after|"
                    r"requires|must\s+wait\s+for|waits\s+for|follows|comes\s+after)\s+"
                    r"((?:both\s+|all\s+of\s+|tasks?\s+|activit(?:y|ies)\s+|jobs?\s+|steps?\s+)*"
                    rf"{_NAME}(?:\s*(?:,\s*(?:and\s+)?|and\s+){_NAME})*)", re.I)
_ASKED = re.compile(r"\b(?:earliest|soonest|shortest|minimum|least|fewest)\b[^.?!]*\b(?:time|"
                    r"finish|finished|complete|completed|completion|duration|makespan|days|"
                    r"hours|weeks)\b", re.I)
# words that say more about the order or the times than the reads take in: a release ('cannot start
# before day 5'), a wait read nowhere ('C cannot start until B is finished'), a start-to-start
# order ('after A has started'), a shared crane ('not at the same time'), a lag
_MORE = re.compile(r"\b(?:after|before|until|till|once|precede[sd]?|preceding|prerequisites?|"
                   r"depends?|dependent|follow(?:s|ed|ing)?|started|starts?|begins?|begun|"
                   r"same|simultaneous(?:ly)?|overlap\w*|parallel|together|shared?|lag|delay\w*|"
                   r"deadline|due|release[ds]?|not|cannot|can't|crews?|workers?|resources?|"
                   r"costs?|\$)", re.I)
_DIGITS = re.compile(r"\d")
_NAMED_TASK = re.compile(rf"\b{_TASK}s?\s+{_NAME}\b")
_OTHER_ASK = re.compile(r"\$|\b(?:costs?|price|budget|money|dollars?|profit)\b", re.I)


def project_tasks(text: str) -> tuple[dict[str, float], dict[str, list[str]]] | None:
    """Each task's duration and the tasks it waits for, as the text gives them, where it asks
    for the earliest finish; else None (module docstring)."""
    asked = _ASKED.search(text)
    if not asked:
        return None
    start = max(text.rfind(e, 0, asked.start()) for e in ".?!")
    ask = text[start + 1:asked.end() + (re.search(r"[.?!]|$", text[asked.end():]).start())]
    if _NAMED_TASK.search(ask) or _OTHER_ASK.search(ask):
        return None  # one task's finish ('the earliest time task C can be finished'), a cost
    read_spans: list[tuple[int, int]] = []
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
        read_spans.append(m.span())
        after = _WAITS.search(rest)
        if after:
            read_spans.append((m.end() + after.start(), m.end() + after.end()))
            if re.fullmatch(r"(?:both\s+|all\s+of\s+)*\d.*", after.group(1), re.S | re.I):
                return None  # 'requires 2 workers': a number is a task's name after its kind
            waits[name] = re.findall(rf"(?<![\w])(?:{_NAME[1:-1]})(?![\w])",
                                     re.sub(r"\b(?:both|all|of|and|tasks?|activit(?:y|ies))\b",
                                            " ", after.group(1), flags=re.I))
    rest_of_text = "".join(ch if not any(a <= i < b for a, b in read_spans) else " "
                           for i, ch in enumerate(text))
    rest_of_text = _NAMED_TASK.sub(" ", rest_of_text)
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", rest_of_text)}
    if _DIGITS.search(rest_of_text) or _MORE.search(rest_of_text) or \
            any(NUMBER_WORDS[w] != len(durations) for w in words & NUMBER_WORDS.keys()):
        return None  # more data than the durations and the waits read: a release, a lag, a crew
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
    return replacement(f, constraints, variables, {"sense": "minimize", "expression": end},
                       "the schedule")


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
