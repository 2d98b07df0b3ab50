"""Times in two units in one constraint: 'a muffin needs 10 minutes of oven time ... there
are 40 hours of oven time' came back from the embedded 1.5B model as
``10*muffins + 15*croissants <= 40``, minutes against hours (infeasible with 'at least 20
croissants').

The check reads a constraint ``sum(a_i*x_i) op b`` (no for_each) whose coefficients are all
numbers the text states in one unit of time and whose bound is a number it states in
another (every statement of each number in that unit: '10 minutes', '40 hours'). The fix
writes the bound in the coefficients' unit: ``... <= 40*60``.
"""

from __future__ import annotations

import ast
import re

from optiform.agent import textcues
from optiform.agent.check_model import Check, close, constants
from optiform.agent.comparison import comparisons, constant
from optiform.agent.share_check import linear_expression
from optiform.solvers.formulation import Formulation

_SECONDS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600,
            "day": 86400}
_UNIT = re.compile(r"\s*(?:-\s*)?([a-z]+)")


def _unit(text: str, n: textcues.TextNumber) -> str | None:
    m = _UNIT.match(text[n.stop:n.stop + 20].lower())
    if m is None:
        return None
    word = textcues.stem(m.group(1))
    return word if word in _SECONDS else {"mins": "min", "hrs": "hr", "secs": "sec"}.get(
        m.group(1))


def _stated_unit(text: str, numbers: list[textcues.TextNumber], value: float) -> str | None:
    """The one time unit every statement of ``value`` has, else None."""
    units = {_unit(text, n) for n in numbers if close(n.value, value)}
    return units.pop() if len(units) == 1 else None


def time_units(text: str, f: Formulation) -> list[Check]:
    numbers = [n for n in textcues.numbers_in_text(text) if not n.percent]
    if not any(_unit(text, n) for n in numbers):
        return []
    out = []
    for c, (left, op, right) in comparisons(f):
        bound = constant(right)
        form = linear_expression(ast.unparse(left))
        if bound is None or form is None or form.get("", 0.0) or len(form) < 1:
            continue
        rates = {_stated_unit(text, numbers, v) for k, v in form.items() if k}
        bound_unit = _stated_unit(text, numbers, bound)
        if len(rates) != 1 or None in rates or bound_unit is None:
            continue
        rate_unit = rates.pop()
        if rate_unit is None or _SECONDS[rate_unit] == _SECONDS[bound_unit]:
            continue
        factor = _SECONDS[bound_unit] / _SECONDS[rate_unit]
        scale = f"{factor:g}" if factor >= 1 else f"(1/{1 / factor:g})"
        new = f"{ast.unparse(left)} {op} {ast.unparse(right)}*{scale}"
        out.append(Check(
            code="time_units", severity="warning", where=f"constraint '{c.name}'",
            names=[c.name], fix={"constraints": {c.name: new}},
            message=(f"Constraint '{c.name}' ({c.expression}) weighs times in {rate_unit}s "
                     f"against {bound:g} {bound_unit}s: in one unit, {new}.")))
    return out


_TIMELY = re.compile(r"hour|minute|second|time|shift|day|overtime|hrs?$|mins?$", re.I)


# one of a unit of time: '1 hour', 'an hour', 'per minute', 'hourly'
_ONE_UNIT = re.compile(r"\b(?:1|one|an?|per|each|every)\s+(hour|hr|minute|min|second|sec|day)\b"
                       r"|\b(hour|dai)ly\b", re.I)


def _speaks_of_one(text: str, unit: str) -> bool:
    """The text speaks of one ``unit`` of time ('1 hour', '$20 an hour', 'hourly')."""
    words = [w.lower() for m in _ONE_UNIT.finditer(text) for w in m.groups() if w]
    return any(_SECONDS[{"dai": "day"}.get(w, w)] == _SECONDS[unit] for w in words)


def time_bounds(text: str, f: Formulation) -> list[Check]:
    """'Each machine runs at most 8 hours a day' came back as ``30*desks + 15*bookcases <=
    480`` and, besides it, ``desks <= 8``: the hours read as a limit on desks as well. A
    bound ``x <= N`` on one decision not named for time, where the text states N only as a
    time (8 hours) and another constraint uses N already, as it is or in another unit of time
    (8*60 = 480), is dropped by the fix. Not where the text speaks of one of that unit ('1
    hour on machine 1', '$20 an hour', 'per hour'): then a decision may take one hour each,
    or be hours itself, and ``x <= 8`` may be right."""
    numbers = [n for n in textcues.numbers_in_text(text) if not n.percent]
    out = []
    for c, (left, op, right) in comparisons(f):
        bound = constant(right)
        if op != "<=" or bound is None or bound <= 0 or not isinstance(left, ast.Name) or \
                _TIMELY.search(left.id):
            continue
        unit = _stated_unit(text, numbers, bound)
        if unit is None or _speaks_of_one(text, unit):
            continue
        forms = {bound * _SECONDS[unit] / s for s in set(_SECONDS.values())}
        used = next((other.name for other, (ol, _, orr) in comparisons(f)
                     if other.name != c.name and not isinstance(ol, ast.Name) and
                     any(close(v, form) for v in constants(orr) | constants(ol)
                         for form in forms)), None)
        if used is None:
            continue
        out.append(Check(
            code="time_bound", severity="warning", where=f"constraint '{c.name}'",
            names=[c.name], fix={"drop": {c.name: f"{bound:g} {unit}s, used in '{used}'"}},
            message=(f"Constraint '{c.name}' ({c.expression}) bounds {left.id} by {bound:g}, "
                     f"which the text states as {bound:g} {unit}s, a time that constraint "
                     f"'{used}' already holds; {left.id} is no time: leave '{c.name}' out.")))
    return out
