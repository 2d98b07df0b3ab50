"""A constraint that forces a decision to 0: 'if any tables are made, a setup costing $200 is
needed' written as ``200*tables <= 0``. Tables cannot be negative, so none are made, the
profit they earn never counts and the setup is never paid: the embedded 1.5B model wrote this
for tables and chairs and answered 1250 (chairs only) where 1400 is right (40 tables, less
the setup).

The check finds a constraint without a for_each that is linear in one scalar variable x, not
binary, with a lower bound of 0 or more, that the objective uses: ``a*x <= 0`` (or ``0 >=
a*x``) with a > 0. It is silent where the text says there is to be no x ('no tables may be
made', 'cannot make any tables'). A charge paid when any x is made is written with a yes/no
variable: ``x <= M*x_setup`` and ``a*x_setup`` in the objective as a cost. Autofix writes that
where it is sure: a is a number the text states as a cost ('costing $200', 'a fee of 200') in a
sentence that speaks of a setup or a fixed charge ('setup', 'fixed cost', 'start-up', 'if any
... are made', 'to produce any') and names x or no other decision, and the model itself bounds
x: M is the least b/c over x's upper bound and the constraints ``sum(c_i*v_i) <= b`` (or ==)
whose coefficients are all 0 or more, over variables that cannot be negative, with c > 0 for x
and b > 0 (carpentry, 3*tables + 2*chairs <= 120, gives 40). Otherwise the warning says what
to write.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.bare_bounds import GENERIC, name_words
from optiform.agent.check_model import Check, close
from optiform.agent.share_check import Linear, linear_constraint, linear_expression
from optiform.solvers.formulation import Formulation, VarDef

# a sentence that speaks of a charge paid once when any of a product is made
_FIXED = re.compile(
    r"\bset[- ]?ups?\b|\bfixed (?:cost|charge|fee)s?\b|\bstart[- ]?ups?\b|"
    r"\bif any\b[^.;!?]*?\b(?:is|are)\s+(?:made|produced|manufactured|built|assembled)\b|"
    r"\bto (?:produce|make|manufacture|build|assemble) any\b")
_COST = re.compile(r"\b(?:costs?|costing|charges?|charged|fees?)\b")
_UNIT_AFTER = re.compile(r"\s*(?:dollars?|euros?)\b")
# the text says there is to be none of x ('no tables may be made', 'cannot make any'); 'no
# more than' and 'cannot exceed' are limits, not zero
_NONE = re.compile(
    r"\b(?:no|zero)\b(?!\s+(?:more|less|fewer|greater|larger|smaller|later|earlier|longer)"
    r"\s+than\b)|"
    r"\b(?:none|never|nothing)\b|\bnot\b[^.;!?]*\bany\b|"
    r"(?:\bcannot|\bcan not|\bcan't|\bmust not|\bmustn't|\bmay not|\bshould not|\bshouldn't|"
    r"\bwill not|\bwon't|\bnot (?:be )?(?:allowed|permitted)|\bprohibited|\bforbidden|"
    r"\bbanned|\bdiscontinued)\b(?!\s+(?:exceed|be more|be greater|be larger|be less|"
    r"be fewer|be below|be above|surpass|go over|go above|go below|fall below|drop below))")
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class _Forced:
    constraint: str
    expression: str
    x: str
    a: float


def _forcing(form: tuple[Linear, str] | None,
             scalars: dict[str, VarDef]) -> tuple[str, float] | None:
    """(x, a) where the constraint's linear form is ``a*x <= 0`` with a > 0."""
    if form is None or form[1] == "==":
        return None
    terms, op = form
    if op == ">=":
        terms = {k: -v for k, v in terms.items()}
    if len(terms) != 1:
        return None
    ((x, a),) = terms.items()
    if x not in scalars or a <= 0:
        return None
    return x, a


def _nonnegative(v: VarDef) -> bool:
    return v.lb is not None and v.lb >= 0


def _binary(v: VarDef) -> bool:
    return v.domain == "binary" or (v.domain == "integer" and v.ub is not None and v.ub <= 1)


def big_m(f: Formulation, x: str, skip: str) -> float | None:
    """The least upper bound on x the model states by itself: x's own upper bound, or b/c of
    a constraint ``sum(c_i*v_i) <= b`` (or ==) with every c_i >= 0 over variables that cannot
    be negative, c > 0 for x and b > 0; None where there is none."""
    scalars = {v.name: v for v in f.variables if not v.index}
    bounds = []
    ub = scalars[x].ub
    if ub is not None and ub > 0:
        bounds.append(ub)
    for c in f.constraints:
        if c.for_each or c.name == skip:
            continue
        form = linear_constraint(c.expression)
        if form is None:
            continue
        terms, op = form
        if op == ">=":
            terms = {k: -v for k, v in terms.items()}
        b = -terms.pop("", 0.0)
        if terms.get(x, 0.0) <= 0 or b <= 0 or \
                any(k not in scalars or not _nonnegative(scalars[k]) or v < 0
                    for k, v in terms.items()):
            continue
        bounds.append(b / terms[x])
    return min(bounds) if bounds else None


def written_m(m: float, integer: bool) -> str:
    """M as an integer when it is one (or when x is a whole number: its floor), else rounded
    up to a short decimal, so that it still bounds x."""
    if abs(m - round(m)) <= 1e-9 * (1 + abs(m)):
        return str(round(m))
    if integer:
        return str(math.floor(m))
    digits = max(0, 5 - math.floor(math.log10(m)))
    return f"{math.ceil(m * 10 ** digits) / 10 ** digits:.{digits}f}".rstrip("0").rstrip(".")


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _stems(x: str) -> set[str]:
    return {textcues.stem(w) for w in name_words(x) if w not in GENERIC and not w.isdigit()}


