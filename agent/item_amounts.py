"""The amounts the text lists per item, and the objective they determine.

"Each bowl of salmon contains 300 calories, 15 grams of protein, and 80 mg of sodium. Each
bowl of eggs contains ... 20 mg of sodium ... minimize his sodium intake": the objective is
``80*salmon + 20*eggs``. A small model often writes one term only, or swaps coefficients
(``80*eggs``). When every decision is one listed item and each item lists the amount the goal
names, the objective is exact.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.bare_bounds import name_words
from optiform.agent.bound_targets import sum_terms
from optiform.agent.check_model import close, parse_tree
from optiform.agent.comparison import comparison
from optiform.solvers.formulation import Formulation

_VERBS = (r"contains?|requires?|needs?|uses?|takes?|has|provides?|gives?|yields?|produces?|"
          r"costs?|brings?|generates?|earns?|makes?|is made (?:with|from)")
_SUBJECT = re.compile(rf"\b(?:each|every|a|an|one|the)\s+(?P<item>(?:[a-z][\w-]*\s+){{0,3}}?"
                      rf"[a-z][\w-]*)\s+(?:{_VERBS})\b", re.IGNORECASE)
_NUMBER = re.compile(r"\$?(\d[\d,]*(?:\.\d+)?)")
_PIECES = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
_UNITS = textcues.wordset(
    "unit units gram grams g mg milligrams kg kilograms pound pounds lb lbs ounce ounces oz "
    "liter liters litre litres ml gallon gallons ton tons hour hours minute minutes cup cups "
    "dollar dollars square sq feet foot meter meters")
_STOP = textcues.wordset("per each a an the of in for to and or with from is are")
# words of an item phrase that name no particular item ('bowl of salmon', 'alpha brand drink')
_GENERIC = textcues.wordset("bowl bottle cup serving unit piece batch box bag pack package "
                           "type kind brand drink meal item product one")
_GOAL = re.compile(r"\b(?:minimi[sz]e|maximi[sz]e)\b(?P<rest>[^.?!]*)", re.IGNORECASE)
# words before the goal's noun: 'minimize the total amount of sugar', 'his sodium intake'
_GOAL_LEAD = textcues.wordset("the his her their its our a an total amount number of overall "
                             "daily weekly monthly combined sum")


@dataclass(frozen=True)
class ItemObjective:
    expression: str  # the objective the listed amounts give
    attribute: str  # the amount the goal names ('sodium')
    amounts: dict[str, float]  # variable -> its amount


def _attribute(piece: str, number: re.Match[str]) -> str | None:
    """The stem of what a listed number measures: '15 grams of protein' -> 'protein',
    '300 calories per bottle' -> 'calory', 'a profit of $5' -> 'profit'."""
    after = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", piece[number.end():])]
    if "of" in after[:3]:
        words = after[after.index("of") + 1:]
    elif after and after[0] not in _UNITS and after[0] not in _STOP:
        words = after[:1]
    else:
        before = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", piece[:number.start()])]
        words = before[-2:-1] if before[-1:] == ["of"] else []
    kept = []
    for w in words:
        if w in _STOP or w in _UNITS:
            break
        kept.append(w)
    return textcues.stem(kept[-1]) if kept else None


def item_amounts(text: str) -> dict[str, dict[str, float]]:
    """Item phrase -> {attribute stem: amount} for each sentence that lists what one item
    contains, needs or gives."""
    out: dict[str, dict[str, float]] = {}
    for sentence in textcues.sentences(text):
        m = _SUBJECT.search(sentence)
        if m is None:
            continue
        amounts: dict[str, float] = {}
        for piece in _PIECES.split(sentence[m.end():]):
            number = _NUMBER.search(piece)
            if number is None:
                continue
            attribute = _attribute(piece, number)
            if attribute is not None and attribute not in amounts:
                amounts[attribute] = float(number.group(1).replace(",", ""))
        if amounts:
            out.setdefault(m.group("item").lower(), {}).update(amounts)
    return out


def _item_words(item: str) -> set[str]:
    return {textcues.stem(w) for w in re.findall(r"[a-z][\w-]*", item)} - \
        {textcues.stem(w) for w in _GENERIC | _STOP}


def _linear(node: ast.AST | None, variables: set[str]) -> dict[str, float] | None:
    """{variable: coefficient} of a sum of 'k*x' terms, each variable once; else None."""
    terms = sum_terms(node, variables) if node is not None else None
    if terms is None or len({v for _, v, _ in terms}) != len(terms):
        return None
    return {v: k for k, v, _ in terms}


def _swapped(model: dict[str, float], amounts: dict[str, float]) -> dict[str, str] | None:
    """The renaming of variables under which the model's coefficients are the amounts (a
    swap of two items' names), when there is exactly one that is not the identity."""
    if set(model) != set(amounts) or len(model) != 2:
        return None
    a, b = sorted(model)
    if close(model[a], amounts[b]) and close(model[b], amounts[a]) and \
            not close(amounts[a], amounts[b]):
        return {a: b, b: a}
    return None


def _swapped_throughout(f: Formulation, table: dict[str, dict[str, float]],
                        owners: dict[str, str], model: dict[str, float],
                        amounts: dict[str, float]) -> bool:
    """Whether the model swapped two items' names everywhere (the objective and a
    constraint over another listed amount alike): its reading is then consistent, and
    fixing the objective alone would break it."""
    swap = _swapped(model, amounts)
    if swap is None:
        return False
    variables = set(owners)
    for c in f.constraints:
        parts = None if c.for_each else comparison(c.expression)
        left = _linear(parts[0], variables) if parts else None
        if not left or set(left) != variables:
            continue
        shared = set.intersection(*(set(table[owners[v]]) for v in variables))
        for attribute in shared:
            listed = {v: table[owners[v]][attribute] for v in variables}
            if _swapped(left, listed) == swap:
                return True
    return False


def item_objective(text: str, f: Formulation) -> ItemObjective | None:
    """The objective the listed amounts give, when the model's differs: every decision is
    one listed item, each lists the one amount the goal names, and the model's objective is a
    plain weighted sum of decisions."""
    goal = _GOAL.search(text)
    table = item_amounts(text)
    variables = [v.name for v in f.variables if not v.index]
    if goal is None or len(table) < 2 or not variables or len(variables) != len(f.variables):
        return None
    head = next((w for w in textcues.words(goal.group("rest")) if w not in _GOAL_LEAD), None)
    attribute = textcues.stem(head) if head else None
    if attribute is None or not any(attribute in amounts for amounts in table.values()):
        return None
    owners: dict[str, str] = {}
    for v in variables:  # the item sharing the most words with the variable's name
        words = {textcues.stem(w) for w in name_words(v)}
        shared = {item: len(_item_words(item) & words) for item in table}
        best = max(shared.values())
        items = [item for item, n in shared.items() if n == best]
        if best == 0 or len(items) != 1 or items[0] in owners.values():
            return None
        owners[v] = items[0]
    if any(attribute not in table[owners[v]] for v in variables):
        return None
    model = _linear(parse_tree(f.objective.expression), set(variables))
    amounts = {v: table[owners[v]][attribute] for v in variables}
    if model is None or (set(model) == set(amounts) and
                         all(close(model[v], amounts[v]) for v in amounts)):
        return None
    if _swapped_throughout(f, table, owners, model, amounts):
        return None
    expression = " + ".join(f"{amounts[v]:g}*{v}" for v in variables)
    return ItemObjective(expression, attribute, amounts)
