"""Which number, as the user wrote it, a comparison's dual prices, and with which sign.

A dual is per unit added to the side the solvers take as the constraint's number
(``solvers.linear._orient``, ``pyomo_backend._dual_signs``): the side without variables, else
the side with a number added to its variables (the right one when both or neither have one;
a side has one where its value is not 0 at some row). Per unit of a number written on a side
with variables the price is the dual, or the dual with its sign turned where the number is
subtracted there, or stands on the other side: for ``x - 5 <= y`` the solvers' number is the
-5 added to ``x``, and one more unit of the 5 written is one less of it.
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


def numbers(side: ast.expr, variables: set[str]) -> list[tuple[float, ast.expr]]:
    """The terms of ``side`` without variables (``100``, ``cap[i]``, ``sum(d[j] for j in J)``),
    each with the sign it is written with."""
    return [(s, term) for s, term in signed_terms(side)
            if not mentions_variable(term, variables)]


def _hides_number(term: ast.expr, variables: set[str]) -> bool:
    """Whether a term with variables adds a number inside it (``2*(x + 1)``, ``sum(x[i] +
    c[i] for i in I)``), which the solvers count as its side's number. A coefficient
    (``(1 + r)*x``), a subscript (``x[t - 1]``) and a generator's sets and conditions add
    none."""
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


def _value(node: ast.expr, known: dict[str, float]) -> float | None:
    """A number's value where the text says it: a literal, or a scalar parameter given
    its value; None for any other (a table's, an indexed one's, an expression's)."""
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool) and \
            isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        return known.get(node.id)
    return None


def number_sign(left: ast.expr, right: ast.expr, variables: set[str],
                known: dict[str, float]) -> float | None:
    """For ``left op right``: +1 where its dual is per unit more of the number as written,
    -1 where it is per unit less, None where there is no one number to price.

    - A side without variables is the number (``x + y <= 100``, ``x + 5 <= 10``: 100 and 10;
      ``x <= cap - used``: the side as a whole), +1; but where it is a written 0 and the
      other side adds or subtracts one number, that number is (``x - 5 >= 0``: 5, +1;
      ``5 - x <= 0``: 5, -1), and with several there, or one inside a term with variables
      (``2*(x - 5) >= 0``), none (``x - 5 + a >= 0``).
    - With variables on both sides, the one number written in the comparison, by its sign
      (``x <= y + 5``: +1; ``x - 5 <= y``: -1); none with no number (``y <= 2*x``), or with
      several (``x + 2 <= y + 5``: 2 or 5?), or with one on the left whose value the text
      does not give (the solvers take the left side as the number only where it is not 0, so
      the sign rests on the data: ``x - margin[i] <= y[i]``), or with a number added inside a
      term with variables (``2*(x + 1) - 2 <= y``), which moves the solvers' side too.

    ``known``: the values of the scalar parameters that the formulation gives.
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
    left_numbers, right_numbers = numbers(left, variables), numbers(right, variables)
    if len(left_numbers) + len(right_numbers) != 1 or _hides_any(left, variables) or \
            _hides_any(right, variables):
        return None
    if right_numbers:
        return right_numbers[0][0]
    sign, term = left_numbers[0]
    value = _value(term, known)
    if value is None:
        return None
    return sign if value != 0 else -sign  # a 0 on the left: the solvers' number is the right