def _names(sentence: str, stems: set[str]) -> bool:
    return any(textcues.stem(w) in stems for w in _WORD.findall(sentence.lower()))


def _said_none(text: str, x: str) -> bool:
    """A sentence of the text that names x (any sentence, where x's name has no words) says
    there is to be none of it."""
    stems = _stems(x)
    return any(_NONE.search(s.lower()) for s in textcues.sentences(text)
               if not stems or _names(s, stems))


def _stated_charge(text: str, a: float, x: str, others: list[str]) -> bool:
    """The text states a as a cost in a sentence that speaks of a setup or a fixed charge
    and names x, or names none of the other decisions."""
    for sentence in textcues.sentences(text):
        low = sentence.lower()
        if not _FIXED.search(low):
            continue
        if not _names(low, _stems(x)) and any(_names(low, _stems(o)) for o in others):
            continue
        for n in textcues.numbers_in_text(sentence):
            if n.percent or not close(n.value, a):
                continue
            around = low[max(0, n.start - 30):n.stop + 30]
            if n.text[0] in "$€£" or _COST.search(around) or \
                    _UNIT_AFTER.match(low, n.stop):
                return True
    return False


def _appended(expression: str, term: str) -> str:
    """The objective with a term appended ('... - 200*tables_setup'), in brackets where
    appending alone would change what the expression says."""
    new = f"{expression.strip()} {term}"
    try:
        old_tree = ast.parse(expression.strip(), mode="eval").body
        new_tree = ast.parse(new, mode="eval").body
    except SyntaxError:
        return f"({expression.strip()}) {term}"
    if isinstance(new_tree, ast.BinOp) and ast.dump(new_tree.left) == ast.dump(old_tree):
        return new
    return f"({expression.strip()}) {term}"


def _uses(expression: str, x: str) -> bool:
    linear = linear_expression(expression)
    if linear is not None:
        return abs(linear.get(x, 0.0)) > 0
    return re.search(rf"(?<![\w.]){re.escape(x)}(?![\w\[])", expression) is not None


def _message(g: _Forced, link: str | None, charged: bool) -> str:
    said = (f"Constraint '{g.constraint}' ({g.expression}) forces {g.x} to 0 ({g.x} cannot be "
            f"negative), so the {g.x} the objective counts can never be used.")
    if link is not None:
        return (f"{said} The text charges {_number(g.a)} for making any {g.x}: write it with a "
                f"yes/no variable, {link}.")
    setup = (f"a charge for making any {g.x} is written with a yes/no variable, {g.x} <= "
             f"M*{g.x}_setup with M an upper bound on {g.x}, {g.x}_setup binary and the "
             f"charge times {g.x}_setup in the objective as a cost")
    if charged:
        return f"{said} If the text charges a setup or fixed cost for it, {setup}."
    return (f"{said} Write the limit the text states ({g.x} <= 0 only where it says there is "
            f"to be none); {setup}.")


def _forced(text: str, f: Formulation) -> list[_Forced]:
    scalars = {v.name: v for v in f.variables if not v.index}
    found = []
    for c in f.constraints:
        hit = None if c.for_each else _forcing(linear_constraint(c.expression), scalars)
        if hit is None:
            continue
        x, a = hit
        v = scalars[x]
        if _binary(v) or not _nonnegative(v) or not _uses(f.objective.expression, x) or \
                _said_none(text, x):
            continue
        found.append(_Forced(c.name, c.expression, x, a))
    return found


def _links(text: str, f: Formulation, found: list[_Forced]) -> dict[str, tuple[str, str]]:
    """constraint -> (its setup variable, x <= M*setup) for each forcing constraint autofix
    can link."""
    scalars = {v.name: v for v in f.variables if not v.index}
    taken = {v.name for v in f.variables} | {p.name for p in f.parameters} | \
        {s.name for s in f.sets}
    links: dict[str, tuple[str, str]] = {}
    for g in found:
        if sum(h.x == g.x for h in found) != 1:
            continue
        m = big_m(f, g.x, g.constraint)
        if m is None or not _stated_charge(text, g.a, g.x, [o for o in scalars if o != g.x]):
            continue
        setup, k = f"{g.x}_setup", 2
        while setup in taken:
            setup, k = f"{g.x}_setup_{k}", k + 1
        taken.add(setup)
        written = written_m(m, scalars[g.x].domain == "integer")
        links[g.constraint] = (setup, f"{g.x} <= {written}*{setup}")
    return links


def forced_zero(text: str, f: Formulation) -> list[Check]:
    found = _forced(text, f)
    if not found:
        return []
    links = _links(text, f, found)
    sign = "-" if f.objective.sense == "maximize" else "+"
    charged = _FIXED.search(text.lower()) is not None
    out = []
    for g in found:
        fix, link = None, None
        if g.constraint in links:
            # each fix charges its own setup; two of one attempt are applied one per round
            # (both write the objective), the second on the model the first corrected
            setup, new = links[g.constraint]
            link = f"{new} and {_number(g.a)}*{setup} in the objective as a cost"
            fix = {"constraints": {g.constraint: new}, "variables": {setup: "binary"},
                   "objective": {"expression": _appended(
                       f.objective.expression, f"{sign} {_number(g.a)}*{setup}")}}
        out.append(Check(code="forced_zero", severity="warning",
                         where=f"constraint '{g.constraint}'", names=[g.constraint], fix=fix,
                         message=_message(g, link, charged)))
    return out
