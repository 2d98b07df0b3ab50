"""A total the text states once, asked of every element of a set: 'ship at least 260 units
in total' written as ``units[p] >= demand`` for each plant (``per_item_total``). The
correction, one constraint over the sum, is exact where the text leaves no doubt; the check
carries it as a fix.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.bound_cues import bound_of, scalar_values, sentence_at
from optiform.agent.bound_targets import SHARED_WORDS
from optiform.agent.comparison import comparison, constant
from optiform.solvers.formulation import Formulation

_TOTAL_WORDS = re.compile(r"\b(?:total|totals|in all|altogether|combined|overall)\b")


@dataclass(frozen=True)
class PerItemTotal:
    name: str  # the constraint that asks each element for the whole number
    merged_name: str  # the one constraint over the sum that replaces it
    merged: str
    value: float
    sentence: str


def _item_term(node: ast.AST, loop: str, variables: set[str]) -> bool:
    """'x[p]', 'k*x[p]' or 'a[p]*x[p]': one element's own amount, p the loop variable."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Name) and node.value.id in variables and \
            isinstance(node.slice, ast.Name) and node.slice.id == loop
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            scale = constant(a) is not None or (
                isinstance(a, ast.Subscript) and isinstance(a.slice, ast.Name)
                and a.slice.id == loop)
            if scale and _item_term(b, loop, variables):
                return True
    return False


def per_item_totals(text: str, f: Formulation) -> list[PerItemTotal]:
    """'Ship at least 260 units in total' written as 'units[p] >= demand' for each plant:
    a number the text states once, as a total, asked of every element of a set. The
    constraint is one, over the sum, with the model's direction and number. Only when the
    number's sentence says total (in all, altogether, combined, overall) and no 'each',
    'per' or 'respectively' comes before the number in it."""
    variables = {v.name for v in f.variables if v.index}
    scalars = scalar_values(f)
    sizes = {s.name: len(s.elements) for s in f.sets}
    numbers = [n for n in textcues.numbers_in_text(text) if not n.percent]
    out = []
    for c in f.constraints:
        head = re.fullmatch(r"\s*([A-Za-z_]\w*)\s+in\s+([A-Za-z_]\w*)\s*", c.for_each or "")
        parts = comparison(c.expression)
        bound = bound_of(c.expression, scalars)
        if head is None or parts is None or bound is None or sizes.get(head[2], 0) < 2:
            continue
        loop, over = head[1], head[2]
        left, op, right = parts
        side, limit = (left, right) if bound[0] == op else (right, left)
        if not _item_term(side, loop, variables):
            continue
        stated = [n for n in numbers if n.value == bound[1]]
        if len(stated) != 1:
            continue
        sentence = sentence_at(text, stated[0].start)
        before = text[max(text.rfind(". ", 0, stated[0].start), 0):stated[0].start].lower()
        if not _TOTAL_WORDS.search(sentence.lower()) or SHARED_WORDS.search(before):
            continue
        merged = f"sum({ast.unparse(side)} for {loop} in {over}) {bound[0]} {ast.unparse(limit)}"
        out.append(PerItemTotal(c.name, f"{c.name}_total", merged, bound[1], sentence))
    return out
