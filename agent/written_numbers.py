"""Which number, as the user wrote it, a comparison's dual prices, and with which sign.

A dual is per unit added to the side the solvers take as the constraint's number, read from
the text by ``solvers.number_side`` (the side without variables, else the side that adds or
subtracts a number to its variables, the right one when both or neither do). Per unit of a
number written on a side with variables the price is the dual, or the dual with its sign
turned where the number is subtracted there, or stands on the other side: for ``x - 5 <= y``
the solvers' number is the -5 added to ``x``, and one more unit of the 5 written is one less
of it.
"""

from __future__ import annotations

import ast

from optiform.solvers.number_side import numbers, signed_terms
from optiform.solvers.pyomo_names import mentions_variable


def _hides_number(term: ast.expr, variables: set[str]) -> bool:
    """Whether a term with variables adds a number inside it (``2*(x + 1)``, ``sum(x[i] +
    c[i] for i in I)``): a second number beside any other written. A coefficient (``(1 +
    r)*x``), a subscript (``x[t - 1]``) and a generator's sets and conditions add none."""
    stack: list[ast.AST] = [term]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and \
                mentions_variable(node, variables) and numbers(node, variables):
            return True
        if not isinstance(node, (ast.Subscript, ast.comprehension)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _hides_any(side: ast.expr, variables: set[str]) -> bool:
    return any(_hides_number(term, variables) for _, term in signed_terms(side)
               if mentions_variable(term, variables))


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and not isinstance(node.value, bool) and \
        isinstance(node.value, (int, float)) and node.value == 0


def number_sign(left: ast.expr, right: ast.expr, variables: set[str]) -> float | None:
    """For ``left op right``: +1 where its dual is per unit more of the number as written,
    -1 where it is per unit less, None where there is no one number to price.

    - A side without variables is the number (``x + y <= 100``, ``x + 5 <= 10``: 100 and 10;
      ``x <= cap - used``: the side as a whole), +1; but where it is a written 0 and the
      other side adds or subtracts one number, that number is (``x - 5 >= 0``: 5, +1;
      ``5 - x <= 0``: 5, -1), and with several there, or one inside a term with variables
      (``2*(x - 5) >= 0``), none (``x - 5 + a >= 0``).
    - With variables on both sides, the one number written in the comparison, by its sign
      (``x <= y + 5``: +1; ``x - 5 <= y``, ``x - gap[i] <= y``: -1, whatever the values of
      ``gap``, as the solvers read the side from the text too); none with no number (``y <=
      2*x``), or with several (``x + 2 <= y + 5``: 2 or 5?), one inside a term with
      variables among them (``2*(x + 1) - 5 <= y``: 1 or 5?).
    """
    on_left, on_right = mentions_variable(left, variables), mentions_variable(right, variables)
    if not on_left and not on_right:
        return None
    if not (on_left and on_right):
        free, other = (right, left) if on_left else (left, right)
        if not _is_zero(free):
            return 1.0
        written = numbers(other, variables)
        if _hides_any(other, variables):
            return None
        if not written:
            return 1.0
        return -written[0][0] if len(written) == 1 else None
    written = [*numbers(left, variables), *numbers(right, variables)]
    if len(written) != 1 or _hides_any(left, variables) or _hides_any(right, variables):
        return None
    return written[0][0]  # the solvers' number is the side it is written on
