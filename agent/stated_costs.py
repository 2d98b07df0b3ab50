"""A cost the text writes as a formula of one quantity, copied wrongly into the objective. For
'producing x units at plant 1 costs 2x^2 + 10x dollars and producing y units at plant 2 costs
y^2 + 20y dollars; minimize the total cost' the embedded 1.5B model wrote ``2*plant1^2 +
10*plant1 + 20*plant2 + 20*plant2`` (3888, where 8325 is right).

The check reads each quantity the text names with a letter and ties to a thing ('x units at
plant 1', 'y units of product B', 'let z be the number of ... at site 3'), and the formula
that follows it in the same clause ('costs 2x^2 + 10x', 'costs y^2 + 20y dollars'). Each
thing must be one variable of the model (named for it: ``plant1``, ``units_plant_1``). Where
the text asks for the least total cost and the model minimizes something else than the sum
of the formulas (compared at several points), the fix is that sum in the model's names. It
stays silent where the text gives money outside the formulas (shipping at $3 a unit, a third
plant at $150 a unit) or the objective has a variable that is no formula's (a fixed charge
paid only if a plant produces): the total cost is more than the formulas' sum.
"""

from __future__ import annotations

import ast
import re

from optiform.agent.check_model import Check, parse_tree, value_at
from optiform.solvers.formulation import Formulation

_THING = (r"((?:plant|factory|site|machine|product|store|mine|farm|warehouse|region|line|"
          r"model)s?\s+\w+)")
_DEFINED = re.compile(rf"\b(?:producing|making|selling|shipping|buying|using|growing|mining|"
                      rf"with|if|when|let|for)\s+([a-z])\s+(?:units?|tons?|items?|kg|pieces?|"
                      rf"liters?|barrels?|hours?|be\s+the\s+\w+(?:\s+of\s+\w+)?)\s+(?:(?:are\s+)?"
                      rf"(?:made|produced|sold|shipped|bought|used|grown|mined)\s+)?(?:at|of|in|"
                      rf"on|by|from)\s+{_THING}", re.I)
_FORMULA = re.compile(r"\bcosts?\s+((?:[\d.]+\s*\*?\s*)?[a-z](?:\s*\^\s*\d+)?(?:\s*[-+]\s*"
                      r"(?:[\d.]+\s*\*?\s*)?[a-z]?(?:\s*\^\s*\d+)?)*)(?=\s*(?:dollars|\$|,|\.|;|"
                      r"$|and\b))")
_MONEY = re.compile(r"\$\s*\d|\b\d[\d,]*(?:\.\d+)?\s*(?:dollars|euros|pounds|cents)\b|"
                    r"\b(?:costs?|fees?|charges?)\s+(?:of\s+|is\s+|are\s+)?\d", re.I)
_TOTAL_COST = re.compile(r"\b(?:minimi[sz]e|least|lowest|smallest|minimum)\b[^.?!]*\bcosts?\b",
                         re.I)


def _tokens(name: str) -> set[str]:
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    return {t.lower() for t in re.split(r"[_\W]+|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", name)
            if t}


def stated_costs(text: str) -> list[tuple[str, str, str]]:
    """(letter, thing, formula) for each quantity the text names with a letter, ties to a thing
    and gives a cost formula of in the same clause; all or none."""
    out = []
    for m in _DEFINED.finditer(text):
        letter, thing = m.group(1), m.group(2)
        clause = re.split(r"[.;]\s|\band\s+(?:producing|making|selling|shipping|buying|using)\b",
                          text[m.end():], maxsplit=1)[0]
        formula = _FORMULA.search(clause)
        if formula is None:
            return []
        body = formula.group(1).strip()
        if set(re.findall(r"[a-z]", body)) != {letter}:
            return []
        out.append((letter, thing, body))
    letters = [x[0] for x in out]
    return out if len(set(letters)) == len(letters) else []


def _other_costs(text: str) -> bool:
    """Money the text gives outside the formulas ('shipping a unit from plant 1 costs $3',
    'plant 3 makes units at $150 each'): the total cost is more than their sum."""
    rest = text
    for m in _DEFINED.finditer(text):
        clause = re.split(r"[.;]\s|\band\s+(?:producing|making|selling|shipping|buying|using)\b",
                          text[m.end():], maxsplit=1)[0]
        formula = _FORMULA.search(clause)
        end = m.end() + (formula.end() if formula else 0)
        end += len(re.match(r"\s*(?:dollars|\$)?", text[end:]).group(0))
        rest = rest[:m.start()] + " " * (end - m.start()) + rest[end:]
    return _MONEY.search(rest) is not None


def _in_names(formula: str, letter: str, name: str) -> str:
    body = re.sub(r"(\d)\s*\*?\s*" + letter + r"\b", rf"\1*{letter}", formula)
    return "(" + re.sub(rf"\b{letter}\b", name, body) + ")"


def _variable(f: Formulation, thing: str) -> str | None:
    want = _tokens(thing)
    want |= {w.rstrip("s") for w in want}
    found = [v.name for v in f.variables if not v.index and
             (want <= _tokens(v.name) or {w.rstrip("s") for w in want} <= _tokens(v.name))]
    return found[0] if len(found) == 1 else None


def _same(a: str, b: str, names: list[str]) -> bool:
    ta, tb = parse_tree(a), parse_tree(b)
    if ta is None or tb is None:
        return True  # unreadable: no claim
    for k in range(4):
        point = {n: 1.0 + 0.731 * (i + 1) * (k + 1) for i, n in enumerate(names)}
        va, vb = value_at(ta, point), value_at(tb, point)
        if va is None or vb is None:
            return True
        if abs(va - vb) > 1e-9 * (1.0 + abs(va) + abs(vb)):
            return False
    return True


def cost_formulas(text: str, f: Formulation) -> list[Check]:
    """A warning, with the sum of the text's cost formulas as the objective, where the model
    minimizes something else (module docstring)."""
    costs = stated_costs(text)
    if len(costs) < 1 or f.objective.sense != "minimize" or not _TOTAL_COST.search(text):
        return []
    names = {letter: _variable(f, thing) for letter, thing, _ in costs}
    if any(n is None for n in names.values()) or len(set(names.values())) != len(names):
        return []
    total = " + ".join(_in_names(formula, letter, names[letter]) for letter, _, formula in costs)
    variables = [v.name for v in f.variables if not v.index]
    tree = parse_tree(f.objective.expression)
    counted = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree else set()
    if counted - set(names.values()) or _other_costs(text):
        return []  # the objective counts more (a third plant, a fixed charge), or the text does
    if _same(f.objective.expression, total, variables):
        return []
    stated = "; ".join(f"{thing}: {formula}" for _, thing, formula in costs)
    return [Check(code="cost_formula", severity="warning", where="objective",
                  names=[n for n in names.values() if n], fix={"objective": {"expression": total}},
                  message=(f"The text gives each cost as a formula ({stated}), but the objective "
                           f"is not their sum. Minimize {total}."))]
