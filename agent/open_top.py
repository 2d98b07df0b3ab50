"""An open-top box counted with a lid: 'an open-top box with a square base must hold 32 cubic
meters; use the least material' came back from the embedded 1.5B model as
``minimize 2*base_side*base_side + 4*base_side*height`` (the closed box's surface: 60.48
where 48 is right).

The check reads the model's volume (a constraint whose one product of three decisions, such
as ``x*x*h`` or ``l*w*h``, is compared with a number) for the base: the repeated side of a
square base, or the two sides other than the one named for height (height, h, depth, tall).
Where the text says the box has no top (open top, open-top, no lid, without a top, topless),
and the objective or a constraint weighs the surface as a closed box of one material (base
term 2k with sides 4k for a square base, 2k each for a rectangular one, and nothing else but a
number), the fix writes the base once: k. A box whose base and sides are priced apart, or a
surface with other terms, makes it stay silent.
"""

from __future__ import annotations

import ast
import re

from optiform.agent.check_model import Check, close
from optiform.agent.comparison import comparison, constant
from optiform.solvers.expr import normalize
from optiform.solvers.formulation import Formulation

_OPEN = re.compile(r"\bopen[- ]top(?:ped)?\b|\bopen\s+(?:at\s+the\s+)?top\b|\btopless\b|"
                   r"\b(?:no|without\s+an?|without)\s+(?:top|lid|cover)\b|\blidless\b")
_HEIGHT = re.compile(r"^(?:h|z)$|height|depth|tall|high")
Monomial = tuple[str, ...]
Polynomial = dict[Monomial, float]


def polynomial(node: ast.AST) -> Polynomial | None:
    """A polynomial of names and numbers as monomials (sorted names) to coefficients; None for
    anything else (a function, a division by a name, a power that is no whole number)."""
    if (value := constant(node)) is not None:
        return {(): value}
    if isinstance(node, ast.Name):
        return {(node.id,): 1.0}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = polynomial(node.operand)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return None if inner is None else {k: sign * v for k, v in inner.items()}
    if not isinstance(node, ast.BinOp):
        return None
    left = polynomial(node.left)
    if left is None:
        return None
    if isinstance(node.op, ast.Pow):
        power = constant(node.right)
        if power is None or power != int(power) or not 0 <= power <= 4:
            return None
        out: Polynomial = {(): 1.0}
        for _ in range(int(power)):
            out = _times(out, left)
        return out
    right = polynomial(node.right)
    if right is None:
        return None
    if isinstance(node.op, (ast.Add, ast.Sub)):
        sign = 1.0 if isinstance(node.op, ast.Add) else -1.0
        out = dict(left)
        for k, v in right.items():
            out[k] = out.get(k, 0.0) + sign * v
        return {k: v for k, v in out.items() if v}
    if isinstance(node.op, ast.Mult):
        return _times(left, right)
    if isinstance(node.op, ast.Div) and set(right) == {()} and right[()]:
        return {k: v / right[()] for k, v in left.items()}
    return None


def _times(a: Polynomial, b: Polynomial) -> Polynomial:
    out: Polynomial = {}
    for ka, va in a.items():
        for kb, vb in b.items():
            key = tuple(sorted(ka + kb))
            out[key] = out.get(key, 0.0) + va * vb
    return {k: v for k, v in out.items() if v}


def _parsed(expression: str) -> Polynomial | None:
    try:
        return polynomial(ast.parse(normalize(expression.strip()), mode="eval").body)
    except SyntaxError:
        return None


def _box(f: Formulation) -> tuple[Monomial, list[Monomial]] | None:
    """(the base's monomial, the sides' monomials) from the model's volume constraint."""
    for c in f.constraints:
        parts = comparison(c.expression)
        if c.for_each or parts is None:
            continue
        left, _, right = parts
        for body, other in ((left, right), (right, left)):
            poly = polynomial(body)
            if constant(other) is None or poly is None:
                continue
            cubes = [k for k in poly if len(k) == 3]
            if len(cubes) != 1 or any(len(k) not in (0, 3) for k in poly):
                continue
            (a, b, c3) = cubes[0]
            names = [a, b, c3]
            twice = [n for n in set(names) if names.count(n) == 2]
            if twice and len(set(names)) == 2:  # x*x*h: a square base
                side = twice[0]
                height = next(n for n in names if n != side)
                return (side, side), [tuple(sorted((side, height)))]
            if len(set(names)) == 3:
                tall = [n for n in names if _HEIGHT.search(n.lower())]
                if len(tall) == 1:
                    length, width = sorted(n for n in names if n != tall[0])
                    return (length, width), [tuple(sorted((length, tall[0]))),
                                             tuple(sorted((width, tall[0])))]
    return None


def _written(poly: Polynomial) -> str:
    terms = []
    for key, value in poly.items():
        factor = "*".join(key)
        number = f"{value:g}"
        terms.append(number if not key else factor if value == 1 else f"{number}*{factor}")
    return " + ".join(terms).replace("+ -", "- ")


def _lidded(poly: Polynomial, base: Monomial, sides: list[Monomial]) -> Polynomial | None:
    """The surface written without the lid, where ``poly`` is a closed box's of one material."""
    if set(poly) - {(), base, *sides} or base not in poly or not all(s in poly for s in sides):
        return None
    k = poly[base] / 2
    per_side = 4 * k if len(sides) == 1 else 2 * k
    if k <= 0 or not all(close(poly[s], per_side) for s in sides):
        return None
    return {**poly, base: k}


def open_top(text: str, f: Formulation) -> list[Check]:
    if not _OPEN.search(text.lower()):
        return []
    box = _box(f)
    if box is None:
        return []
    base, sides = box
    why = ("The text's box has no top, but {what} counts the base twice ({term}), as for a box "
           "with a lid: the base is counted once")
    out = []
    objective = _parsed(f.objective.expression)
    if objective is not None and (open_poly := _lidded(objective, base, sides)):
        new = _written(open_poly)
        out.append(Check(code="open_top", severity="warning", where="objective",
                         fix={"objective": {"expression": new}},
                         message=why.format(what=f"the objective ({f.objective.expression})",
                                            term=f"{objective[base]:g}*{'*'.join(base)}")
                         + f": {new}."))
    for c in f.constraints:
        parts = comparison(c.expression)
        if c.for_each or parts is None:
            continue
        left, op, right = parts
        poly = polynomial(left)
        if poly is None or constant(right) is None or \
                (open_poly := _lidded(poly, base, sides)) is None:
            continue
        new = f"{_written(open_poly)} {op} {ast.unparse(right)}"
        out.append(Check(code="open_top", severity="warning", where=f"constraint '{c.name}'",
                         names=[c.name], fix={"constraints": {c.name: new}},
                         message=why.format(what=f"constraint '{c.name}' ({c.expression})",
                                            term=f"{poly[base]:g}*{'*'.join(base)}")
                         + f": {new}."))
    return out
