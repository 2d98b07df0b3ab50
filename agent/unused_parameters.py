"""Data the model declares and never uses. For 'two plants ship to three cities; supply,
demand and costs in supply.csv, demand.csv and costs.csv; meet every city's demand at the
least cost' the embedded 1.5B model declared ``supply[P]`` and used it nowhere: plant P2
shipped 80 of its 60 (520, where 560 is right). The text has no numbers of its own here, so
``unused_numbers`` cannot see it.

The check warns for each parameter with data that no expression uses (a scalar whose number
the model writes out instead is used). Where it is sure, it
adds the line: a parameter over one set whose name says it limits (supply, capacity,
available, stock, limit, max) or requires (demand, requirement, need, min), and one decision
over that set and exactly one other, make ``sum(x[s, t] for t in T) <= supply[s]`` (or ``>=``)
for each s. A min/minimum/lower/safety in the name makes it a floor and max/maximum/upper a
ceiling whatever the noun (min_supply, safety_stock). No line where the other set is one of
periods (months, T, weeks): a capacity over plants for production per plant and month is most
often per month, not over the months' sum.
"""

from __future__ import annotations

import ast
import re

from optiform.agent.check_model import Check, close, expressions, parse_tree
from optiform.solvers.formulation import Formulation

_LIMITS = re.compile(r"(?:^|_)(?:supply|supplies|capacity|capacities|cap|available|availability|"
                     r"stock|limit|limits|max|maximum|upper)(?:_|$)", re.I)
_NEEDS = re.compile(r"(?:^|_)(?:demand|demands|requirement|requirements|required|need|needs|"
                    r"min|minimum|lower)(?:_|$)", re.I)


_LOWER = re.compile(r"(?:^|_)(?:min|minimum|lower|least|safety)(?:_|$)", re.I)
_UPPER = re.compile(r"(?:^|_)(?:max|maximum|upper|most)(?:_|$)", re.I)
# a set of periods: a limit per period ('capacity per month') is no limit on the sum over them
_PERIODS = re.compile(r"^(?:t|times?|periods?|months?|weeks?|days?|years?|quarters?|hours?|"
                      r"shifts?|seasons?|horizon|stages?)$", re.I)
_PERIOD_ELEMENT = re.compile(r"^(?:(?:t|period|month|week|day|year|quarter|q|hour|shift)_?\d+|"
                             r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|"
                             r"fri|sat|sun|january|february|march|april|june|july|august|"
                             r"september|october|november|december|monday|tuesday|wednesday|"
                             r"thursday|friday|saturday|sunday)$", re.I)


def _periods(f: Formulation, name: str) -> bool:
    found = [s for s in f.sets if s.name == name]
    elements = [str(e) for e in (found[0].elements or [])] if found else []
    return bool(_PERIODS.match(name)) or \
        (bool(elements) and all(_PERIOD_ELEMENT.match(e) for e in elements))


def _used(f: Formulation) -> tuple[set[str], list[float]]:
    """The names and the numbers the expressions write."""
    names: set[str] = set()
    numbers: list[float] = []
    for _, text in expressions(f):
        tree = parse_tree(text)
        if tree is not None:
            for n in ast.walk(tree):
                if isinstance(n, ast.Name):
                    names.add(n.id)
                elif isinstance(n, ast.Constant) and isinstance(n.value, (int, float)):
                    numbers.append(float(n.value))
    return names, numbers


def _has_data(p: object) -> bool:
    return bool(getattr(p, "values", None)) or getattr(p, "value", None) is not None or \
        getattr(p, "source", None) is not None


def _line(f: Formulation, name: str, index: list[str]) -> tuple[str, str, str] | None:
    """(constraint name, for_each, expression) for the parameter's line, where sure."""
    # min_supply, safety_stock: a floor; max_demand: a ceiling, whatever the noun
    sense = ">=" if _LOWER.search(name) else "<=" if _UPPER.search(name) else \
        "<=" if _LIMITS.search(name) else ">=" if _NEEDS.search(name) else None
    if sense is None or len(index) != 1:
        return None
    own = index[0]
    over = [v for v in f.variables if len(v.index) == 2 and v.index.count(own) == 1]
    if len(over) != 1:
        return None
    var = over[0]
    other = next(s for s in var.index if s != own)
    if _periods(f, other):
        return None  # capacity[p] over make[p, t]: per period, or over all? not sure
    taken = {v.name for v in f.variables} | {p.name for p in f.parameters} | \
        {s.name for s in f.sets} | {c.name for c in f.constraints}
    i, j = own[0].lower(), other[0].lower()
    while i in taken:
        i += "_"
    while j in taken or j == i:
        j += "_"
    subscript = ", ".join(i if s == own else j for s in var.index)
    line_name = f"{name}_limit" if sense == "<=" else f"{name}_met"
    while line_name in taken:
        line_name += "_"
    return line_name, f"{i} in {own}", \
        f"sum({var.name}[{subscript}] for {j} in {other}) {sense} {name}[{i}]"


def unused_parameters(f: Formulation) -> list[Check]:
    """A warning per parameter with data that no expression uses, with its line as the fix
    where sure (module docstring)."""
    used, numbers = _used(f)
    out = []
    for p in f.parameters:
        if p.name in used or not _has_data(p):
            continue
        if p.value is not None and any(close(p.value, n) for n in numbers):
            continue  # a scalar whose number the model writes out instead
        line = _line(f, p.name, list(p.index))
        fix = None
        if line is not None:
            fix = {"constraints": {line[0]: line[2]}, "for_each": {line[0]: line[1]}}
        out.append(Check(code="unused_parameter", severity="warning", where=f"parameter '{p.name}'",
                         names=[p.name], fix=fix, message=(
                             f"The model declares {p.name} with data but no line or objective "
                             f"uses it: a limit or requirement of the problem is missing"
                             + (f" ({line[2]} for each {line[1]})." if line else ".")
                             + " Use it, or remove it if it is not data of the problem.")))
    return out
