"""'$8 per meter for the front side and $5 per meter for the other three sides': a rectangle
whose fence costs more on one side. The side opposite the front is as long as the front and
is fenced at the other price, so the front's dimension costs p1 + p2 a unit of length and the
other dimension 2*p2. A small model forgets the back (the embedded 1.5B model wrote
``8*length + 5*(2*width)`` and answered 565.69 where 721.11 is right).

The text is read for two prices per unit of length, each bound to its phrase in the clause
that states it ('costs $8 per meter for the front side', 'the front costs $8 per meter',
'fencing for the side along the road costs 8 dollars per foot'): one side (the front, one
side, the side facing the street, the north side) or two opposite sides (front and back,
north and south) at p1, and the other sides ('the other three sides', 'the remaining
sides', 'the rest of the fence') at p2. Any other price per length, a side that needs no
fence, a region divided by inner fences, or another count of sides makes it stay silent.

The model's fence cost is its minimized objective (where the text's goal is the least cost)
or a budget constraint, linear in two side variables of a rectangle (recognised as
fence_sides does) and constants. Where its coefficients are not the right weighting either
way round but read as the prices miscounted (p1 or 2*p1 or p1 + p2 on one variable, p2,
2*p2 or 3*p2 on the other), the variable that carries p1 is the priced side's dimension and
the fix writes the two terms with the right coefficients, keeping the constants as written.
Where both ways round read so, or the coefficients hold a price but read as no miscount, or
a term mixes the two variables, it warns and fixes nothing.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.bound_cues import scalar_values
from optiform.agent.check_model import Check, close
from optiform.agent.comparison import FLIP, comparisons
from optiform.agent.fence_sides import (
    DIVIDED,
    FENCE,
    MIN_GOAL,
    NEGATED,
    multiplied_pairs,
    rectangle_sides,
    wall_side,
)
from optiform.agent.share_check import Linear, linear_expression
from optiform.solvers.formulation import Formulation

# a price per unit of length, read after the number: '$8 per meter', '8 dollars per foot'
_PER_LENGTH = re.compile(r"\s*(?:dollars?|usd|euros?)?\s*(?:per|a|an|each|/)\s*(?:linear\s+|"
                         r"running\s+)?(?:foot|feet|ft|meters?|metres?|m|yards?|yds?)\b")
_REST = (r"(?:all\s+)?(?:the\s+)?(?:other|remaining)\s+(?:(?:three|3|two|2)\s+)?sides\b|"
         r"(?:the\s+)?(?:three|3|two|2)\s+(?:other|remaining)\s+sides\b|"
         r"(?:the\s+)?(?:other|remaining)\s+(?:three|3|two|2)\b|"
         r"(?:the\s+)?(?:rest|remainder)\s+of\s+(?:the\s+)?(?:fence|fencing|perimeter|sides|"
         r"boundary)\b|(?:the\s+)?remaining\s+(?:fence|fencing|perimeter|boundary)\b")
_PAIR = (r"(?:the\s+|both\s+)?(?:front\s+and\s+(?:the\s+)?(?:back|rear)|(?:back|rear)\s+and\s+"
         r"(?:the\s+)?front|north\s+and\s+(?:the\s+)?south|south\s+and\s+(?:the\s+)?north|"
         r"east\s+and\s+(?:the\s+)?west|west\s+and\s+(?:the\s+)?east|left\s+and\s+(?:the\s+)?"
         r"right|right\s+and\s+(?:the\s+)?left)(?:\s+sides)?\b|"
         r"(?:the\s+|both\s+)?(?:two\s+)?opposite\s+sides\b")
_ONE = (r"(?:the\s+)?(?:front|back|rear)(?:\s+side)?\b|"
        r"(?:the\s+)?(?:north|south|east|west)(?:ern)?\s+side\b|"
        r"(?:the\s+)?(?:street|road|highway|river|lake|sidewalk)[- ]?side\b|"
        r"\bone\s+(?:of\s+(?:the|its)\s+)?(?:(?:long|longer|short|shorter)\s+)?sides?\b|"
        r"(?:the\s+)?(?:side|fence|fencing)\s+(?:of\s+the\s+\w+\s+)?(?:that\s+|which\s+)?"
        r"(?:facing|faces|along|runs\s+along|next\s+to|nearest(?:\s+to)?|closest\s+to|"
        r"adjacent\s+to|bordering|borders|by|on)\s+(?!(?:the\s+)?(?:other|remaining|rest)\b)"
        r"(?:the\s+|a\s+)?\w+")
_PHRASE = re.compile(rf"(?P<rest>{_REST})|(?P<pair>{_PAIR})|(?P<one>{_ONE})")
_SIDE_WORD = r"(?:front|back|rear|sides?|north|south|east|west|left|right)"
# 'for the front side' after the price; 'the front costs' before it
_LINK_AFTER = re.compile(r"\s*(?:of\s+(?:fence|fencing)\s+)?(?:for|on|along|around|across|"
                         r"to\s+fence)\s+")
_LINK_BEFORE = re.compile(r"\s*(?:fence|fencing|sides?)?\s*,?\s*(?:however,?\s*|though,?\s*)?"
                          r"(?:(?:will\s+|would\s+|only\s+)?(?:costs?|is|are|at|priced\s+at|"
                          r"runs?|:)\s*)?(?:only\s+|just\s+)?")
_JOINED_BEFORE = re.compile(rf"\b{_SIDE_WORD}\s+(?:and|or|&)\s+$")
_JOINED_AFTER = re.compile(rf"\s*(?:and|or|&)\s+(?:the\s+)?{_SIDE_WORD}\b")
_COUNT = re.compile(r"\b(?:three|3|two|2)\b")
_COST_GOAL = re.compile(r"\b(?:cost|costs|expense|expenses|expensive|spend|spending|price|"
                        r"money|dollars?|cheap\w*)\b")
_LOWEST = re.compile(r"\b(?:lowest|least\s+expensive)\b")
_BUDGET = re.compile(r"\$|\b(?:budget|spend|afford|dollars?)\b")
_COST_NAMES = frozenset({"cost", "costs", "budget", "spend", "spending", "money", "expense",
                         "price", "dollars"})


@dataclass(frozen=True)
class SidePrices:
    """The text's fence prices per unit of length: ``priced`` sides (one, or two opposite
    ones) at ``high``, the others at ``rest``."""

    high: float
    rest: float
    priced: int
    phrase: str  # the priced side(s) as the text says it
    rest_phrase: str
    sentence: str

    def weights(self) -> tuple[float, float]:
        """What a unit of the priced side's dimension costs, and of the other dimension."""
        if self.priced == 1:
            return self.high + self.rest, 2 * self.rest
        return 2 * self.high, 2 * self.rest

    def terms(self, along: str, across: str, names: dict[float, str]) -> tuple[str, str]:
        """The fence's cost as two terms, the variable along the priced side(s) first, its
        prices as the text writes them (or the parameters that hold them, in ``names``), so
        that the cost shows how it is made: (8 + 5)*length + 2*5*width."""
        p1, p2 = (next((n for v, n in names.items() if close(v, p)), f"{p:g}")
                  for p in (self.high, self.rest))
        first = f"({p1} + {p2})*{along}" if self.priced == 1 else f"2*{p1}*{along}"
        return first, f"2*{p2}*{across}"

    def miscounts(self, front: float, other: float) -> bool:
        """Whether (front, other) read as the prices miscounted with ``front`` on the priced
        side's dimension: p1, 2*p1 or p1 + p2 there, p2, 2*p2 or 3*p2 on the other."""
        p1, p2 = self.high, self.rest
        return any(close(front, k) for k in (p1, 2 * p1, p1 + p2)) and \
            any(close(other, k) for k in (p2, 2 * p2, 3 * p2))

    def involves(self, k: float) -> bool:
        p1, p2 = self.high, self.rest
        return any(close(k, c) for c in (p1, 2 * p1, p1 + p2, p2, 2 * p2, 3 * p2))


