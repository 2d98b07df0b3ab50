"""One comparison written by the LLM ('8*x + 4*y <= 500'), taken apart for the checks."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from optiform.solvers.expr import normalize
from optiform.solvers.formulation import ConstraintDef, Formulation

_OPS = {ast.LtE: "<=", ast.Lt: "<=", ast.GtE: ">=", ast.Gt: ">=", ast.Eq: "=="}
FLIP = {"<=": ">=", ">=": "<=", "==": "=="}


def comparison(expression: str) -> tuple[ast.expr, str, ast.expr] | None:
    """(left, '<=' | '>=' | '==', right) for a single comparison (a strict one counts as
    its non-strict form; a lone '=' and '^' are read as the solver reads them); None for
    anything else, including text that does not parse."""
    try:
        tree = ast.parse(normalize(expression), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(tree, ast.Compare) or len(tree.ops) != 1:
        return None
    op = _OPS.get(type(tree.ops[0]))
    return None if op is None else (tree.left, op, tree.comparators[0])


def constant(node: ast.AST) -> float | None:
    """The number a node is, when it is a plain number."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
            not isinstance(node.value, bool):
        return float(node.value)
    return None


def summed(node: ast.AST) -> ast.GeneratorExp | None:
    """The generator of a plain ``sum(... for ...)`` call, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == "sum" and len(node.args) == 1 and not node.keywords and \
            isinstance(node.args[0], ast.GeneratorExp):
        return node.args[0]
    return None


def comparisons(f: Formulation) -> Iterator[tuple[ConstraintDef, tuple[ast.expr, str, ast.expr]]]:
    """Each constraint without a ``for_each`` that is one comparison, with its parts."""
    for c in f.constraints:
        parts = None if c.for_each else comparison(c.expression)
        if parts is not None:
            yield c, parts
