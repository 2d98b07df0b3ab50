"""A constraint the text writes out in the model's own names: 'split a budget of 10 between x
and y so that x + y = 10; minimize x squared plus 2 times y squared' came back from the
embedded 1.5B model with ``x + y <= 10``, and the answer was 0 at x = y = 0 (66.67 is right).

The check reads the text for comparisons written in symbols ('x + y = 10', '2a - b <= 4',
'x1 + x2 ≥ 3') whose names are all decisions of the model, over a linear left side and a
number on the right. A model that states the same comparison (the same linear form and
number, up to a factor, however written) passes; one whose constraint has the same left side
(up to a factor) under another comparison or number gets it replaced; one that lacks it gets
it added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from optiform.agent.check_model import Check, close
from optiform.agent.share_check import Linear, equivalent, linear_constraint
from optiform.solvers.formulation import Formulation

_TERM = r"(?:\d+(?:\.\d+)?\s*\*?\s*)?[A-Za-z_]\w*"
_FORMULA = re.compile(
    rf"(?<![\w.])(?P<lhs>(?:-\s*)?(?:{_TERM}(?:\s*[-+]\s*{_TERM})+|{_TERM}))\s*"
    r"(?P<op><=|>=|==|=|≤|≥)\s*(?P<rhs>-?\d+(?:\.\d+)?)(?!\w|\.\d)")


@dataclass(frozen=True)
class Stated:
    text: str  # as the text writes it
    expression: str  # in the model's syntax
    form: Linear  # lhs - rhs


def _implicit_products(lhs: str) -> str:
    """'2x + 3y' -> '2*x + 3*y'."""
    return re.sub(r"(\d)\s*([A-Za-z_])", r"\1*\2", lhs)


_JOINING = frozenset(["plus", "minus", "times", "of", "by", "and", "or"])


def _joined(before: str, names: set[str]) -> bool:
    """Whether a one-name formula is the tail of words that join it to more: 'the sum of x
    and y = 10' (y alone is not 10), 'twice x plus y = 7'; 'x = 5 and y = 10' is two."""
    words = re.findall(r"[A-Za-z_]\w*|\d+(?:\.\d+)?", before)
    if not words or words[-1].lower() not in _JOINING:
        return False
    return words[-1].lower() not in ("and", "or") or (len(words) > 1 and words[-2] in names)


def stated_formulas(text: str, names: set[str]) -> list[Stated]:
    out = []
    for m in _FORMULA.finditer(text):
        before = text[:m.start()].rstrip()
        if before and (before[-1] in "*/^)+-." or before[-1].isdigit()):
            continue  # the tail of a longer expression: 'x*y = 32', '1/2 x + y <= 4', '5 - x'
        lhs = _implicit_products(m.group("lhs"))
        found = re.findall(r"[A-Za-z_]\w*", lhs)
        if not set(found) <= names or (len(found) == 1 and _joined(before, names)):
            continue
        op = {"=": "==", "≤": "<=", "≥": ">="}.get(m.group("op"), m.group("op"))
        expression = f"{lhs} {op} {m.group('rhs')}"
        parsed = linear_constraint(expression)
        if parsed is not None:
            out.append(Stated(m.group(0), expression, parsed[0]))
    return out


def _proportional(a: Linear, b: Linear) -> bool:
    """Whether two linear forms over decisions (their numbers left out) are one another
    times a factor."""
    a = {k: v for k, v in a.items() if k}
    b = {k: v for k, v in b.items() if k}
    if not a or set(a) != set(b):
        return False
    key = next(iter(a))
    ratio = a[key] / b[key]
    return all(close(a[k], ratio * b[k]) for k in a)


def stated_formula_checks(text: str, f: Formulation) -> list[Check]:
    scalars = {v.name for v in f.variables if not v.index}
    if not scalars:
        return []
    written = []
    for c in f.constraints:
        parsed = None if c.for_each else linear_constraint(c.expression)
        if parsed is not None:
            written.append((c, parsed[0]))
    taken = {c.name for c in f.constraints}
    out = []
    for s in stated_formulas(text, scalars):
        if any(equivalent(c.expression, s.expression) for c, _ in written):
            continue
        same_left = next((c for c, form in written if _proportional(form, s.form)), None)
        if same_left is not None:
            out.append(Check(
                code="stated_formula", severity="warning",
                where=f"constraint '{same_left.name}'", names=[same_left.name],
                fix={"constraints": {same_left.name: s.expression}},
                message=(f"The text states \"{s.text}\", but constraint '{same_left.name}' "
                         f"writes {same_left.expression}: write {s.expression}.")))
            continue
        name = "stated"
        while name in taken:
            name += "_"
        taken.add(name)
        out.append(Check(
            code="stated_formula", severity="warning", where=f"constraint '{name}'",
            names=[name], fix={"constraints": {name: s.expression}},
            message=f"The text states \"{s.text}\", which no constraint states: add it."))
    return out