def _joined(low: str, m: re.Match[str]) -> bool:
    """'the front and the back': a side phrase that is half of two sides."""
    return bool(_JOINED_BEFORE.search(low[max(0, m.start() - 20):m.start()]) or
                _JOINED_AFTER.match(low, m.end()))


def _bound(low: str, number: textcues.TextNumber, end: int,
           phrases: list[re.Match[str]]) -> re.Match[str] | None:
    """The one side phrase a price per length belongs to in its clause: 'costs $8 per meter
    for the front side' or 'the front costs $8 per meter'; None where none or two."""
    begin = number.start - (1 if number.text[0] in "$€£" else 0)
    found = {m.span(): m for m in phrases
             if (m.start() >= end and _LINK_AFTER.fullmatch(low[end:m.start()])) or
             (m.end() <= begin and _LINK_BEFORE.fullmatch(low[m.end():begin]))}
    if len(found) != 1:
        return None
    (m,) = found.values()
    return None if _joined(low, m) else m


def side_prices(text: str) -> SidePrices | None:
    """The text's two fence prices per unit of length, one for one side (or two opposite
    sides) and one for the other sides; None where it says anything else."""
    low = text.lower()
    if not FENCE.search(low) or DIVIDED.search(low) or NEGATED.search(low) or "triang" in low:
        return None
    prices = [(n, m.end()) for n in textcues.numbers_in_text(low)
              if not n.percent and (m := _PER_LENGTH.match(low, n.end))]
    if len(prices) != 2:
        return None
    phrases = list(_PHRASE.finditer(low))
    bound = [(n.value, _bound(low, n, end, phrases)) for n, end in prices]
    rest = [(v, m) for v, m in bound if m is not None and m.lastgroup == "rest"]
    side = [(v, m) for v, m in bound if m is not None and m.lastgroup in ("one", "pair")]
    if len(rest) != 1 or len(side) != 1 or close(rest[0][0], side[0][0]):
        return None
    (p2, rest_m), (p1, side_m) = rest[0], side[0]
    priced = 1 if side_m.lastgroup == "one" else 2
    count = _COUNT.search(rest_m.group(0))
    if count is not None and {"three": 3, "3": 3, "two": 2, "2": 2}[count.group(0)] != 4 - priced:
        return None
    said = textcues.sentences(text)
    stated = [low[n.start:end] for n, end in prices]
    # a side that is a wall, said apart from the prices, leaves fewer sides to fence
    if any(wall_side(s) for s in said if not any(p in s.lower() for p in stated)):
        return None
    sentence = next((s for s in said if side_m.group(0) in s.lower()), text)
    return SidePrices(p1, p2, priced, side_m.group(0).strip(), rest_m.group(0).strip(), sentence)


