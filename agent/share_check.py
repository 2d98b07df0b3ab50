"""'At most 40% of the concerts are R&B': a share of the total of all the counted decisions.

Small models write the share against the wrong base (``rnb <= 0.4*pop``) or as a whole number
(``35*high <= 1``). When every decision is a whole-number count of a few kinds of things, the
total is their sum and the right constraint is exact: ``rnb <= 0.4*(pop + rnb)``. The check
compares the model's constraint with it by meaning (linear forms equal up to a positive
factor), so an equivalent rewriting (``0.6*rnb <= 0.4*pop``) passes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from optiform.agent import ratio_cues
from optiform.agent.comparison import FLIP, comparison, constant
from optiform.solvers.formulation import Formulation

Linear = dict[str, float]  # variable -> coefficient; "" -> constant


def _linear(node: ast.AST) -> Linear | None:
    if (value := constant(node)) is not None:
        return {"": value}
    if isinstance(node, ast.Name):
        return {node.id: 1.0}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _linear(node.operand)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return None if inner is None else {k: sign * v for k, v in inner.items()}
    if isinstance(node, ast.BinOp):
        left, right = _linear(node.left), _linear(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, (ast.Add, ast.Sub)):
            sign = 1.0 if isinstance(node.op, ast.Add) else -1.0
            out = dict(left)
            for k, v in right.items():
                out[k] = out.get(k, 0.0) + sign * v
            return out
        if isinstance(node.op, ast.Mult):
            for a, b in ((left, right), (right, left)):
                if set(a) == {""}:
                    return {k: a[""] * v for k, v in b.items()}
            return None
        if isinstance(node.op, ast.Div) and set(right) == {""} and right[""]:
            return {k: v / right[""] for k, v in left.items()}
    return None


def linear_expression(expression: str) -> Linear | None:
    """An expression as a linear form, or None when it is not linear or does not parse."""
    try:
        return _linear(ast.parse(expression.strip(), mode="eval").body)
    except SyntaxError:
        return None


def linear_constraint(expression: str) -> tuple[Linear, str] | None:
    """(lhs - rhs as a linear form, '<=' | '>=' | '==') or None when not linear."""
    parts = comparison(expression)
    if parts is None:
        return None
    left, op, right = _linear(parts[0]), parts[1], _linear(parts[2])
    if left is None or right is None:
        return None
    form = dict(left)
    for k, v in right.items():
        form[k] = form.get(k, 0.0) - v
    return {k: v for k, v in form.items() if abs(v) > 1e-12}, op


def equivalent(a: str, b: str) -> bool:
    """Whether two linear constraints say the same (up to a positive factor, or a negative
    one with the comparison turned round)."""
    fa, fb = linear_constraint(a), linear_constraint(b)
    if fa is None or fb is None or set(fa[0]) != set(fb[0]) or not fa[0]:
        return False
    key = next(iter(fa[0]))
    ratio = fa[0][key] / fb[0][key]
    if any(abs(fa[0][k] - ratio * fb[0][k]) > 1e-9 * (1 + abs(fa[0][k])) for k in fa[0]):
        return False
    return fa[1] == (fb[1] if ratio > 0 else FLIP[fb[1]])


@dataclass(frozen=True)
class ShareFix:
    constraint: str  # the constraint to replace, or a new name
    expression: str
    cue: ratio_cues.ShareCue


def _mentions_fraction(expression: str, fraction: float) -> bool:
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return False
    values = {float(n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant)
              and isinstance(n.value, (int, float)) and not isinstance(n.value, bool)}
    return any(abs(v - x) < 1e-9 for v in values for x in (fraction, fraction * 100))


def _model_subject(f: Formulation, fraction: float) -> str | None:
    """The variable alone on one side of the one constraint that uses ``fraction`` ('rnb' in
    'rnb <= 0.4*pop'): whose share the model meant, when the text does not name it."""
    using = [c for c in f.constraints
             if not c.for_each and _mentions_fraction(c.expression, fraction)]
    if len(using) != 1:
        return None
    try:
        tree = ast.parse(using[0].expression, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(tree, ast.Compare) or len(tree.comparators) != 1:
        return None
    names = {v.name for v in f.variables}
    alone = [side.id for side in (tree.left, tree.comparators[0])
             if isinstance(side, ast.Name) and side.id in names]
    return alone[0] if len(alone) == 1 else None


def share_fixes(text: str, f: Formulation) -> list[ShareFix]:
    """The share constraints the model gets wrong or lacks, when every decision is a
    whole-number count (at most four kinds); empty otherwise."""
    if not f.variables or len(f.variables) > 4 or any(v.domain != "integer" or v.index
                                                      for v in f.variables):
        return []
    total = " + ".join(v.name for v in f.variables)
    out = []
    for cue in ratio_cues.share_cues(text, f):
        variable = cue.variable or _model_subject(f, cue.fraction)
        if variable is None:
            continue
        right = f"{variable} {cue.direction} {cue.fraction:g}*({total})"
        if any(equivalent(c.expression, right) for c in f.constraints if not c.for_each):
            continue
        using = [c.name for c in f.constraints
                 if not c.for_each and _mentions_fraction(c.expression, cue.fraction)]
        name = using[0] if len(using) == 1 else f"{variable}_share"
        out.append(ShareFix(name, right, cue))
    return out
