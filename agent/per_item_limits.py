"""A bound the text gives each element alone, written over the sum (``per_item_limit``): "at
most 3 servings of any single food" came back from the embedded 1.5B model as
``sum(food[f] for f in food_set) <= food_limit``, with no ``for_each``: three servings in all
cannot give the 1800 calories the menu needs, and the model was infeasible. The text asks for
``food[f] <= food_limit`` for each food. This is the reverse of ``per_item_total`` (a total
asked of every element, agent/item_totals.py).

The check reads a constraint without a ``for_each`` that is ``sum(x[i] for i in S) <= b`` (or
``>=``, either side first): one variable x indexed by S alone, coefficient 1, no condition in
the loop, S with two elements or more (or read from a table), and b a number or a scalar
parameter holding one. It fires only where every sentence of the text that states b as a
bound in that direction ('at most 3', 'no food may have more than 3') gives it to one element
of S ('of any single food', 'for each food', 'per food', 'no food', 'any one of them'), and
no sentence that states b speaks of a total ('in total', 'in all', 'altogether', 'combined',
'overall', 'together', 'sum'). Then the correction is sure, and the check carries it as a
fix: the constraint becomes ``x[i] <= b`` for each i in S, with b written as in the model.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.bare_bounds import GENERIC
from optiform.agent.bound_cues import (
    bound_of,
    cue_before,
    scalar_values,
    sentence_at,
    sentence_start,
)
from optiform.agent.check_model import Check, close
from optiform.agent.comparison import comparison, constant, summed
from optiform.agent.share_check import linear_expression
from optiform.solvers.formulation import Formulation, SetDef, VarDef

# a sentence that speaks of a total of several elements: the sum is meant
_TOTAL = re.compile(r"\b(?:totals?|in all|altogether|all together|together|combined|overall|"
                    r"sum|aggregate|cumulative)\b")
# where a clause ends inside a sentence ('at most 3 servings; each food costs $3')
_CLAUSE_END = re.compile(r";|,\s+(?:and|but|or|while|whereas)\b|\b(?:while|whereas)\b")
# after the number, a comma or a subordinating word starts another clause too: 'at most 10
# trucks, each truck carrying 5 tons' and 'at most 10 trucks as each needs a driver' bound the
# trucks of every route together
_AFTER_END = re.compile(r",|\b(?:as|because|since|so|which|who|whose|where|when)\b")
# one element, whichever: 'any single food', 'each food', 'per food', 'no food', 'every
# kind of food' (the noun is checked against the set's words)
_ONE = re.compile(
    r"\b(?:any|each|every|per|single|individual|no)\s+"
    r"(?:(?:single|individual|one|particular|given|specific|separate|kind of|type of|"
    r"sort of|variety of)\s+){0,2}([a-z][a-z-]*)")
# one element named by a pronoun: 'any one', 'each of them', 'any of the foods'
_ONE_OF = re.compile(r"\b(?:any|each|every)\s+(?:single\s+|individual\s+)?one\b|"
                     r"\b(?:any|each|every|none)\s+(?:single\s+)?(?:one\s+)?of\s+"
                     r"(?:them|these|those|the\s+([a-z][a-z-]*))\b")
# a limit by negation: 'no food may be served more than 3 times'
_NEGATION = re.compile(r"\b(?:no|not|never|none|cannot|can't)\b")
_MORE_THAN = re.compile(r"\b(?:more|greater|larger|higher|over)(?: than)?\s*$|\bexceed\s*$")
_LESS_THAN = re.compile(r"\b(?:less|fewer|lower|under)(?: than)?\s*$")
# words of a name that say nothing about what an element is
_NOT_NOUNS = GENERIC | textcues.UNIT_WORDS | textcues.wordset(
    "set sets index indices list var variable variables value values level levels serving "
    "servings per each all")


@dataclass(frozen=True)
class PerItemLimit:
    name: str  # the constraint that bounds the sum
    expression: str  # the bound on one element: 'food[f] <= food_limit'
    for_each: str  # 'f in food_set'
    written: str  # the constraint as the model wrote it
    value: float
    sentence: str


def _summed(node: ast.AST, variables: dict[str, VarDef]) -> tuple[str, str, str] | None:
    """(x, i, S) for 'sum(x[i] for i in S)' or 'sum(1*x[i] for i in S)' where x is indexed by
    S alone; None for any other shape."""
    gen = summed(node)
    if gen is None or len(gen.generators) != 1:
        return None
    loop = gen.generators[0]
    if loop.ifs or loop.is_async or not isinstance(loop.target, ast.Name) or \
            not isinstance(loop.iter, ast.Name):
        return None
    term = gen.elt
    if isinstance(term, ast.BinOp) and isinstance(term.op, ast.Mult):
        if constant(term.left) == 1.0:
            term = term.right
        elif constant(term.right) == 1.0:
            term = term.left
    if not (isinstance(term, ast.Subscript) and isinstance(term.value, ast.Name)
            and isinstance(term.slice, ast.Name) and term.slice.id == loop.target.id):
        return None
    x = variables.get(term.value.id)
    if x is None or x.index != [loop.iter.id]:
        return None
    return x.name, loop.target.id, loop.iter.id


def _several(s: SetDef | None) -> bool:
    """Whether the set has two elements or more, or is read from a table."""
    return s is not None and (len(s.elements) >= 2 or s.source is not None)


def _nouns(s: SetDef, x: VarDef) -> set[str]:
    """What an element is called, as singulars: the words of the set's name and description
    ('food' for food_set), less generic and unit words; only where the set's own words are
    none ('F', 'items'), the variable's ('food'). 'Each truck' does not name one route of
    ``trucks[r]`` over ``routes``: the trucks are what the sum counts."""
    def words(*texts: str) -> set[str]:
        return {textcues.stem(w) for text in texts for w in textcues.words(text)
                if len(w) > 2 and w not in _NOT_NOUNS}

    return words(s.name, s.description) or words(x.name, x.description)


def _clause(text: str, n: textcues.TextNumber) -> str:
    """The clause holding number ``n``: its sentence, cut at ';', ', and', ', but', 'while',
    and after the number also at a comma or a subordinating word ('as', 'which')."""
    sentence = sentence_at(text, n.start)
    offset = text.find(sentence, sentence_start(text, n.start))
    at = n.start - offset if offset >= 0 else 0
    stop = at + n.stop - n.start
    left, right = 0, len(sentence)
    for m in _CLAUSE_END.finditer(sentence):
        if m.end() <= at:
            left = m.end()
        elif m.start() >= at:
            right = m.start()
            break
    after = _AFTER_END.search(sentence, stop, right)
    return sentence[left:after.start() if after else right]


def _gives_each(clause: str, nouns: set[str]) -> bool:
    """Whether the clause speaks of one element, whichever ('of any single food')."""
    low = clause.lower()
    named = [m[1] for m in _ONE.finditer(low)
             if m[1] not in ("more", "less", "fewer", "greater", "larger")]
    named += [m[1] for m in _ONE_OF.finditer(low)]
    return any(w is None or textcues.stem(w) in nouns for w in named)


def _direction(text: str, start: int) -> str | None:
    """'<=' or '>=' as the words before the number in its clause state it, or None."""
    cue = cue_before(text, start)
    if cue is not None:
        return cue.direction
    head = text[sentence_start(text, start):start].lower()
    head = _CLAUSE_END.split(head)[-1]
    if _NEGATION.search(head):
        if _MORE_THAN.search(head):
            return "<="
        if _LESS_THAN.search(head):
            return ">="
    return None


def _per_element(text: str, value: float, op: str, nouns: set[str]) -> str | None:
    """The sentence that gives ``value`` to each element alone as a bound in direction
    ``op``, where every sentence stating it as such a bound does and none stating it speaks
    of a total; else None."""
    stated = [n for n in textcues.numbers_in_text(text)
              if not n.percent and close(n.value, value)]
    if any(_TOTAL.search(sentence_at(text, n.start).lower()) for n in stated):
        return None
    bounds = [n for n in stated if _direction(text, n.start) == op]
    if not bounds or not all(_gives_each(_clause(text, n), nouns) for n in bounds):
        return None
    return sentence_at(text, bounds[0].start)


def per_item_limits(text: str, f: Formulation) -> list[PerItemLimit]:
    """'At most 3 servings of any single food' written as 'sum(food[f] for f in food_set) <=
    food_limit': a bound of each element written over the sum (see the module's docstring)."""
    variables = {v.name: v for v in f.variables if len(v.index) == 1}
    sets = {s.name: s for s in f.sets}
    scalars = scalar_values(f)
    out = []
    for c in f.constraints:
        parts = comparison(c.expression)
        bound = bound_of(c.expression, scalars)
        if c.for_each or parts is None or bound is None:
            continue
        left, op, right = parts
        side, limit = (left, right) if bound[0] == op else (right, left)
        found = _summed(side, variables)
        if found is None or not _several(sets.get(found[2])):
            continue
        x, i, over = found
        sentence = _per_element(text, bound[1], bound[0],
                                _nouns(sets[over], variables[x]))
        if sentence is None:
            continue
        out.append(PerItemLimit(c.name, f"{x}[{i}] {bound[0]} {ast.unparse(limit)}",
                                f"{i} in {over}", c.expression, bound[1], sentence))
    return out


def per_item_limit(text: str, f: Formulation) -> list[Check]:
    """The checks of :func:`per_item_limits`, each with its fix: the constraint's new
    expression and its ``for_each``."""
    return [Check(code="per_item_limit", severity="warning", where=f"constraint '{p.name}'",
                  names=[p.name],
                  fix={"constraints": {p.name: p.expression}, "for_each": {p.name: p.for_each}},
                  message=(f"Constraint '{p.name}' bounds the sum, {p.written}, but the text "
                           f"gives {p.value:g} to each element alone (\"{p.sentence[:120]}\"): "
                           f"that is {p.expression} for each {p.for_each}."))
            for p in per_item_limits(text, f)] + scalar_item_limits(text, f)


# one of several decisions, whichever, where no set names them: 'any single asset', 'any
# one of them' ('per day' and 'each week' speak of time, not of one decision)
_ANY_SINGLE = re.compile(r"\b(?:any|each|every|no)\s+(?:single|individual|one|particular)\b|"
                         r"\b(?:any|each|none)\s+of\s+(?:them|these|those)\b")


def _plain_sum(node: ast.AST, scalars: set[str]) -> list[str] | None:
    """The decisions of 'A + B + C' (each once, coefficient 1, two or more), else None."""
    form = linear_expression(ast.unparse(node))
    if form is None or form.get("", 0.0) or len(form) < 2 or \
            not all(k in scalars and close(v, 1.0) for k, v in form.items()):
        return None
    return list(form)


def _stated_as(text: str, value: float) -> list[textcues.TextNumber]:
    """The numbers of the text that state ``value``: as written, or as a percentage of a
    number the text states ('30%' of '$1,000,000' for 300000)."""
    numbers = textcues.numbers_in_text(text)
    wholes = [n.value for n in numbers if not n.percent]
    return [n for n in numbers
            if (not n.percent and close(n.value, value))
            or (n.percent and any(close(n.value / 100 * w, value) for w in wholes))]


def scalar_item_limits(text: str, f: Formulation) -> list[Check]:
    """'No more than 30% of the money may go into any single asset' written over the sum of
    the scalar decisions, ``A + B + C + D <= 0.3*1000000``: every sentence that states the
    number (or the percentage of a stated number it is) as a bound in that direction gives
    it to one element ('any single', 'any one', 'each of them') and none speaks of a total. The fix
    bounds each decision alone, with the bound written as in the model."""
    scalars = {v.name for v in f.variables if not v.index}
    taken = {c.name for c in f.constraints}
    out = []
    for c in f.constraints:
        parts = comparison(c.expression)
        if c.for_each or parts is None:
            continue
        left, op, right = parts
        decisions = _plain_sum(left, scalars)
        limit = linear_expression(ast.unparse(right))
        if decisions is None or op == "==" or limit is None or set(limit) != {""}:
            continue
        stated = _stated_as(text, limit[""])
        if any(_TOTAL.search(sentence_at(text, n.start).lower()) for n in stated):
            continue
        bounds = [n for n in stated if _direction(text, n.start) == op]
        if not bounds or not all(_ANY_SINGLE.search(_clause(text, n).lower()) for n in bounds):
            continue
        bound = ast.unparse(right)
        fix = {c.name: f"{decisions[0]} {op} {bound}"}
        for x in decisions[1:]:
            name = f"{c.name}_{x}"
            while name in taken:
                name += "_"
            taken.add(name)
            fix[name] = f"{x} {op} {bound}"
        said = sentence_at(text, bounds[0].start)[:120]
        out.append(Check(
            code="per_item_limit", severity="warning", where=f"constraint '{c.name}'",
            names=[c.name], fix={"constraints": fix},
            message=(f"Constraint '{c.name}' bounds the sum, {c.expression}, but the text "
                     f"gives that bound to each one alone (\"{said}\"): "
                     f"{'; '.join(fix.values())}.")))
    return out
