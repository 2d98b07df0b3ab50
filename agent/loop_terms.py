"""A term counted once per element of a loop it does not use: the embedded 1.5B model wrote a
warehouse plan's cost as ``sum(setup[w]*open[w] + cost[w,s]*ship[w,s] for w in W for s in
S)``, so each warehouse's setup counted once per store.

The check reads the objective for sums over two or more plain loops (``for w in W for s in
S``, no conditions) whose body is a sum of terms, one of which uses none of some loop's name:
that term is repeated once per element of that loop. The fix writes each group of terms in a
sum over only the loops its names use (``sum(setup[w]*open[w] for w in W) + sum(cost[w,s]*
ship[w,s] for w in W for s in S)``), the signs as written. A term that uses no loop at all, or
a loop with a condition, makes it stay silent.
"""

from __future__ import annotations

import ast
import copy

from optiform.agent.check_model import Check
from optiform.agent.comparison import summed
from optiform.solvers.formulation import Formulation
from optiform.solvers.number_side import signed_terms
from optiform.solvers.script_expr import unparse


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _split(call: ast.Call) -> ast.expr | None:
    """The sum written as one sum per group of terms over the loops they use, or None."""
    gen = call.args[0]
    assert isinstance(gen, ast.GeneratorExp)
    loops = gen.generators
    if len(loops) < 2 or any(g.ifs or g.is_async or not isinstance(g.target, ast.Name)
                             for g in loops):
        return None
    targets = [g.target.id for g in loops if isinstance(g.target, ast.Name)]
    # a later loop's set may depend on an earlier loop's name: keep every loop then
    if any(_names(g.iter) & set(targets) for g in loops):
        return None
    terms = signed_terms(gen.elt)
    groups: dict[tuple[str, ...], list[tuple[int, ast.expr]]] = {}
    for sign, term in terms:
        used = tuple(t for t in targets if t in _names(term))
        if not used:
            return None
        groups.setdefault(used, []).append((sign, term))
    if len(groups) == 1 and len(next(iter(groups))) == len(targets):
        return None  # every term uses every loop
    out: ast.expr | None = None
    for used, group in groups.items():
        body: ast.expr | None = None
        for sign, term in group:
            if body is None:
                body = term if sign > 0 else ast.UnaryOp(op=ast.USub(), operand=term)
            else:
                body = ast.BinOp(left=body, op=ast.Add() if sign > 0 else ast.Sub(), right=term)
        assert body is not None
        part = ast.Call(func=ast.Name(id="sum", ctx=ast.Load()), keywords=[], args=[
            ast.GeneratorExp(elt=body, generators=[copy.deepcopy(g) for g in loops
                                                   if g.target.id in used])])  # type: ignore[attr-defined]
        out = part if out is None else ast.BinOp(left=out, op=ast.Add(), right=part)
    return out


class _Split(ast.NodeTransformer):
    def __init__(self) -> None:
        self.changed = False

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if summed(node) is not None:
            split = _split(node)
            if split is not None:
                self.changed = True
                return split
        return node


def loop_free_terms(f: Formulation) -> list[Check]:
    try:
        tree = ast.parse(f.objective.expression.strip(), mode="eval")
    except SyntaxError:
        return []
    splitter = _Split()
    new_tree = splitter.visit(copy.deepcopy(tree))
    if not splitter.changed:
        return []
    new = unparse(ast.fix_missing_locations(new_tree))
    return [Check(code="loop_free_term", severity="warning", where="objective",
                  fix={"objective": {"expression": new}},
                  message=(f"The objective ({f.objective.expression}) repeats a term once per "
                           f"element of a loop whose name the term does not use: each term is "
                           f"summed over its own loops, {new}."))]
