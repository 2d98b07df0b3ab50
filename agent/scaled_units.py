"""Amounts in thousands written in two units. For 'costs of $40, $30, $20, $50 and $10 thousand;
the budget is $100 thousand' the embedded 1.5B model wrote ``40*project1 + ... <= 100000``:
the costs in thousands, the budget in dollars, so the budget held no project back.

The check reads the text's amounts in thousands or millions ('$100 thousand', a list that ends
in one: '$40, $30 and $20 thousand') and finds each in the model, as written (40) or scaled
(100000). Where most of them are written as in the text (two or more) and some scaled, and
no scaled one is also a number the text states, the fix writes the scaled ones as the others
are: in the text's unit. Not where a scaled one's line holds other numbers of the text scaled
the same way and none of its amounts as stated: a budget of 90000 beside costs of
10000*chairs + 20000*tables ($10 and $20 a chair, chairs counted in thousands) is one unit.
"""

from __future__ import annotations

import ast
import re

from optiform.agent import textcues
from optiform.agent.check_model import Check, close, constants, parse_tree
from optiform.solvers.expr import normalize
from optiform.solvers.formulation import Formulation

_SCALE = {"thousand": 1e3, "million": 1e6}
# a number or a list of them ('$40, $30 and $20') followed by its scale
_SCALED = re.compile(r"((?:[$€£]?\d[\d,.]*\s*(?:,\s*(?:and|or)?|and|or)\s*)*[$€£]?\d[\d,.]*)"
                     r"\s*(?:dollars?\s+)?(thousand|million)\b", re.I)


def scaled_amounts(text: str) -> dict[float, float]:
    """Each amount the text states in thousands or millions, with its scale."""
    numbers = textcues.numbers_in_text(text)
    out: dict[float, float] = {}
    for m in _SCALED.finditer(text):
        scale = _SCALE[m.group(2).lower()]
        for n in numbers:
            if m.start(1) <= n.start < m.end(1) and not n.percent:
                out[n.value] = scale
    return out


def _rescaled(expression: str, changes: dict[float, float]) -> str | None:
    try:
        tree = ast.parse(normalize(expression), mode="eval")
    except SyntaxError:
        return None
    changed = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
                not isinstance(node.value, bool):
            new = next((v for k, v in changes.items() if close(float(node.value), k)), None)
            if new is not None:
                node.value = int(new) if new == int(new) else new
                changed = True
    return ast.unparse(tree.body).replace(" * ", "*") if changed else None


def scaled_units(text: str, f: Formulation) -> list[Check]:
    """A warning, with the amounts written in the text's unit as the fix, where the model
    writes some of the text's amounts in thousands as stated and others scaled (module
    docstring)."""
    amounts = scaled_amounts(text)
    if len(amounts) < 3:
        return []
    stated = [n.value for n in textcues.numbers_in_text(text)]
    expressions = {"objective": f.objective.expression,
                   **{c.name: c.expression for c in f.constraints}}
    numbers = {name: constants(tree) if (tree := parse_tree(e)) is not None else set()
               for name, e in expressions.items()}
    used = [k for found in numbers.values() for k in found]
    bare = [a for a in amounts if any(close(a, k) for k in used)]
    full = {a * s: a for a, s in amounts.items()
            if a * s != a and any(close(a * s, k) for k in used) and a not in bare and
            not any(close(a * s, q) for q in stated)}
    if not full or len(bare) < 2 or len(bare) <= len(full):
        return []
    for scaled, amount in full.items():
        scale = scaled / amount
        for found in numbers.values():
            beside = [k for k in found if not close(k, scaled)]
            if len(beside) < len(found) and \
                    not any(close(a, k) for a in bare for k in beside) and \
                    any(close(k, q * scale) for k in beside for q in stated):
                return []  # the line in the scaled unit throughout
    fix: dict[str, dict[str, str]] = {}
    for name, expression in expressions.items():
        new = _rescaled(expression, full)
        if new is None:
            continue
        if name == "objective":
            fix["objective"] = {"expression": new}
        else:
            fix.setdefault("constraints", {})[name] = new
    written = ", ".join(f"{k:g} for {a:g}" for k, a in full.items())
    return [Check(code="scaled_unit", severity="warning", names=sorted(
        n for n in expressions if n in fix.get("constraints", {})), fix=fix or None, message=(
        f"The text states amounts in thousands (or millions) and the model writes most of them "
        f"as stated ({', '.join(f'{a:g}' for a in bare)}), but {written}: two units in one "
        f"model. Write every amount in the text's unit."))]
