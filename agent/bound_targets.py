"""Bounds the model put on the wrong terms, read against the text's numbers.

Slips of small models that leave a right-looking inequality: one total the text states
once ("1200 chickens must be moved") split into a bound per variable (``100*bus >= 1200``,
``40*car >= 1200``); a bound on one count ("at most 100 large bottles") put on something
else (``20*large_bottles <= 100``, or ``small + large <= 8`` for "8 large-truck trips"); and
a count bound left out, or with its number written as a coefficient (``20*color <= 35`` for
"at most 20 color printers"). The corrections are exact when the text leaves no doubt; the
checks carry them as fixes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.bound_cues import (
    bound_of,
    cue_before,
    sentence_at,
    sentence_start,
    value_cues,
)
from optiform.agent.comparison import comparison, comparisons, constant
from optiform.solvers.formulation import Formulation

SHARED_WORDS = re.compile(r"\b(?:each|every|per|apiece|respectively|both|either)\b")


@dataclass(frozen=True)
class SplitTotal:
    names: list[str]  # the constraints that each bound one variable by the one number
    merged: str  # the one constraint over their sum
    value: float
    sentence: str


def single_term(node: ast.AST, variables: set[str]) -> tuple[float, str] | None:
    """(k, x) for 'k*x', 'x*k' or 'x' with x a variable."""
    if isinstance(node, ast.Name) and node.id in variables:
        return 1.0, node.id
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            k = constant(a)
            if k is not None and isinstance(b, ast.Name) and b.id in variables:
                return k, b.id
    return None


def sum_terms(node: ast.AST, variables: set[str]) -> list[tuple[float, str, ast.AST]] | None:
    """The added terms of a sum of 'k*x' or 'x', each as (k, x, its node); None for any
    other shape."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = sum_terms(node.left, variables), sum_terms(node.right, variables)
        return None if left is None or right is None else left + right
    term = single_term(node, variables)
    return None if term is None else [(term[0], term[1], node)]


def split_totals(text: str, f: Formulation) -> list[SplitTotal]:
    """'A bus takes 100 chickens, a car 40; 1200 chickens must be moved' written as
    '100*bus >= 1200' and '40*car >= 1200': one total the text states once, split into a
    bound per variable. The constraint is one, over the sum; its direction is the text's cue
    for the number (else the model's, when its bounds agree). Only when the terms carry
    per-unit amounts (a coefficient other than 1) and the text states the number once, with
    no 'each', 'per' or 'respectively' before it in its sentence."""
    variables = {v.name for v in f.variables if not v.index}
    groups: dict[float, list[tuple[str, str, float, str]]] = {}
    combined: set[float] = set()
    for c in f.constraints:
        if c.for_each:
            continue
        bound = bound_of(c.expression)
        parts = comparison(c.expression)
        if bound is None or parts is None:
            continue
        op, value = bound
        side = parts[2] if constant(parts[0]) is not None else parts[0]
        term = single_term(side, variables)
        if term is None:
            combined.add(value)
            continue
        groups.setdefault(value, []).append((c.name, op, term[0], term[1]))
    numbers = textcues.numbers_in_text(text)
    cues = value_cues(text)
    out = []
    for value, members in groups.items():
        if value in (0.0, 1.0) or value in combined or len(members) < 2:
            continue
        if len({m[3] for m in members}) != len(members) or all(m[2] == 1.0 for m in members):
            continue
        stated = [n for n in numbers if not n.percent and n.value == value]
        if len(stated) != 1:
            continue
        start = stated[0].start
        if SHARED_WORDS.search(text[sentence_start(text, start):start].lower()):
            continue
        said = {cue.direction for cue in cues.get(value, [])}
        ops = {m[1] for m in members}
        direction = next(iter(said)) if len(said) == 1 else \
            (next(iter(ops)) if len(ops) == 1 and not said else None)
        if direction is None:
            continue
        total = " + ".join(f"{k:g}*{x}" if k != 1.0 else x for _, _, k, x in members)
        out.append(SplitTotal([m[0] for m in members], f"{total} {direction} {value:g}", value,
                              sentence_at(text, start)))
    return out


@dataclass(frozen=True)
class ScaledCount:
    name: str  # the constraint
    fixed: str  # 'bottles <= 100'
    sentence: str


