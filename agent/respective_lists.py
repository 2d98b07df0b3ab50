"""Lists of names paired with lists of numbers, and one bound the model pooled over them.

"Two warehouses, North and South, hold 70 and 50 units": the text gives each name its own
number, in order. A small model often writes one constraint over every shipment instead
(``north_to_a + ... + south_to_c <= 100``, a number the text never states) and leaves 70 and
50 unused. When the constraint's variables fall apart by name into exactly the listed groups,
the correction is exact: one constraint per name with its own number.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.bare_bounds import name_words
from optiform.agent.bound_targets import sum_terms
from optiform.agent.check_model import close, formulation_numbers
from optiform.agent.comparison import comparisons, constant
from optiform.solvers.formulation import Formulation

_NAME = r"[A-Za-z][\w-]*"
_LAST_AND = re.compile(rf"({_NAME}),?\s+and\s+({_NAME})\b")
_LISTED_BEFORE = re.compile(rf"({_NAME}),\s*$")
_NUM = r"\$?\d+(?:,\d{3})*(?:\.\d+)?"
_NUMBERS = re.compile(rf"(?<![\w.]){_NUM}(?:,\s+{_NUM})*,?\s+and\s+{_NUM}(?![\w.])")
_SPLIT = re.compile(r",?\s+and\s+|,\s+")  # "1,000" stays one number
_NOT_NAMES = {"the", "of", "to", "from", "in", "on", "at", "for", "and", "or",
              "units", "unit", "each", "per", "is", "are", "be", "hold", "holds", "need",
              "needs", "costs", "cost", "has", "have", "with", "by", "it", "its"}


@dataclass(frozen=True)
class Respective:
    names: list[str]
    values: list[float]
    sentence: str


@dataclass(frozen=True)
class PooledBound:
    name: str  # the constraint that pools every group under one number
    split: dict[str, str]  # constraint name -> one group's own bound
    respective: Respective


def respective_lists(text: str) -> list[Respective]:
    """Each list of numbers with the list of as many names that comes before it in its
    sentence ('North and South, hold 70 and 50'; 'A, B and C, need 30, 40 and 35')."""
    out = []
    for sentence in textcues.sentences(text):
        for nums in _NUMBERS.finditer(sentence):
            values = [float(v.replace("$", "").replace(",", ""))
                      for v in _SPLIT.split(nums.group(0)) if v.strip()]
            for names in reversed(_name_lists(sentence[:nums.start()])):
                names = names[-len(values):]
                if len(names) == len(values) and not any(n.lower() in _NOT_NAMES
                                                         for n in names):
                    out.append(Respective(names, values, sentence))
                    break
    return out


def _name_lists(text: str) -> list[list[str]]:
    """Every 'X, Y and Z' in ``text``, as far back as its commas reach."""
    out = []
    for m in _LAST_AND.finditer(text):
        names, head = [m.group(1), m.group(2)], text[:m.start(1)]
        while (prev := _LISTED_BEFORE.search(head)) is not None:
            names.insert(0, prev.group(1))
            head = head[:prev.start(1)]
        out.append(names)
    return out


def pooled_bounds(text: str, f: Formulation) -> list[PooledBound]:
    """Constraints that bound all the variables of the listed names (and no other) by one
    number the text never states (or by the listed numbers' total), while the listed numbers
    themselves are unused: split into one constraint per name."""
    lists = respective_lists(text)
    if not lists:
        return []
    stated = [n.value for n in textcues.numbers_in_text(text)]
    used = formulation_numbers(f)
    variables = {v.name for v in f.variables if not v.index}
    words = {v: set(name_words(v)) for v in variables}
    taken = {c.name for c in f.constraints}
    out = []
    for c, parts in comparisons(f):
        left, op, right = parts
        bound, terms = constant(right), sum_terms(left, variables)
        if bound is None or not terms:
            continue
        for listed in lists:
            if any(any(close(x, u) for u in used) for x in listed.values):
                continue
            if any(close(bound, x) for x in stated) and \
                    not close(bound, sum(listed.values)):
                continue
            owners = [[i for i, name in enumerate(listed.names) if name.lower() in words[v]]
                      for _, v, _ in terms]
            if any(len(o) != 1 for o in owners):
                continue  # every term belongs to exactly one listed name
            named = {v for v in variables if any(n.lower() in words[v] for n in listed.names)}
            if named != {v for _, v, _ in terms}:
                continue  # and the bound pools every variable of the listed names
            groups = [[ast.unparse(node) for (_, _, node), o in zip(terms, owners, strict=True)
                       if o[0] == i] for i in range(len(listed.names))]
            if any(not g for g in groups):
                continue
            split, n = {}, 1
            for group, value in zip(groups, listed.values, strict=True):
                key = c.name if n == 1 else f"{c.name}_{n}"
                while n > 1 and key in taken:
                    n += 1
                    key = f"{c.name}_{n}"
                split[key] = f"{' + '.join(group)} {op} {value:g}"
                n += 1
            taken |= set(split)
            out.append(PooledBound(c.name, split, listed))
            break
    return out
