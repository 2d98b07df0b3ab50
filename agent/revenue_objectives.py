"""Revenue written as the quantity sold. For 'if the price is p dollars, it sells 100 - 2p
gadgets; what price maximizes revenue?' the embedded 1.5B model maximized ``100 - 2*p``, the
gadgets sold, and answered p = 0 (p = 25 and a revenue of 1250 are right).

The check reads the formulas the text gives for a quantity in one decision ('sells 100 - 2p',
'a demand of 500 - 10*p units'): a number plus or minus a multiple of a name the model
declares. Where the text asks for revenue (or sales) and the objective is that formula, the
fix is the price times it: ``p*(100 - 2*p)``. The text asks for revenue where a sentence names
it beside a word of the largest ('What price maximizes revenue?', 'the highest revenue'); a
revenue named only in passing ('revenue minus advertising is its profit ... maximize the units
sold') leaves the quantity as the objective.
"""

from __future__ import annotations

import re

from optiform.agent import textcues
from optiform.agent.check_model import Check, close
from optiform.agent.share_check import linear_expression
from optiform.solvers.formulation import Formulation

_QUANTITY = re.compile(
    r"\b(?:sells?|sold|buy|buys|bought|demand(?:s|ed)?|quantity|orders?|customers?|visitors?|"
    r"units?)\b(?:\s+(?:is|are|of|will\s+be|would\s+be|equals?|becomes?))?\s+"
    r"(?P<a>\d+(?:\.\d+)?)\s*(?P<op>[-+−])\s*(?P<b>\d+(?:\.\d+)?)?\s*\*?\s*(?P<x>[A-Za-z]\w*)\b",
    re.I)
_REVENUE = re.compile(r"\b(?:revenue|revenues|sales income|income from sales|takings)\b", re.I)
_LARGEST = re.compile(r"\b(?:maximi[sz]\w*|maximum|max|largest|greatest|highest|most|best)\b",
                      re.I)


def _asks_revenue(text: str) -> bool:
    """A sentence that names revenue beside a word of the largest."""
    return any(_REVENUE.search(s) and _LARGEST.search(s) for s in textcues.sentences(text))


def quantity_formulas(text: str) -> list[tuple[str, dict[str, float]]]:
    """Each quantity the text gives as a formula in one name, as (name, linear form)."""
    out = []
    for m in _QUANTITY.finditer(text):
        b = float(m.group("b")) if m.group("b") else 1.0
        sign = -1.0 if m.group("op") in "-−" else 1.0
        out.append((m.group("x"), {"": float(m.group("a")), m.group("x"): sign * b}))
    return out


def revenue_objectives(text: str, f: Formulation) -> list[Check]:
    """A warning, with the price times the quantity as the fix, where the text asks for
    revenue and the objective is the quantity's formula (module docstring)."""
    if not _asks_revenue(text) or f.objective.sense != "maximize":
        return []
    objective = linear_expression(f.objective.expression)
    names = {v.name for v in f.variables if not v.index}
    if objective is None:
        return []
    for name, form in quantity_formulas(text):
        if name not in names or set(objective) != set(form) or \
                not all(close(objective[k], form[k]) for k in form):
            continue
        new = f"{name}*({f.objective.expression})"
        return [Check(code="revenue_objective", severity="warning", where="objective",
                      names=[name], fix={"objective": {"expression": new}}, message=(
                          f"The objective, {f.objective.expression}, is the quantity the text "
                          f"gives for a price of {name}, but it asks for revenue: the price "
                          f"times the quantity, {new}."))]
    return []
