"""A yes/no choice with a cost that no constraint ties to anything: 'opening a warehouse costs
5000, and it can hold at most 100 units' written as ``units_0 <= 100`` beside a binary
``warehouse_0`` that only the objective holds. Minimizing, nothing asks for the warehouse to
be open, so it stays closed, its cost never counts, and the units are shipped from a
warehouse that does not exist. The embedded 1.5B model wrote this for a choice of warehouses.

The check, where the text speaks of a choice (whether, which, open, build, select, a fixed
cost), finds a binary variable that costs something in the objective (a positive
coefficient when minimizing, a negative one when maximizing) and appears in no constraint
with a variable that is not binary. Where one other variable has the same key (``units_0``
for ``warehouse_0``, ``ship_Austin`` for ``open_Austin``) and a constraint bounds it alone by a
number (its capacity), the link is sure: that bound holds only when the choice is yes,
``units_0 <= 100*warehouse_0``, applied by autofix; otherwise the warning says what to write.
"""

from __future__ import annotations

import ast
import re

from optiform.agent.check_model import Check
from optiform.agent.comparison import comparison, constant, summed
from optiform.agent.share_check import linear_constraint, linear_expression
from optiform.solvers.formulation import ConstraintDef, Formulation

# the text speaks of a yes/no choice with a cost of its own
_CHOICE = re.compile(r"\b(?:whether|or not|which|select(?:s|ed)?|choos(?:e|es|ing)|decid(?:e|es)|"
                     r"open(?:s|ed|ing)?|build(?:s|ing)?|built|set ?up|install(?:s|ed)?|"
                     r"fixed (?:cost|charge|fee)s?|start-?up (?:cost|fee)s?)\b")
_KEY = re.compile(r"(?:_(?P<word>[A-Za-z0-9]+)|(?<=[A-Za-z])(?P<digits>\d+))$")


def _key(name: str) -> str | None:
    m = _KEY.search(name)
    return None if m is None else (m.group("word") or m.group("digits")).lower()


def unlinked_choices(text: str, f: Formulation) -> list[Check]:
    binaries = {v.name for v in f.variables if v.domain == "binary"}
    if not binaries or not _CHOICE.search(text.lower()):
        return []  # a rate or a count declared binary is binary_counts' to say
    objective = linear_expression(f.objective.expression)
    if objective is None:
        return []
    sign = 1.0 if f.objective.sense == "minimize" else -1.0
    forms = {c.name: (None if c.for_each else linear_constraint(c.expression))
             for c in f.constraints}
    others = [v.name for v in f.variables if v.name not in binaries and not v.index]
    out = []
    for b in sorted(binaries):
        if sign * objective.get(b, 0.0) <= 0:
            continue
        tied = False
        for c in f.constraints:
            form = forms[c.name]
            if form is None:
                tied = tied or re.search(rf"\b{re.escape(b)}\b", c.expression) is not None
            elif b in form[0] and any(k and k not in binaries for k in form[0]):
                tied = True
        if tied:
            continue
        key = _key(b)
        partners = [v for v in others if key is not None and _key(v) == key]
        fix, example = None, f"amount <= capacity*{b}"
        if len(partners) == 1:
            bounds = [(c.name, -form[0][""]) for c in f.constraints
                      if (form := forms[c.name]) is not None and form[1] == "<="
                      and set(form[0]) == {partners[0], ""} and form[0][partners[0]] == 1
                      and -form[0][""] > 0]
            if len(bounds) == 1:
                name, cap = bounds[0]
                example = f"{partners[0]} <= {cap:g}*{b}"
                fix = {"constraints": {name: example}}
            else:
                example = f"{partners[0]} <= capacity*{b}"
        out.append(Check(
            code="unlinked_choice", severity="warning", where=f"variable '{b}'", names=[b],
            fix=fix, message=(
                f"{b} is a yes/no choice with a cost, but no constraint ties it to the "
                f"decisions it allows, so it stays 0 and its cost never counts. Tie it to "
                f"them: {example} (what it allows only when it is chosen).")))
    return out


def _row_capacity(c: ConstraintDef, w: str, x_sets: dict[str, list[str]]) -> str | None:
    """The left side of ``sum(x[w, s] for s in S) <= cap[w]`` (or a number) written for each
    w in the choice's set, x indexed by that set and another; None for any other shape."""
    parts = comparison(c.expression)
    if parts is None or parts[1] != "<=":
        return None
    left, _, right = parts
    if not (isinstance(right, ast.Subscript) and isinstance(right.value, ast.Name)
            and isinstance(right.slice, ast.Name) and right.slice.id == w) and \
            constant(right) is None:
        return None
    gen = summed(left)
    if gen is None:
        return None
    elt = gen.elt
    if len(gen.generators) != 1 or gen.generators[0].ifs or \
            not (isinstance(elt, ast.Subscript) and isinstance(elt.value, ast.Name)
                 and elt.value.id in x_sets and isinstance(elt.slice, ast.Tuple)):
        return None
    keys = [k.id if isinstance(k, ast.Name) else None for k in elt.slice.elts]
    inner = gen.generators[0].target
    if not isinstance(inner, ast.Name) or sorted(k or "" for k in keys) != sorted([w, inner.id]):
        return None
    return ast.unparse(right)


def unlinked_indexed_choices(text: str, f: Formulation) -> list[Check]:
    """The same for a yes/no choice per element of a set (``open[w]`` for w in W, a setup
    cost per warehouse in a minimized objective) that no constraint holds beside another
    variable: where a constraint for each w bounds the w's row of a two-set variable by a
    capacity, ``sum(ship[w, s] for s in S) <= supply[w]``, the fix makes that capacity the
    choice's, ``... <= supply[w]*open[w]``."""
    if f.objective.sense != "minimize" or not _CHOICE.search(text.lower()):
        return []
    variables = {v.name: v for v in f.variables}
    choices = [v for v in f.variables if v.domain == "binary" and len(v.index) == 1]
    x_sets = {v.name: v.index for v in f.variables if len(v.index) == 2}
    out = []
    for b in choices:
        if not re.search(rf"\b{re.escape(b.name)}\s*\[", f.objective.expression):
            continue
        tied = any(re.search(rf"\b{re.escape(b.name)}\b", c.expression) and
                   any(re.search(rf"\b{re.escape(v)}\b", c.expression)
                       for v in variables if variables[v].domain != "binary")
                   for c in f.constraints)
        if tied:
            continue
        (over,) = b.index
        fix, example = None, f"sum(x[w, s] for s in S) <= capacity[w]*{b.name}[w]"
        for c in f.constraints:
            head = (c.for_each or "").replace(" ", "")
            w = head.split("in")[0] if head.endswith(f"in{over}") else None
            if not w or not w.isidentifier():
                continue
            cap = _row_capacity(c, w, {k: v for k, v in x_sets.items() if over in v})
            if cap is None:
                continue
            left = c.expression.rsplit("<=", 1)[0].strip()
            example = f"{left} <= {cap}*{b.name}[{w}]"
            fix = {"constraints": {c.name: example}}
            break
        out.append(Check(
            code="unlinked_choice", severity="warning", where=f"variable '{b.name}'",
            names=[b.name], fix=fix, message=(
                f"{b.name} is a yes/no choice per element of {over} with a cost, but no "
                f"constraint ties it to the decisions it allows, so it stays 0 and its cost "
                f"never counts. Tie it to them: {example} (what an element allows only when "
                f"it is chosen).")))
    return out
