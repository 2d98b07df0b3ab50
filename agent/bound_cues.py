"""The direction of a bound against the words around its number in the text.

"A project requiring 500 hours of labor" is a lower bound (>= 500); "a budget of $15000" an
upper one (<= 15000). A constraint whose right-hand side is a number of the text, written in
the other direction, is the most common slip of small models on word problems (and it often
leaves every decision at zero). The check reads the few words before the number (the nearest
cue wins) and warns; it never changes the model.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.comparison import FLIP, comparison, constant
from optiform.solvers.formulation import Formulation

WINDOW = 60  # characters before a number in which a cue counts

_LOWER = re.compile(
    r"\b(?:at least|no less than|not less than|no fewer than|not fewer than|a minimum of|"
    r"minimum of|minimum|min\.|requir(?:e|es|ed|ing|ement)|needs?|needed|demands?|"
    r"must (?:produce|make|supply|deliver|serve|provide|meet|get|have|receive|contain|"
    r"transport|ship|hire|buy|sell|be at least)|"
    r"should (?:be at least|get|receive|contain)|or more)\b")
_UPPER = re.compile(
    r"\b(?:at most|no more than|not more than|no greater than|up to|available|availability|"
    r"a maximum of|maximum of|maximum|max\.|(?:can ?not|can't|must not|does not|should not|"
    r"may not|not to) exceed|limited to|limit of|limit|capacity|budget(?: of)?|only has|"
    r"only have|has|have|or less|or fewer)\b")


_PER_UNIT_VERBS = re.compile(r"requir|need|demand|must|should|has|have")


@dataclass(frozen=True)
class Cue:
    direction: str  # ">=" (a requirement) or "<=" (a limit)
    phrase: str
    sentence: str


_SYMBOL_BEFORE = re.compile(r"(?:<=|>=|==|=|<|>|≤|≥)$")


def cue_before(text: str, start: int) -> Cue | None:
    """The nearest bound cue in the ``WINDOW`` characters before ``start`` (same sentence),
    or right after the number ('100 or more'), or None."""
    head = text[max(0, start - WINDOW):start]
    symbol = _SYMBOL_BEFORE.search(head.rstrip("$€£ "))
    if symbol:  # 'x*y = 32': the text writes the comparison itself
        op = symbol.group(0)
        direction = "<=" if op in ("<=", "<", "≤") else ">=" if op in (">=", ">", "≥") else None
        return Cue(direction, op, sentence_at(text, start)) if direction else None
    head = re.split(r"[.!?;]\s|\d", head)[-1].lower()  # this sentence, after the last number
    tail = text[start:start + 50].lower()
    tail_m = re.match(r"[\d.,$%\s]*(?:(?!that\b|which\b|who\b)[a-z]+\s+){0,3}?(or more|or less|"
                      r"or fewer|(?:are|is) available|needs? to|(?:are|is) (?:needed|required))\b",
                      tail)
    found: list[tuple[int, str, str]] = []
    per_unit = bool(re.search(r"\b(?:each|per|every)\b", head))
    for direction, pattern in ((">=", _LOWER), ("<=", _UPPER)):
        for m in pattern.finditer(head):
            if per_unit and _PER_UNIT_VERBS.match(m.group(0)):
                continue  # "each scooter needs 2 hours": a coefficient, not a bound
            found.append((m.end(), direction, m.group(0)))
    sentence = sentence_at(text, start)
    if tail_m:
        phrase = tail_m.group(1)
        lower = phrase == "or more" or "need" in phrase or "required" in phrase
        return Cue(">=" if lower else "<=", phrase, sentence)
    if not found:
        return _listed_after(text, start)
    _, direction, phrase = max(found)
    return Cue(direction, phrase, sentence)


# "80 units of red liquid and 70 units of blue", "8 agents on the morning shift, 12 on the
# afternoon shift": the words between two numbers of a list
_LIST_GAP = re.compile(r"[\d.,]*\s+(?:[a-z-]+\s+){0,5}?[a-z-]+\s*(?:and|or|,)\s*(?:\$)?$")


def _listed_after(text: str, start: int) -> Cue | None:
    """The cue of the number before, when this one continues its list ('has available 80
    units of red liquid and 70 units of blue liquid': both are available)."""
    prev = list(re.finditer(r"\d[\d,]*(?:\.\d+)?", text[max(0, start - 60):start]))
    if not prev:
        return None
    m = prev[-1]
    prev_start = max(0, start - 60) + m.start()
    gap = text[prev_start:start].lower()
    if not _LIST_GAP.match(gap) or _PER_UNIT_VERBS.search(gap):
        return None
    cue = cue_before(text, prev_start)
    # 'a cake needs 400 g of batter and 200 g of milk' lists what one unit uses: only
    # bound words ('available', 'at most') carry over a list, never a verb of need
    if cue is None or _PER_UNIT_VERBS.match(cue.phrase):
        return None
    return cue


def sentence_start(text: str, start: int) -> int:
    """Where the sentence holding ``start`` begins: after the last '. ', '? ' or '! ' before
    it (at its space), else 0."""
    return max(text.rfind(". ", 0, start), text.rfind("? ", 0, start),
               text.rfind("! ", 0, start)) + 1


def sentence_at(text: str, start: int) -> str:
    left = sentence_start(text, start) - 1
    right = min((i for i in (text.find(". ", start), text.find("? ", start), len(text))
                 if i >= 0), default=len(text))
    return text[left + 1 if left >= 0 else 0:right + 1].strip()


def bound_of(expression: str, scalars: Mapping[str, float] | None = None
             ) -> tuple[str, float] | None:
    """('<=', 500.0) for 'expr <= 500' or '500 >= expr'; None for other shapes. With
    ``scalars`` (scalar parameters by name), 'expr >= calories_min' reads as its value."""
    parts = comparison(expression)
    if parts is None or parts[1] == "==":
        return None
    left, op, right = parts

    def number(node: ast.AST) -> float | None:
        if scalars and isinstance(node, ast.Name) and node.id in scalars:
            return scalars[node.id]
        return constant(node)

    value = number(right)
    if value is not None and number(left) is None:
        return op, value
    value = number(left)
    if value is not None and number(right) is None:
        return FLIP[op], value
    return None


def scalar_values(f: Formulation) -> dict[str, float]:
    """The formulation's scalar parameters that hold a number, by name."""
    return {p.name: float(p.value) for p in f.parameters
            if not p.index and p.value is not None and p.source is None}


_OPS = re.compile(r"<=|>=|=<|=>|<|>")
_FLIP = {"<=": ">=", ">=": "<=", "=<": ">=", "=>": "<=", "<": ">", ">": "<"}


def flipped(expression: str) -> str | None:
    """The bound with its one comparison turned round ('x <= 5' -> 'x >= 5'), or None."""
    ops = list(_OPS.finditer(expression))
    if len(ops) != 1:
        return None
    m = ops[0]
    return expression[:m.start()] + _FLIP[m.group(0)] + expression[m.end():]


def reversed_bounds(text: str, f: Formulation) -> list[tuple[str, str, float, Cue]]:
    """(constraint, its direction, its number, the cue) for each bound whose number the text
    states with a cue of the other direction, and never with one of the same direction."""
    cues = value_cues(text)
    scalars = scalar_values(f)  # a limit written as a parameter reads as its number
    out = []
    for c in f.constraints:
        bound = bound_of(c.expression, scalars)
        if bound is None or bound[1] in (0.0, 1.0):
            continue
        direction, value = bound
        said = cues.get(value, [])
        if said and all(cue.direction != direction for cue in said):
            out.append((c.name, direction, value, said[0]))
    return out


def value_cues(text: str) -> dict[float, list[Cue]]:
    cues: dict[float, list[Cue]] = {}
    for number in textcues.numbers_in_text(text):
        cue = cue_before(text, number.start)
        if cue is not None:
            value = number.value / 100 if number.percent else number.value
            cues.setdefault(value, []).append(cue)
    return cues


def _pinned(expression: str) -> tuple[str, float] | None:
    """(the variable side, the number) for 'e == 60', '60 == e' or '60 <= e <= 60': a bound
    written as an equality; None for other shapes."""
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(tree, ast.Compare):
        return None
    sides = [tree.left, *tree.comparators]
    if len(tree.ops) == 1 and isinstance(tree.ops[0], ast.Eq):
        numbers = [constant(s) for s in sides]
        if (numbers[0] is None) == (numbers[1] is None):
            return None
        value, side = (numbers[1], sides[0]) if numbers[0] is None else (numbers[0], sides[1])
    elif len(tree.ops) == 2 and all(isinstance(o, (ast.LtE, ast.GtE)) for o in tree.ops):
        low, side, high = sides
        if constant(low) is None or constant(low) != constant(high) or constant(side) is not None:
            return None
        value = constant(low)
    else:
        return None
    source = ast.get_source_segment(expression, side)
    return (source, value) if source and value is not None else None


def pinned_bounds(text: str, f: Formulation) -> list[tuple[str, str, float, Cue]]:
    """(constraint, the bound it should be, its number, the cue) for each equality on a number
    of the text ('e == 2000', '60000 <= e <= 60000') whose every cue says one direction ("need
    2000 units" is >=, "at most" <=), unless the sentence says the amount is exact."""
    cues = value_cues(text)
    out = []
    for c in f.constraints:
        if c.for_each:
            continue
        pinned = _pinned(c.expression)
        if pinned is None or pinned[1] in (0.0, 1.0):
            continue
        side, value = pinned
        said = cues.get(value, [])
        directions = {cue.direction for cue in said}
        if len(directions) != 1 or any(textcues.EXACT_PHRASES.search(cue.sentence.lower())
                                       for cue in said):
            continue
        direction = directions.pop()
        out.append((c.name, f"{side} {direction} {value:g}", value, said[0]))
    return out