# -- the model's fence cost --------------------------------------------------------------


@dataclass(frozen=True)
class CostLine:
    """A line of the model that costs the fence: the objective or a budget constraint."""

    where: str
    name: str | None
    expression: str
    sides: tuple[str, str]  # in the order the line writes them
    weights: tuple[float, float]
    span: tuple[int, int] | None  # where the side with the variables is, when rewritable
    kept: tuple[str, ...]  # its constant terms as written, with their signs


class _Scalars(ast.NodeTransformer):
    def __init__(self, values: dict[str, float]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Constant(self.values[node.id]) if node.id in self.values else node


def _linear(node: ast.expr, scalars: dict[str, float]) -> Linear | None:
    numeric = _Scalars(scalars).visit(copy.deepcopy(node))
    form = linear_expression(ast.unparse(numeric))
    return None if form is None else {k: v for k, v in form.items() if abs(v) > 1e-12}


def _terms(node: ast.expr, sign: int = 1) -> list[tuple[int, ast.expr]]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        return [*_terms(node.left, sign),
                *_terms(node.right, sign if isinstance(node.op, ast.Add) else -sign)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _terms(node.operand, -sign)
    return [(sign, node)]


def _source(expression: str, node: ast.expr) -> str:
    return ast.get_source_segment(expression, node) or ast.unparse(node)


def _cost_side(expression: str, node: ast.expr, scalars: dict[str, float],
               variables: set[str]) -> tuple[tuple[str, str], tuple[float, float],
                                              tuple[str, ...] | None] | None:
    """(the two variables, their coefficients, the constant terms as written or None where a
    term is no plain multiple of one variable or a constant) for a side that is linear in two
    scalar variables with positive coefficients."""
    form = _linear(node, scalars)
    names = [k for k in form or {} if k]
    if form is None or len(names) != 2 or not set(names) <= variables or \
            any(form[n] <= 0 for n in names):
        return None
    kept: list[str] | None = []
    for sign, term in _terms(node):
        part = _linear(term, scalars) or {"?": 1.0}
        if set(part) <= {""}:
            kept = None if kept is None else [*kept, ("+ " if sign > 0 else "- ") +
                                              _source(expression, term)]
        elif len(part) != 1 or set(part) - set(names):
            kept = None
    a, b = names
    return (a, b), (form[a], form[b]), None if kept is None else tuple(kept)


def _span(expression: str, node: ast.expr) -> tuple[int, int] | None:
    """Where a node is in a one-line ASCII expression (columns are UTF-8 bytes)."""
    if not expression.isascii() or "\n" in expression or node.end_col_offset is None:
        return None
    return node.col_offset, node.end_col_offset


def _parsed(expression: str) -> ast.expr | None:
    try:
        return ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None


def cost_lines(text: str, f: Formulation) -> list[CostLine]:
    """The model's fence cost: its minimized objective where the goal is the least cost, and
    each budget constraint (bounded by a sum of money the text states, or named for a cost),
    linear in two sides of a rectangle."""
    variables = {v.name for v in f.variables if not v.index}
    scalars = scalar_values(f)
    pairs = multiplied_pairs(f, variables)
    said = [s.lower() for s in textcues.sentences(text)]
    out = []
    goal = any((MIN_GOAL.search(s) or _LOWEST.search(s)) and _COST_GOAL.search(s)
               for s in said)
    tree = _parsed(f.objective.expression) if goal and f.objective.sense == "minimize" else None
    found = None if tree is None else _cost_side(f.objective.expression, tree, scalars,
                                                 variables)
    if tree is not None and found is not None and rectangle_sides(found[0], pairs):
        out.append(CostLine("objective", None, f.objective.expression, found[0], found[1],
                            _span(f.objective.expression, tree) if found[2] is not None
                            else None, found[2] or ()))
    money = [n.value for s in said if _BUDGET.search(s) for n in textcues.numbers_in_text(s)]
    for c, parts in comparisons(f):
        for side, other, op in ((parts[0], parts[2], parts[1]),
                                (parts[2], parts[0], FLIP[parts[1]])):
            found = _cost_side(c.expression, side, scalars, variables)
            bound = _linear(other, scalars)
            if found is None or bound is None or set(bound) - {""} or op == ">=" or \
                    not rectangle_sides(found[0], pairs):
                continue
            named = set(textcues.words(f"{c.name} {c.description or ''}")) & _COST_NAMES
            if not (named or any(close(bound.get("", 0.0), n) for n in money)):
                continue
            out.append(CostLine(f"constraint '{c.name}'", c.name, c.expression, found[0],
                                found[1], _span(c.expression, side) if found[2] is not None
                                else None, found[2] or ()))
    return out


def _rewrite(line: CostLine, terms: tuple[str, str]) -> str | None:
    """The line with its two terms written as ``terms`` (in the order of its sides), its
    constant terms and the rest of it as written; None where it is no plain sum."""
    if line.span is None:
        return None
    start, end = line.span
    side = " + ".join(terms) + "".join(f" {t}" for t in line.kept)
    return line.expression[:start] + side + line.expression[end:]


def _price_names(line: CostLine, f: Formulation) -> dict[float, str]:
    """The scalar parameters the line names, by the number they hold."""
    tree = _parsed(line.expression)
    named = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree else set()
    return {v: k for k, v in scalar_values(f).items() if k in named}


def _is(pair: tuple[float, float], other: tuple[float, float]) -> bool:
    return close(pair[0], other[0]) and close(pair[1], other[1])


def fence_prices(text: str, f: Formulation) -> list[Check]:
    """A warning for each line of the model that costs the fence with the text's prices per
    length miscounted (the side opposite the priced one forgotten, most often), with the
    line written right where the variable along the priced side is plain."""
    prices = side_prices(text)
    if prices is None:
        return []
    front, other = prices.weights()
    p1, p2 = f"{prices.high:g}", f"{prices.rest:g}"
    if prices.priced == 1:
        why = (f"the side opposite {prices.phrase} is as long and costs {p2}, so a unit of "
               f"the dimension along {prices.phrase} costs {p1} + {p2} = {front:g} and one of "
               f"the other dimension 2*{p2} = {other:g}")
    else:
        why = (f"each dimension is fenced twice, so a unit of the dimension along "
               f"{prices.phrase} costs 2*{p1} = {front:g} and one of the other 2*{p2} = "
               f"{other:g}")
    out = []
    for line in cost_lines(text, f):
        (a, b), (ka, kb) = line.sides, line.weights
        if _is((ka, kb), (front, other)) or _is((ka, kb), (other, front)):
            continue
        a_front, b_front = prices.miscounts(ka, kb), prices.miscounts(kb, ka)
        if not (a_front or b_front or prices.involves(ka) or prices.involves(kb)):
            continue
        fix = None
        if a_front != b_front:
            along, across = (a, b) if a_front else (b, a)
            weights = (front, other) if a_front else (other, front)
            terms = prices.terms(along, across, _price_names(line, f))
            new = _rewrite(line, terms if a_front else terms[::-1])
            fix = None if new is None else (
                {"objective": {"expression": new}} if line.name is None else
                {"constraints": {line.name: new}})
            how = (f"{along} carries the price of {prices.phrase}: write {new}." if new else
                   f"{along} carries the price of {prices.phrase}: weigh {a} by "
                   f"{weights[0]:g} and {b} by {weights[1]:g}.")
        else:
            how = (f"Weigh {a} by {front:g} and {b} by {other:g} if {prices.phrase} runs "
                   f"along {a}, {a} by {other:g} and {b} by {front:g} if it runs along {b}.")
        what = f"Constraint '{line.name}'" if line.name else "The objective"
        out.append(Check(
            code="fence_prices", severity="warning", where=line.where,
            names=[line.name] if line.name else [], fix=fix, message=(
                f"{what} ({line.expression}) weighs {a} by {ka:g} and {b} by {kb:g}, but the "
                f"text prices {prices.phrase} at {p1} and {prices.rest_phrase} at {p2} per "
                f"unit of length (\"{prices.sentence[:160]}\"): {why}. {how}")))
    return out