def _unit_sum(node: ast.AST, variables: set[str]) -> list[str] | None:
    """The variables of 'a + b + c' (each with coefficient 1, two or more), else None."""
    names: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            stack += [n.right, n.left]
        elif isinstance(n, ast.Name) and n.id in variables:
            names.append(n.id)
        else:
            return None
    return names if len(set(names)) == len(names) >= 2 else None


def scaled_counts(text: str, f: Formulation) -> list[ScaledCount]:
    """A bound on one count that the model put on something else: 'at most 100 large
    bottles' written as '20*large_bottles <= 100' (multiplied by a per-unit amount), or 'at
    most 8 large-truck trips' as 'small_trucks + large_trucks <= 8' (on the sum of all
    kinds). The text states the number right before the count's own words; the bound is on
    that count alone: 'large_bottles <= 100', 'large_trucks <= 8'."""
    variables = {v.name for v in f.variables if not v.index}
    numbers = textcues.numbers_in_text(text)
    low = text.lower()
    out = []
    for c in f.constraints:
        if c.for_each:
            continue
        bound, parts = bound_of(c.expression), comparison(c.expression)
        if bound is None or parts is None:
            continue
        op, value = bound
        if value in (0.0, 1.0):
            continue
        side = parts[2] if constant(parts[0]) is not None else parts[0]
        term = single_term(side, variables)
        if term is not None and term[0] not in (0.0, 1.0):
            candidates = [term[1]]
        else:
            candidates = _unit_sum(side, variables) or []
        if not candidates:
            continue
        for n in numbers:
            if n.percent or n.value != value:
                continue
            named = named_after(low, n, candidates)
            if named is not None:
                out.append(ScaledCount(c.name, f"{named} {op} {_number(n)}",
                                       sentence_at(text, n.start)))
                break
    return out


def _number(n: textcues.TextNumber) -> str:
    return n.text.strip().replace(",", "")


# words that end the noun phrase after a number ('90 boxes if each truck carries...')
_CLAUSE_WORDS = textcues.wordset(
    "if each per every while when where that which who to for but so because since as with "
    "from into by")


# '300 units and Boston up to 250': after a unit, 'and' starts the next subject ('30 black
# and white printers' keeps it)
_UNIT_NOUNS = textcues.UNIT_WORDS | textcues.wordset("unit units item items piece pieces")


def _words_after(low: str, n: textcues.TextNumber) -> list[str]:
    """The words right after number ``n``, up to a comma, a stop or another number."""
    return textcues.words(re.split(r"[,.;:?!\d]", low[n.stop:], maxsplit=1)[0])


def named_after(low: str, n: textcues.TextNumber, candidates: list[str]) -> str | None:
    """The one candidate variable whose words (as singulars) all stand among the five words
    right after number ``n`` of the lower-cased text ('100 large pills' -> large_pill, '30
    black and white printers' -> black_and_white_printers), up to a comma, a stop, another
    number, a word that starts a clause ('if', 'each') or 'and' after a unit ('300 units and
    Boston'); None when none or several."""
    words = _words_after(low, n)[:5]
    clause = next((i for i, w in enumerate(words) if w in _CLAUSE_WORDS or
                   (w in ("and", "or") and i and words[i - 1] in _UNIT_NOUNS)), len(words))
    after = {textcues.stem(w) for w in words[:clause]}
    named = [x for x in candidates
             if (wanted := {textcues.stem(w) for w in textcues.words(x) if len(w) > 2})
             and wanted <= after]
    return named[0] if len(named) == 1 else None


@dataclass(frozen=True)
class MissingCount:
    name: str  # the new constraint, or the one it replaces
    expression: str  # 'large_pill >= 100'
    sentence: str
    replaces: bool = False  # the number stood as a coefficient in constraint ``name``


# phrases that make a number a bound on its own, whatever verb goes with it
_BOUND_PHRASE = re.compile(
    r"^(?:at least|at most|no (?:more|less|fewer) than|not (?:more|less|fewer) than|"
    r"a minimum of|minimum of|minimum|a maximum of|maximum of|maximum|up to|or more|or less|"
    r"or fewer)$")


