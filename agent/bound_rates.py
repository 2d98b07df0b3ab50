"""A decision's limit used again as its rate: 'there are 100 regular labor hours; up to 20
extra overtime hours can be bought' came back from the embedded 1.5B model as
``overtime_hours <= 20`` and ``2*shelves + 3*cabinets <= 100 + 20*overtime_hours``, so each
overtime hour counted as twenty.

The check takes each scalar decision bounded alone by a number (a constraint of it alone, or
its upper or lower bound) that the text states once, and looks for that number again as the
decision's coefficient in another constraint: one statement cannot be both the decision's
limit and its rate. Where that constraint also holds a number of the text whose unit is a word
of the decision's name ('100 regular labor hours' beside ``overtime_hours``), the decision is
counted in that unit and the fix writes its coefficient as 1; otherwise it warns and fixes
nothing. A number the text states twice, or a decision bounded by a name, makes it stay
silent.
"""

from __future__ import annotations

import ast
import copy
import re

from optiform.agent import textcues
from optiform.agent.bound_cues import bound_of
from optiform.agent.check_model import Check, close
from optiform.agent.comparison import constant
from optiform.solvers.formulation import Formulation

_CLAUSE_END = re.compile(r"[,.;:?!]")


def _bounds(f: Formulation) -> dict[str, set[float]]:
    """The numbers each scalar decision is bounded by alone, by name."""
    scalars = {v.name: v for v in f.variables if not v.index}
    out: dict[str, set[float]] = {name: set() for name in scalars}
    for v in scalars.values():
        for value in (v.lb, v.ub):
            if value:
                out[v.name].add(float(value))
    for c in f.constraints:
        if c.for_each:
            continue
        bound = bound_of(c.expression)
        if bound is None:
            continue
        try:
            names = {n.id for n in ast.walk(ast.parse(c.expression, mode="eval"))
                     if isinstance(n, ast.Name)}
        except SyntaxError:
            continue
        if len(names) == 1 and (name := next(iter(names))) in out:
            out[name].add(bound[1])
    return out


def _rated(node: ast.AST, name: str, value: float) -> bool:
    """Whether the node is ``value*name`` or ``name*value``."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return False
    for a, b in ((node.left, node.right), (node.right, node.left)):
        number = constant(a)
        if number is not None and close(number, value) and isinstance(b, ast.Name) and \
                b.id == name:
            return True
    return False


def _unit_words(text: str, n: textcues.TextNumber) -> set[str]:
    """Stems of up to four words after the number, within its clause."""
    tail = _CLAUSE_END.split(text[n.end:n.end + 60], maxsplit=1)[0]
    return {textcues.stem(w) for w in textcues.words(tail)[:4]}


def _as_one(expression: str, name: str, value: float) -> str:
    tree = ast.parse(expression, mode="eval")

    class One(ast.NodeTransformer):
        def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
            if _rated(node, name, value):
                return ast.Name(id=name, ctx=ast.Load())
            self.generic_visit(node)
            return node

    return ast.unparse(One().visit(copy.deepcopy(tree)))


def bound_rates(text: str, f: Formulation) -> list[Check]:
    numbers = textcues.numbers_in_text(text)
    out = []
    for name, values in _bounds(f).items():
        own = {textcues.stem(w) for w in textcues.words(name)}
        for value in values:
            if sum(close(n.value, value) for n in numbers) != 1:
                continue
            for c in f.constraints:
                if c.for_each:
                    continue
                try:
                    tree = ast.parse(c.expression, mode="eval")
                except SyntaxError:
                    continue
                if {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} == {name} or \
                        not any(_rated(node, name, value) for node in ast.walk(tree)):
                    continue
                stated = [s for node in ast.walk(tree)
                          if (s := constant(node)) is not None and not close(s, value)]
                rates = {id(side) for node in ast.walk(tree)
                         if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
                         for side in (node.left, node.right)}
                alone = [s for node in ast.walk(tree) if id(node) not in rates
                         and (s := constant(node)) is not None]
                counted_in = sorted((n for n in numbers if any(close(n.value, s) for s in stated)
                                     and own & _unit_words(text, n)),
                                    key=lambda n: not any(close(n.value, s) for s in alone))
                message = (f"Constraint '{c.name}' ({c.expression}) counts {name} at "
                           f"{value:g} each, but {value:g} is the limit of {name} itself, "
                           f"stated once in the text: one number cannot be both its limit and "
                           f"its rate.")
                if counted_in:
                    new = _as_one(c.expression, name, value)
                    out.append(Check(
                        code="bound_rate", severity="warning", where=f"constraint '{c.name}'",
                        names=[c.name], fix={"constraints": {c.name: new}},
                        message=message + f" {counted_in[0].text} is stated in the unit "
                        f"{name} counts, so each one counts once: {new}."))
                else:
                    out.append(Check(code="bound_rate", severity="warning",
                                     where=f"constraint '{c.name}'", names=[c.name],
                                     message=message + " Use the text's rate for it."))
    return out
