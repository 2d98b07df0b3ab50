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
from optiform.agent.bound_cues import bound_of, scalar_values, sentence_at, sentence_start
from optiform.agent.bound_targets import SHARED_WORDS
from optiform.agent.comparison import comparison, constant
from optiform.solvers.formulation import Formulation, SetDef

_TOTAL_WORDS = re.compile(r"\b(?:total|totals|in all|altogether|combined|overall)\b")
# before the number: one element, whichever ('in any month', 'a single supplier')
_ANY_ONE = re.compile(r"\b(?:any|single|individual|a given)\b")
_ONE_OF = r"\b(?:a|an|any|one|no|each|every|per|single|individual|given)\s+(?:[\w-]+\s+){0,2}?"


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


def _names_one_element(sentence: str, s: SetDef) -> bool:
    """Whether ``sentence`` speaks of one element of ``s`` ('a truck's load', 'in any month',
    'no machine' for a set 'trucks', 'months', 'machines'): then its total is each one's."""
    nouns = {textcues.stem(w) for w in textcues.words(f"{s.name} {s.description}")
             if len(w) > 2}
    if not nouns:
        return False
    alternatives = "|".join(sorted(map(re.escape, nouns)))
    return re.search(rf"{_ONE_OF}(?:{alternatives})(?:'s|s|es)?\b", sentence.lower()) is not None


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``, ... where the model has a constraint of that name
    (a fix naming one the model has would rewrite it)."""
    n, out = 1, name
    while out in taken:
        n += 1
        out = f"{name}_{n}"
    return out


def per_item_totals(text: str, f: Formulation) -> list[PerItemTotal]:
    """'Ship at least 260 units in total' written as 'units[p] >= demand' for each plant:
    a number the text states once, as a total, asked of every element of a set. The
    constraint is one, over the sum, with the model's direction and number. Only when the
    number's sentence says total (in all, altogether, combined, overall), no 'each', 'per',
    'respectively', 'any' or 'single' comes before the number in it, and it does not speak
    of one element of the set ('the total weight of a truck's load', 'no machine')."""
    variables = {v.name for v in f.variables if v.index}
    scalars = scalar_values(f)
    sets = {s.name: s for s in f.sets}
    taken = {c.name for c in f.constraints}
    numbers = [n for n in textcues.numbers_in_text(text) if not n.percent]
    out = []
    for c in f.constraints:
        head = re.fullmatch(r"\s*([A-Za-z_]\w*)\s+in\s+([A-Za-z_]\w*)\s*", c.for_each or "")
        parts = comparison(c.expression)
        bound = bound_of(c.expression, scalars)
        if head is None or parts is None or bound is None or \
                len(sets[head[2]].elements if head[2] in sets else ()) < 2:
            continue
        loop, over = head[1], head[2]
        left, op, right = parts
        side, limit = (left, right) if bound[0] == op else (right, left)
        if not _item_term(side, loop, variables):
            continue
        stated = [n for n in numbers if n.value == bound[1]]
        if len(stated) != 1:
            continue
        start = stated[0].start
        sentence = sentence_at(text, start)
        before = text[sentence_start(text, start):start].lower()
        if not _TOTAL_WORDS.search(sentence.lower()) or SHARED_WORDS.search(before) or \
                _ANY_ONE.search(before) or _names_one_element(sentence, sets[over]):
            continue
        merged = f"sum({ast.unparse(side)} for {loop} in {over}) {bound[0]} {ast.unparse(limit)}"
        merged_name = _free_name(f"{c.name}_total", taken)
        taken.add(merged_name)
        out.append(PerItemTotal(c.name, merged_name, merged, bound[1], sentence))
    return out
