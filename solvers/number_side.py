"""Which side of a comparison is its number, as written: what its dual is per unit added to.

A dual is the change of the optimal objective per unit added to the constraint's number
(``SolveResult.duals``). Every route that gives duals (``linear._orient``,
``pyomo_backend._dual_signs``) takes that number from the text of the comparison, never from
the values of its parameters, so a dual means the same whatever the data:

- a side without variables is the number (``x + y <= 100``, ``100 >= x + y``, ``x <= cap -
  used``);
- with variables on both sides, the side that adds or subtracts a number to them at its top
  (``x <= y + 5``, ``5 + y >= x``, ``x - gap[i] <= y``, ``x + extra <= y`` even where
  ``extra`` is 0); the right side where both or neither do (``x + 2 <= y + 5``, ``y <=
  2*x``). A number inside a term with variables (the 1 of ``2*(x + 1)``, a coefficient, a
  subscript) is no number of its side.

``agent.written_numbers`` reads the same rule to say which written number the dual prices.
"""

from __future__ import annotations

import ast

from optiform.solvers.pyomo_names import mentions_variable

_TURN = {1.0: -1.0, -1.0: 1.0}


def signed_terms(node: ast.expr, sign: float = 1.0) -> list[tuple[float, ast.expr]]:
    """The terms ``node`` adds (+1) or subtracts (-1): ``a + 2*b - (5 - c)`` -> (+1, a),
    (+1, 2*b), (-1, 5), (+1, c)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        right = sign if isinstance(node.op, ast.Add) else _TURN[sign]
        return [*signed_terms(node.left, sign), *signed_terms(node.right, right)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        return signed_terms(node.operand, sign if isinstance(node.op, ast.UAdd) else _TURN[sign])
    return [(sign, node)]


def numbers(side: ast.expr, variables: set[str] | dict[str, int]
            ) -> list[tuple[float, ast.expr]]:
    """The terms of ``side`` without variables (``100``, ``cap[i]``, ``sum(d[j] for j in J)``),
    each with the sign it is written with."""
    return [(s, term) for s, term in signed_terms(side)
            if not mentions_variable(term, variables)]


def number_on_left(left: ast.expr, right: ast.expr,
                   variables: set[str] | dict[str, int]) -> bool:
    """Whether ``left op right``'s number is its left side (see the module's rule); the right
    side otherwise, also where neither side has variables."""
    on_left = mentions_variable(left, variables)
    on_right = mentions_variable(right, variables)
    if on_left != on_right:
        return on_right
    return on_left and bool(numbers(left, variables)) and not numbers(right, variables)
