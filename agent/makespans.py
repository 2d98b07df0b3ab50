"""The time until all jobs are done, written as a sum. For 'three jobs must be done on one of
two identical machines each; the jobs take 4, 6 and 5 hours; assign them so that the time
until all jobs are finished is as short as possible' the embedded 1.5B model minimized
``4*job1 + 6*job2 + 5*job3`` over yes/no variables and answered 0 (9 is right: 6 on one
machine, 4 and 5 on the other).

The check reads a goal of finishing everything as early as possible (the time until all jobs
are finished, the makespan, when the last job ends) and warns where the objective is a plain
sum of the decisions: the finish time is the largest machine load, which needs a variable
held above each load. Where the text also gives the jobs' durations as one list ('take 4, 6
and 5 hours'), their count and the number of identical machines, and the model's decisions
are one per job (job1 .. job3) and nothing else, the fix is that model: ``assign_j_m``
yes/no for each job and machine, each job on one machine, ``makespan >=`` each machine's
load, and ``makespan`` minimized.
"""

from __future__ import annotations

import re

from optiform.agent import textcues
from optiform.agent.check_model import Check, replacement
from optiform.agent.period_plans import period_families
from optiform.agent.share_check import linear_expression
from optiform.solvers.formulation import Formulation

_GOAL = re.compile(
    r"\bmakespan\b|\b(?:time|moment)\s+(?:until|when|by which|at which)\s+(?:all|every|the last)"
    r"\b[^.?!]*\b(?:finish|finished|done|complete|completed|ends?)\b[^.?!]*\b(?:short|small|"
    r"early|soon|least|minimi[sz]e)|\b(?:all|every)\s+(?:the\s+)?jobs?\s+(?:are\s+)?"
    r"(?:finish|finished|done|completed)\s+as\s+(?:early|soon)\b|\blast\s+job\s+(?:finishes|"
    r"ends)\s+as\s+(?:early|soon)\b", re.I)
_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_MACHINES = re.compile(r"\b(two|three|four|five|six|[2-6])\s+(?:identical\s+|equal\s+|parallel\s+)"
                       r"?(?:machines|workers|processors|servers|lines|crews)\b", re.I)
_JOBS = re.compile(r"\b(two|three|four|five|six|seven|eight|[2-9])\s+(?:jobs|tasks|orders)\b",
                   re.I)
_TAKE = re.compile(r"\b(?:take|takes|need|needs|last|lasts|require|requires)\s+((?:\d+(?:\.\d+)?"
                   r"\s*(?:,\s*(?:and\s+)?|and\s+))+\d+(?:\.\d+)?)\s*(?:hours|minutes|days|h)\b",
                   re.I)


def _count(word: str) -> int:
    return _WORDS.get(word.lower()) or int(word)


def _plain_sum(f: Formulation) -> bool:
    form = linear_expression(f.objective.expression)
    return form is not None and len(set(form) - {""}) >= 2


def durations(text: str) -> list[float] | None:
    """The jobs' durations where the text gives them as one list with their count."""
    lists = [[float(x) for x in re.findall(r"\d+(?:\.\d+)?", m.group(1))]
             for m in _TAKE.finditer(text)]
    jobs = {_count(m.group(1)) for m in _JOBS.finditer(text)}
    if len(lists) != 1 or len(jobs) != 1 or len(lists[0]) != jobs.pop():
        return None
    return lists[0]


def _schedule(f: Formulation, times: list[float], machines: int) -> dict[str, dict[str, str]]:
    jobs, shop = range(1, len(times) + 1), range(1, machines + 1)
    x = {(j, m): f"assign_{j}_{m}" for j in jobs for m in shop}
    constraints = {f"job{j}_once": " + ".join(x[j, m] for m in shop) + " == 1" for j in jobs}
    constraints |= {f"load{m}": "makespan >= " + " + ".join(f"{times[j - 1]:g}*{x[j, m]}"
                                                            for j in jobs) for m in shop}
    return replacement(f, constraints,
                       {**dict.fromkeys(x.values(), "binary"), "makespan": "continuous"},
                       {"expression": "makespan"}, "the assignment of jobs to machines")


def makespan_sums(text: str, f: Formulation) -> list[Check]:
    """A warning where the text asks to finish all jobs as early as possible and the model
    minimizes a sum; with the schedule as the fix where it is sure (module docstring)."""
    if f.objective.sense != "minimize" or not _GOAL.search(text) or not _plain_sum(f) or \
            any(v.name == "makespan" for v in f.variables):
        return []
    times = durations(text)
    machines = {_count(m.group(1)) for m in _MACHINES.finditer(text)}
    families = period_families(f)
    sure = times is not None and len(machines) == 1 and len(families) == 1 and \
        len(families[0]) == len(times) and {v.name for v in f.variables} == set(families[0]) \
        and not any(c.for_each for c in f.constraints) and \
        not any(n.percent for n in textcues.numbers_in_text(text))
    fix = _schedule(f, times, machines.pop()) if sure and times else None
    return [Check(code="makespan_sum", severity="warning", where="objective", fix=fix,
                  message=(
                      "The text asks for the time until all jobs are finished, which is the "
                      "largest load of any machine, not a sum: decide which machine does each "
                      "job (a yes/no variable per job and machine, each job on one machine), "
                      "add a variable makespan >= the load of each machine, and minimize "
                      "makespan."))]
