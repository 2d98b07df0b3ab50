"""An assignment with one side left out: 'four workers must be assigned to four tasks, one
task each and each task to one worker' came back from the embedded 1.5B model with
``sum(x[p, t] for t in task) == 1`` for each worker and nothing for each task, so two
workers took the same task (10 where 13 is right).

Where the text asks for an assignment of one to one ('assigned to ... one ... each'), the
model has a variable ``x[A, B]`` over two sets of as many elements, and one side holds a
constraint for each element summing x over the other set to 1 (``== 1`` or ``<= 1``), the
other side's is added by the fix: ``sum(x[a, b] for a in A) == 1`` for each b in B. Sets of
different sizes, both sides (or neither) written, or the other side bounded some other way
(a capacity per element), make it stay silent.

A line per element held to the size of the whole other set instead of 1 (three jobs in all
written as each machine's, beside 'one job per machine': infeasible) is set to ``== 1``
(``assignment_totals``), where a line of the same variable holds an element to one (``== 1``
or ``<= 1``, either side), so that the model as written cannot hold: a variable no line holds
to one (hours shared among the drivers, a 0/1 'trained' over every pair) is another decision.
"""

from __future__ import annotations

import ast
import re

from optiform.agent.check_model import Check
from optiform.agent.comparison import comparison, constant, summed
from optiform.solvers.formulation import Formulation, VarDef

_ONE_TO_ONE = re.compile(r"\bassign(?:ed|s)?\s+to\b[^.?!]*\b(?:one|each|exactly)\b|"
                         r"\b(?:one|each)\b[^.?!]*\bassigned\s+to\s+(?:exactly\s+)?one\b",
                         re.IGNORECASE)


def _side(c_for_each: str | None, expression: str, x: str, index: list[str]) -> str | None:
    """The set a constraint is written for, where it is 'sum(x[..] for b in B) op 1' for each
    element of the other set; else None."""
    read = _per_element(c_for_each, expression, x, index)
    if read is None or read[1] == ">=" or read[2] != 1.0:
        return None
    return read[0]


def _per_element(c_for_each: str | None, expression: str, x: str,
                 index: list[str]) -> tuple[str, str, float] | None:
    """(the set it is written for, the comparison, the number) where a constraint is
    'sum(x[..] for b in B) op number' for each element of the other set; else None."""
    head = re.fullmatch(r"\s*(\w+)\s+in\s+(\w+)\s*", c_for_each or "")
    parts = comparison(expression)
    number = constant(parts[2]) if parts is not None else None
    if head is None or parts is None or number is None:
        return None
    name, over = head.groups()
    left = parts[0]
    gen = summed(left)
    if over not in index or gen is None:
        return None
    elt = gen.elt
    if len(gen.generators) != 1 or gen.generators[0].ifs or \
            not (isinstance(elt, ast.Subscript) and isinstance(elt.value, ast.Name)
                 and elt.value.id == x):
        return None
    inner = gen.generators[0]
    other = [s for s in index if s != over]
    if len(other) != 1 or not isinstance(inner.iter, ast.Name) or inner.iter.id != other[0]:
        return None
    keys = {n.id for n in ast.walk(elt.slice) if isinstance(n, ast.Name)}
    if not isinstance(inner.target, ast.Name) or keys != {name, inner.target.id}:
        return None
    return over, parts[1], number


def _set_sizes(f: Formulation) -> dict[str, int]:
    """The sets whose elements the model lists, by size."""
    return {s.name: len(s.elements) for s in f.sets if s.elements and not s.source}


def _square_variables(f: Formulation) -> list[VarDef]:
    """The variables over two different listed sets of one size (an assignment's x[A, B])."""
    sizes = _set_sizes(f)
    return [v for v in f.variables
            if len(v.index) == 2 and len(set(v.index)) == 2 and
            all(s in sizes for s in v.index) and sizes[v.index[0]] == sizes[v.index[1]]]


def assignment_totals(text: str, f: Formulation) -> list[Check]:
    """In a one-to-one assignment, a line per element that holds the sum over the other set to
    that set's size ('sum(assign[j, m] for j in J) == 3' for each machine m, three jobs in
    all: the embedded model's reply, infeasible beside 'one job per machine') is the total
    written as each element's share: each element takes exactly one."""
    if not _ONE_TO_ONE.search(text):
        return []
    sizes = _set_sizes(f)
    out = []
    for v in _square_variables(f):
        if sizes[v.index[0]] < 2:
            continue
        if not any(_side(c.for_each, c.expression, v.name, v.index) for c in f.constraints):
            continue  # no line holds an element to one: not the assignment, and 'sum == 3' per
            # route of maintenance hours (or of a 0/1 'trained' over all pairs) may be right
        for c in f.constraints:
            read = _per_element(c.for_each, c.expression, v.name, v.index)
            if read is None or read[1] == "<=" or \
                    read[2] != sizes[v.index[0]]:
                continue
            tail = re.search(r"(?:==|>=)\s*\d+(?:\.0*)?\s*$", c.expression)
            if tail is None:  # the number written first: no sure rewrite
                continue
            expression = f"{c.expression[:tail.start()].rstrip()} == 1"
            out.append(Check(
                code="assignment_total", severity="warning", where=f"constraint '{c.name}'",
                names=[c.name], fix={"constraints": {c.name: expression}},
                message=(f"The text assigns one to one, but constraint '{c.name}' holds each "
                         f"element of {read[0]} to {read[2]:g}, the size of the whole set: "
                         f"each takes exactly one, {expression}.")))
    return out


def assignment_sides(text: str, f: Formulation) -> list[Check]:
    if not _ONE_TO_ONE.search(text):
        return []
    out = []
    for v in _square_variables(f):
        written = {side for c in f.constraints
                   if (side := _side(c.for_each, c.expression, v.name, v.index)) is not None}
        if len(written) != 1:
            continue
        (done,) = written
        (missing,) = [s for s in v.index if s != done]
        if any(re.fullmatch(rf"\s*\w+\s+in\s+{re.escape(missing)}\s*", c.for_each or "")
               and re.search(rf"\b{re.escape(v.name)}\s*\[", c.expression)
               for c in f.constraints):
            continue  # the other side holds its own limit ('a machine takes up to 2 jobs')
        taken = {c.name for c in f.constraints}
        a, b = ("i", "j") if "i" not in (missing, done) else ("p", "q")
        keys = ", ".join(b if s == missing else a for s in v.index)
        expression = f"sum({v.name}[{keys}] for {a} in {done}) == 1"
        name = f"one_per_{missing}"
        while name in taken:
            name += "_"
        out.append(Check(
            code="assignment_side", severity="warning", where=f"constraint '{name}'",
            names=[name], fix={"constraints": {name: expression},
                               "for_each": {name: f"{b} in {missing}"}},
            message=(f"The text assigns one to one, but only the elements of {done} are held "
                     f"to one of {missing}: each element of {missing} needs one too, "
                     f"{expression} for each {b} in {missing}.")))
    return out