def _as_coefficient(f: Formulation, variables: list[str], value: float) -> str | None:
    """The constraint that uses a count bound's number as the coefficient of the counted
    variables instead: '20*color <= 35' for "at most 20 color printers", '35*color +
    35*mono <= 35' for "at most 35 printers of either type" (every coefficient the number,
    and the number the constant too); None when there is none."""
    wanted = set(variables)
    for c, parts in comparisons(f):
        if parts[1] not in ("<=", ">=", "<", ">"):
            continue
        for side, other in ((parts[0], parts[2]), (parts[2], parts[0])):
            terms, bound = sum_terms(side, wanted), constant(other)
            if not terms or bound is None or {x for _, x, _ in terms} != wanted or \
                    len(terms) != len(wanted) or any(k != value for k, _, _ in terms):
                continue
            if len(terms) == 1 or bound == value:
                return c.name
    return None


def bounds_alone(f: Formulation, variable: str, value: float) -> bool:
    """Whether a constraint bounds ``variable`` alone by ``value`` ('x >= 5', '3*x <= 15',
    in either direction), or its declared bounds hold ``value``."""
    var = f.variable(variable)
    if var is not None and value in (var.lb, var.ub):
        return True
    for _, parts in comparisons(f):
        for side, other in ((parts[0], parts[2]), (parts[2], parts[0])):
            term, bound = single_term(side, {variable}), constant(other)
            if term is not None and bound is not None and term[0] != 0 and \
                    abs(bound / term[0] - value) <= 1e-9 * max(1.0, abs(value)):
                return True
    return False


# the words after the number make it a difference or a multiple, not a count
_NOT_A_COUNT = re.compile(r"^\s*(?:\S+\s+){0,2}?(?:more|less|fewer|than|times)\b")
# '40 units of sleep-inducing medicine': an amount of a thing, not a count of it
_AMOUNT_OF = re.compile(r"^\s*[a-z-]+\s+of\b")


def missing_counts(text: str, f: Formulation) -> list[MissingCount]:
    """Bounds on one count that the text states ("the lab has to make at least 100 large
    pills") and the model left out: a bound phrase right before the number, the words right
    after it name exactly one variable, and no constraint bounds that variable alone by that
    number (in either direction: a reversed one is ``bound_directions``' to fix)."""
    variables = [v.name for v in f.variables if not v.index]
    taken = {c.name for c in f.constraints}
    low = text.lower()
    out: list[MissingCount] = []
    for n in textcues.numbers_in_text(text):
        if n.percent or n.value in (0.0, 1.0):
            continue
        cue = cue_before(text, n.start)
        tail = low[n.stop:n.stop + 40]
        if cue is None or not _BOUND_PHRASE.match(cue.phrase) or _NOT_A_COUNT.match(tail):
            continue
        named = None if _AMOUNT_OF.match(tail) else named_after(low, n, variables)
        if named is None:
            shared = shared_noun_after(low, n, variables)
            misplaced = _as_coefficient(f, shared, n.value) if shared else None
            if misplaced:
                out.append(MissingCount(misplaced, f"{' + '.join(shared)} {cue.direction} "
                                        f"{_number(n)}", cue.sentence, replaces=True))
            continue
        if bounds_alone(f, named, n.value):
            continue
        expression = f"{named} {cue.direction} {_number(n)}"
        misplaced = _as_coefficient(f, [named], n.value)
        if misplaced:
            out.append(MissingCount(misplaced, expression, cue.sentence, replaces=True))
            continue
        name = f"{named}_{'min' if cue.direction == '>=' else 'max'}"
        while name in taken:
            name += "_"
        taken.add(name)
        out.append(MissingCount(name, expression, cue.sentence))
    return out


def shared_noun_after(low: str, n: textcues.TextNumber, candidates: list[str]) -> list[str]:
    """The candidates (two or more) whose names share the noun right after number ``n``
    ('35 printers of either type' -> color_printers, mono_printers); empty when the noun
    names fewer than two, or one of them exactly (that is ``named_after``'s)."""
    head = _words_after(low, n)[:1]
    if not head:
        return []
    noun = textcues.stem(head[0])
    members = [x for x in candidates
               if noun in {textcues.stem(w) for w in textcues.words(x)} and
               [textcues.stem(w) for w in textcues.words(x)] != [noun]]
    return members if len(members) >= 2 and len(members) == len(candidates) else []
