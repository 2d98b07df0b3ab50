"""'Fenced on three sides, the fourth side is the barn wall': a rectangle whose fence leaves
out a side. A small model still writes the whole perimeter (the embedded 1.5B model wrote
2*length + 2*width <= 40), which fences the wall too.

The check reads the text for a side that needs no fence (three sides fenced; a side that is
a wall, a river, a barn, a building or an existing fence; no fence along the river; a corner
between two walls), then looks for the model's fence: a linear constraint tied to the fence
(by its name or a number the text says of the fence), or a minimized objective where the
goal is the fence, that counts two dimensions alike or four side variables alike. Where one
side needs no fence, the dimension along it counts once and the other twice, so equal
coefficients are wrong whatever the unit (metres or dollars). Where two sides at a corner
need none, length + width is right: then only four side terms, or a bound that is half the
fence the text states, show all four sides fenced. The terms must be a rectangle's sides:
two of them multiplied in the model (its area), or each named as a length or a side; two
amounts alike (``corn + wheat <= 100`` on a farm along a river) are none.

It stays silent where equal coefficients may be right: a region divided into pens or
sections, a price per length that differs between sides (fence_prices.py reads those), 'all
four sides'. Which side lies along the wall the text may not say, so it warns and fixes
nothing.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from optiform.agent import bound_cues, textcues
from optiform.agent.check_model import Check, close, parse_tree
from optiform.agent.comparison import FLIP
from optiform.agent.share_check import Linear, linear_constraint
from optiform.solvers.formulation import Formulation

FENCE = re.compile(r"\bfenc(?:e|es|ed|ing)\b|\bperimeter\b|\benclos\w*")
_OBSTACLE = (r"(?:walls?|river|riverbank|river bank|stream|creek|canal|lake|shore(?:line)?|"
             r"barn|building|house|garage|shed|cliff|hedge|(?:existing|old) fence)")
_OBSTACLE_WORD = re.compile(rf"\b{_OBSTACLE}\b")
NEGATED = re.compile(r"\b(?:no|without)\s+(?:\w+\s+){0,2}?fenc\w*|(?:\bnot|n't)\s+"
                     r"(?:\w+\s+){0,3}?fenc\w*|\bunfenced\b|\bfenc\w*\s+(?:is\s+|are\s+)?"
                     r"(?:not|never)\s+(?:needed|required|necessary)")
# the count said outright: three sides fenced
_THREE_SIDES = re.compile(r"(?<!all )\b(?:three|3)(?:-sided\b|\s+(?:of\s+(?:its|the|their)\s+)?"
                          r"sides\b)")
# a side that is something else, said in a sentence with an obstacle or 'no fence'
_ONE_SIDE = re.compile(r"\b(?:one|fourth|4th|other|remaining|last)\s+(?:\w+\s+){0,2}?side\b")
_ALONG = re.compile(r"\b(?:along|against|alongside|bordering|borders|bordered by|bounded by|"
                    rf"backs? onto|abut(?:s|ting)?|adjoin(?:s|ing)?)\s+(?:\w+\s+){{0,4}}"
                    rf"{_OBSTACLE}\b")
_CORNER = re.compile(r"\b(?:two|2)\s+(?:\w+\s+){0,2}?walls\b|\bcorner\b[^.;?!]*\bwalls?\b|"
                     r"\bwalls?\b[^.;?!]*\bcorner\b|\b(?:two|2)\s+(?:of\s+(?:its|the)\s+)?"
                     rf"sides\b(?=[^.;?!]*\b{_OBSTACLE}\b)")
_ALL_SIDES = re.compile(r"\b(?:all|four|4|every|each)\s+(?:of\s+(?:its|the)\s+)?sides\b|"
                        r"\b(?:entire|whole|full)\s+perimeter\b|\ball (?:the way )?around\b")
# equal coefficients may be right: pens or sections split by inner fences, a price per side
DIVIDED = re.compile(r"\b(?:divid\w*|partition\w*|subdivid\w*|split\w*|separat\w*|parallel|"
                     r"internal|interior|inner|cross[- ]?fenc\w*|into (?:two|three|four|"
                     r"\d+|several|equal)\b)")
_RATE = re.compile(r"\b(?:per|a|an|each)\s+(?:linear\s+|running\s+)?(?:foot|feet|ft|meter|"
                   r"metre|m|yard|yd)\b")
MIN_GOAL = re.compile(r"\bminimi[sz]|\b(?:least|smallest|cheapest|minimum|shortest)\b")
# a side's length by its name, where no area multiplies two of them
_DIMENSION_WORDS = frozenset({"length", "width", "breadth", "depth", "height", "side", "sides",
                              "edge", "l", "w", "north", "south", "east", "west", "front",
                              "back", "left", "right"})
_FENCE_WORDS = frozenset({"fence", "fencing", "fenced", "perimeter", "border", "boundary",
                          "enclosure"})


@dataclass(frozen=True)
class FenceCue:
    unfenced: int  # how many sides need no fence: 1, or 2 (a corner)
    phrase: str
    sentence: str


@dataclass(frozen=True)
class FullFence:
    where: str  # "constraint 'fence'" or "objective"
    name: str | None  # the constraint's name
    expression: str
    sides: tuple[str, ...]  # two dimensions, or four sides
    rewrites: tuple[str, ...]  # the line with the unfenced side(s) left out, when it is simple


def wall_side(sentence: str) -> re.Match[str] | None:
    s = sentence.lower()
    m = _ALONG.search(s)  # 'next to a barn' alone leaves open whether the barn is a side
    if m is None and (_OBSTACLE_WORD.search(s) or NEGATED.search(s)):
        m = _ONE_SIDE.search(s) or (NEGATED.search(s) if "side" in s else None)
    return m


def fence_cue(text: str) -> FenceCue | None:
    """The text's statement that some side of the fenced region needs no fence; None where
    it says none, says all four sides, or divides the region."""
    low = text.lower()
    if not FENCE.search(low) or DIVIDED.search(low) or len(_RATE.findall(low)) > 1:
        return None
    three = corner = one = None
    for sentence in textcues.sentences(text):
        s = sentence.lower()
        if three is None and "triang" not in low and (m := _THREE_SIDES.search(s)):
            three = FenceCue(1, m.group(0), sentence)
        if corner is None and (m := _CORNER.search(s)):
            corner = FenceCue(2, m.group(0), sentence)
        if one is None and (m := wall_side(sentence)):
            one = FenceCue(1, m.group(0), sentence)
    if three is not None:
        return three
    if _ALL_SIDES.search(low):
        return None
    return corner or one


def _form(expression: str, scalars: dict[str, float]) -> tuple[Linear, str] | None:
    """A constraint (or, with comparison '', an objective) as a linear form over variables,
    scalar parameters folded into its number; None where it is not linear."""
    objective = not re.search(r"[<>=]", expression)
    parsed = linear_constraint(f"{expression} == 0" if objective else expression)
    if parsed is None:
        return None
    form: Linear = {}
    for key, value in parsed[0].items():
        key, value = ("", value * scalars[key]) if key in scalars else (key, value)
        form[key] = form.get(key, 0.0) + value
    return form, "" if objective else parsed[1]


def _sides(form: Linear, variables: set[str]) -> tuple[tuple[str, ...], float] | None:
    """(the side variables, their coefficient) where the form counts two or four variables
    alike, besides at most one fence total ('perimeter == 2*length + 2*width')."""
    names = [k for k in form if k]
    if not set(names) <= variables:
        return None
    tries = [names] + [[n for n in names if n != t] for t in names
                       if set(textcues.words(t)) & (_FENCE_WORDS | {"total"})]
    for sides in tries:
        if len(sides) in (2, 4) and all(close(form[n], form[sides[0]]) for n in sides):
            return tuple(sides), form[sides[0]]
    return None


def multiplied_pairs(f: Formulation, variables: set[str]) -> set[frozenset[str]]:
    """The pairs of ``variables`` the model multiplies together somewhere (the area,
    ``length*width``)."""
    out: set[frozenset[str]] = set()
    for expression in (f.objective.expression, *(c.expression for c in f.constraints)):
        tree = parse_tree(expression)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
                left, right = ({n.id for n in ast.walk(side) if isinstance(n, ast.Name)}
                               & variables for side in (node.left, node.right))
                out.update(frozenset((a, b)) for a in left for b in right if a != b)
    return out


def rectangle_sides(sides: tuple[str, ...], products: set[frozenset[str]]) -> bool:
    """Whether ``sides`` are a rectangle's sides, not two amounts alike (``cows + sheep <=
    50``): two of them multiplied in the model, or each named as a length or a side."""
    return any(frozenset((a, b)) in products for a in sides for b in sides if a != b) or \
        all(set(textcues.words(n)) & _DIMENSION_WORDS for n in sides)


def _term(k: float, name: str) -> str:
    return name if close(k, 1.0) else f"{k:g}*{name}"


def _rewrites(form: Linear, sides: tuple[str, ...], op: str, unfenced: int) -> tuple[str, ...]:
    """The line with the dimension along the wall counted once (either way round), or each
    once at a corner, its smaller coefficient 1 unless it weighs a price; nothing unless the
    line is two dimensions and a number."""
    if len(sides) != 2 or set(form) - {*sides, ""}:
        return ()
    a, b = sides
    k = form[a]
    once = max(abs(k) / 2, 1.0)  # what a side counted once weighs
    scale = once / (k / 2)  # negative where the sides stand on the right-hand side
    rest = "" if not op else \
        f" {op if scale > 0 else FLIP[op]} {-scale * form.get('', 0.0):g}"
    if unfenced == 2:
        return (f"{_term(once, a)} + {_term(once, b)}{rest}",)
    return (f"{_term(once, a)} + {_term(2 * once, b)}{rest}",
            f"{_term(2 * once, a)} + {_term(once, b)}{rest}")


def full_fences(text: str, f: Formulation, cue: FenceCue) -> list[FullFence]:
    """The model's fence lines that count all four sides although ``cue`` says some need
    none."""
    variables = {v.name for v in f.variables if not v.index}
    scalars = bound_cues.scalar_values(f)
    said = textcues.sentences(text)
    fence_numbers = [n.value for s in said if FENCE.search(s.lower())
                     for n in textcues.numbers_in_text(s)]
    products = multiplied_pairs(f, variables)
    out = []
    for c in f.constraints:
        parsed = None if c.for_each else _form(c.expression, scalars)
        found = None if parsed is None else _sides(parsed[0], variables)
        if parsed is None or found is None or not rectangle_sides(found[0], products):
            continue
        (form, op), (sides, k) = parsed, found
        number = abs(form.get("", 0.0))
        named = set(textcues.words(f"{c.name} {c.description} {c.expression}")) & _FENCE_WORDS
        # the bound is the text's fence for all four sides: 2*length + 2*width <= 40 and
        # length + width <= 20 for 40 m of fence
        whole = len(sides) == 2 and not set(form) - {*sides, ""} and \
            any(close(n, 2 * number / abs(k)) for n in fence_numbers)
        if not (named or whole or any(close(number, n) for n in fence_numbers)):
            continue
        if cue.unfenced == 1 or len(sides) == 4 or whole:
            out.append(FullFence(f"constraint '{c.name}'", c.name, c.expression, sides,
                                 _rewrites(form, sides, op, cue.unfenced)))
    goal = any(FENCE.search(s.lower()) and MIN_GOAL.search(s.lower()) for s in said)
    parsed = _form(f.objective.expression, scalars) \
        if goal and f.objective.sense == "minimize" else None
    found = None if parsed is None else _sides(parsed[0], variables)
    if parsed is not None and found is not None and not set(parsed[0]) - {*found[0], ""} and \
            rectangle_sides(found[0], products) and (cue.unfenced == 1 or len(found[0]) == 4):
        out.append(FullFence("objective", None, f.objective.expression, found[0],
                             _rewrites(parsed[0], found[0], "", cue.unfenced)))
    return out


def fence_sides(text: str, f: Formulation) -> list[Check]:
    """A warning for each fence line of the model that fences a side the text says needs no
    fence."""
    cue = fence_cue(text)
    if cue is None:
        return []
    out = []
    for fence in full_fences(text, f, cue):
        what = f"Constraint '{fence.name}'" if fence.name else "The objective"
        counted = (f"counts {fence.sides[0]} and {fence.sides[1]} alike"
                   if len(fence.sides) == 2 else f"adds {', '.join(fence.sides)}")
        need = "one side needs" if cue.unfenced == 1 else "two sides need"
        if fence.rewrites and cue.unfenced == 1:
            a, b = fence.sides
            how = (f"Count the dimension along the unfenced side once: {fence.rewrites[0]} if "
                   f"that side is a {a}, {fence.rewrites[1]} if it is a {b}.")
        elif fence.rewrites:
            how = f"Count each dimension once: {fence.rewrites[0]}."
        elif len(fence.sides) == 4:
            how = ("Leave the side with no fence out of the sum." if cue.unfenced == 1 else
                   "Leave the two sides with no fence out of the sum.")
        else:
            how = "Count the dimension along the unfenced side once, the other twice."
        out.append(Check(
            code="fence_sides", severity="warning", where=fence.where,
            names=[fence.name] if fence.name else [], message=(
                f"{what} ({fence.expression}) {counted}, so it fences all four sides, but the "
                f"text says \"{cue.phrase}\" (\"{cue.sentence[:140]}\"): {need} no fence. "
                f"{how}")))
    return out
