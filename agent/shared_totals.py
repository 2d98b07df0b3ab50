"""'A farmer has 100 acres to plant with wheat and corn' written as ``wheat <= 100``: a number
the text states once, for several decisions together, bounds one of them alone. The embedded
1.5B model wrote that for a farm of wheat and corn and answered 120 acres of corn on a farm of
100.

The check looks for a constraint that bounds one variable (coefficient 1) by a number the
text states once, the only number of its sentence, in a sentence that names that variable
and at least one other side by side ("wheat and corn", "wheat, corn or barley") and names
the variable nowhere else ("between wheat and corn, wheat can take at most 60 acres": the 60
is the wheat's), where the words right after the number do not give it to the one variable
("100 acres of wheat and ..."), where the names do not open a clause of their own ("at most
70 acres can be wheat and corn must ..."), with no "each", "per" or "respectively" in the
sentence, where the number's unit is not spent at rates elsewhere ("a loaf uses 1 kg of
flour"), and where no constraint of the model already bounds those variables together by
it. The bound then belongs to their sum: ``wheat + corn <= 100``, applied by autofix.
"""

from __future__ import annotations

import re

from optiform.agent import textcues
from optiform.agent.bare_bounds import GENERIC, name_words
from optiform.agent.bound_targets import bounds_alone, single_term, sum_terms
from optiform.agent.check_model import Check, close
from optiform.agent.comparison import FLIP, comparisons, constant
from optiform.solvers.formulation import Formulation

_PER_ITEM = re.compile(r"\b(?:each|per|respectively|every|apiece|individually|either)\b")
_JOIN = re.compile(r"^(?:\s*,\s*|\s+(?:and|or|and/or)\s+|\s*,\s*(?:and|or)\s+)$")
_WORD = re.compile(r"[a-z]+")


def _words(v: str) -> list[str]:
    """A variable's own words, as singulars (acres_wheat -> wheat; generic words left out)."""
    return [textcues.stem(w) for w in name_words(v) if w not in GENERIC and not w.isdigit()]


def _mentions(sentence: str, variables: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, variable) of each word of the sentence that is a variable's own word."""
    out = []
    for m in _WORD.finditer(sentence):
        hits = [v for v in variables if textcues.stem(m.group(0)) in _words(v)]
        if len(hits) == 1:
            out.append((m.start(), m.end(), hits[0]))
    return out


def _coordinated(sentence: str, mentions: list[tuple[int, int, str]],
                 x: str) -> list[tuple[int, int, str]]:
    """The mentions named side by side with x ('wheat and corn', 'wheat, corn or barley'),
    x's among them, in the order of the sentence."""
    run: list[tuple[int, int, str]] = []
    for i, (_, _, v) in enumerate(mentions):
        if v == x:
            lo = hi = i
            while lo > 0 and _JOIN.match(sentence[mentions[lo - 1][1]:mentions[lo][0]]):
                lo -= 1
            while hi + 1 < len(mentions) and \
                    _JOIN.match(sentence[mentions[hi][1]:mentions[hi + 1][0]]):
                hi += 1
            group = mentions[lo:hi + 1]
            if len({m[2] for m in group}) > len({m[2] for m in run}):
                run = group
    return run


# a verb right after the names: they are the subject of a clause of their own ('at most 70
# acres can be wheat and corn must be ...'), not what the number is for
_VERB = textcues.wordset(
    "is are was were be must can cannot could should may might will would shall need needs has "
    "have sell sells cost costs take takes require requires use uses earn earns make makes "
    "give gives yield yields produce produces bring brings get gets")


def _clause_after(sentence: str, end: int, group: list[tuple[int, int, str]]) -> bool:
    """The number comes before the names, other words between them, and a verb right
    after the names: they open a clause of their own. Named right after the number ('12
    vans and buses may be rented') they are what it counts."""
    if end > group[0][0] or not sentence[end:group[0][0]].strip():
        return False
    nxt = _WORD.search(sentence, group[-1][1])
    return nxt is not None and nxt.group(0) in _VERB


def _given_to(sentence: str, at: int, x: str, variables: list[str]) -> bool:
    """The words right after the number name x and no other: '100 acres of wheat'. The
    first name must start within 40 characters of the number; what joins it to the next is
    read past them ('60 workers to assign to the assembly and packing lines')."""
    after = sentence[at:]
    found = _mentions(after, variables)
    if not found or found[0][0] > 40 or found[0][2] != x:
        return False
    tail = after[found[0][1]:]
    nxt = _mentions(tail, variables)
    return not (nxt and _JOIN.match(tail[:nxt[0][0]]))


_RATE = re.compile(r"\b(?:each|per|requires?|required|needs?|needed|uses?|used|takes?|"
                   r"consumes?|contains?|costs?|yields?|produces?)\b")
_FILLER = textcues.wordset("of a an the square cubic")


def _unit(text: str, end: int) -> str | None:
    """The noun after a number: '100 acres to plant' -> 'acre', '500 units of steel' ->
    'unit'."""
    for w in _WORD.findall(text[end:end + 30].lower()):
        if w not in _FILLER:
            return textcues.stem(w)
    return None


_STOPS = (". ", "? ", "! ", "; ", "\n")


def _sentence_span(text: str, at: int) -> tuple[int, int]:
    """Where the sentence around position at begins and ends."""
    begin = max(text.rfind(p, 0, at) for p in _STOPS) + 1
    ends = [i for i in (text.find(p, at) for p in _STOPS) if i >= 0]
    return begin, min(ends) if ends else len(text)


def _used_at_rates(text: str, unit: str, numbers: list[textcues.TextNumber]) -> bool:
    """The unit is spent at rates elsewhere ('a chair uses 2 units of steel'): the total
    is a resource the decisions use in amounts of their own, not their plain sum."""
    for n in numbers:
        if _unit(text, n.end) != unit:
            continue
        begin, end = _sentence_span(text, n.start)
        if _RATE.search(text[begin:end].lower()):
            return True
    return False


def _together(sentence: str, at: int, end: int, x: str, variables: list[str]) -> list[str]:
    """The variables the number at sentence[at:end] is stated for together with x, or []
    where it may be x's alone: x named again on its own ('between wheat and corn, wheat can
    take at most 60 acres'), a name twice in the run, the words after the number giving it
    to x, or the names opening a clause of their own."""
    mentions = _mentions(sentence, variables)
    group = _coordinated(sentence, mentions, x)
    together = list(dict.fromkeys(v for _, _, v in group))
    if len(together) < 2 or len(together) < len(group) or \
            any(m[2] == x and m not in group for m in mentions) or \
            _given_to(sentence, end, x, variables) or _clause_after(sentence, end, group):
        return []
    return together


def _bounded_together(f: Formulation, names: set[str], bound: float) -> bool:
    for _, parts in comparisons(f):
        for side, other in ((parts[0], parts[2]), (parts[2], parts[0])):
            terms = sum_terms(side, names | {v.name for v in f.variables})
            value = constant(other)
            if terms and value is not None and close(value, bound) and \
                    names <= {v for _, v, _ in terms} and len(terms) >= 2:
                return True
    return False


def shared_totals(text: str, f: Formulation) -> list[Check]:
    variables = [v.name for v in f.variables if not v.index]
    if len(variables) < 2:
        return []
    numbers_all = textcues.numbers_in_text(text)
    numbers = [n for n in numbers_all if not n.percent]
    out = []
    for c, parts in comparisons(f):
        left, op, right = parts
        if constant(left) is not None:
            left, op, right = right, FLIP[op], left
        term, bound = single_term(left, set(variables)), constant(right)
        if term is None or bound is None or term[0] != 1:
            continue
        x = term[1]
        hits = [n for n in numbers if close(n.value, bound)]
        if len(hits) != 1:
            continue
        number = hits[0]
        begin, end = _sentence_span(text, number.start)
        sentence = text[begin:end].lower()
        if _PER_ITEM.search(sentence):
            continue
        if sum(begin <= n.start < end for n in numbers_all) > 1:
            continue  # 'at most 40 trucks and vans, with at most 25 trucks'
        together = _together(sentence, number.start - begin, number.end - begin, x, variables)
        if not together:
            continue
        unit = _unit(text, number.end)
        if _bounded_together(f, set(together), bound) or unit is None or \
                _used_at_rates(text, unit, [n for n in numbers if n is not number]):
            continue
        total = " + ".join(v for v in variables if v in together)
        new = f"{total} {op} {bound:g}"
        out.append(Check(
            code="shared_total", severity="warning", where=f"constraint '{c.name}'",
            names=[c.name], fix={"constraints": {c.name: new}},
            message=(f"Constraint '{c.name}' ({c.expression}) bounds {x} alone by {bound:g}, "
                     f"but the text states {bound:g} once for {', '.join(together)} together "
                     f"(\"{sentence.strip()[:120]}\"): {new}.")))
    return out


# the sentence gives the number as something to share out: 'has 500 acres for wheat, barley
# and oats', '500 acres are available for ...', 'to plant with'
_SHARED_OUT = re.compile(r"\b(?:has|have|owns?|available|to (?:plant|divide|split|share|"
                         r"allocate|spend|invest)|for)\b")
_NOT_A_LIMIT = re.compile(r"\b(?:at least|no less|not less|minimum|a min|exactly|must use "
                          r"all|all of|entire|whole)\b")
# a count of periods is a horizon, not something shared out ('a plan for the next 6 months
# of overtime and inventory')
_HORIZONS = textcues.wordset("month week year quarter period season term")
_RATE_BEFORE = re.compile(r"\b(?:uses?|using|requires?|needs?|takes?|consumes?|each|per)\s+"
                          r"(?:\w+\s+){0,2}$")


def _spent_before(text: str, unit: str, numbers: list[textcues.TextNumber]) -> bool:
    """Another number of the unit comes right after a rate word ('a chair uses 2 acres',
    'each plot needs 3 acres'): the unit is a resource spent at rates, not a plain sum."""
    return any(_unit(text, n.end) == unit and
               _RATE_BEFORE.search(text[max(0, n.start - 30):n.start].lower().lstrip("$"))
               for n in numbers)


def missing_totals(text: str, f: Formulation) -> list[Check]:
    """'A farmer has 500 acres for wheat, barley and oats' with no constraint on the land at
    all (the 1.5B model used 500 only in ``wheat <= 500/2``, "at most half of the land"): a
    number the text states once, the only one of its sentence, as something to share out
    among two or more decisions named side by side, in a unit no rate spends, that no
    constraint bounds their sum by, and that bounds none of them alone (``shared_totals``'
    case). The sum is then missing: ``wheat + barley + oats <= 500``, added by autofix."""
    variables = [v.name for v in f.variables if not v.index]
    if len(variables) < 2:
        return []
    numbers_all = textcues.numbers_in_text(text)
    numbers = [n for n in numbers_all if not n.percent]
    taken = {c.name for c in f.constraints}
    out = []
    for number in numbers:
        begin, end = _sentence_span(text, number.start)
        sentence = text[begin:end].lower()
        if _PER_ITEM.search(sentence) or not _SHARED_OUT.search(sentence) or \
                _NOT_A_LIMIT.search(sentence) or \
                sum(begin <= n.start < end for n in numbers_all) > 1:
            continue
        at, stop = number.start - begin, number.end - begin
        groups = [_together(sentence, at, stop, v, variables)
                  for v in dict.fromkeys(m[2] for m in _mentions(sentence, variables))]
        together = max(groups, key=len, default=[])
        unit = _unit(text, number.end)
        if len(together) < 2 or unit is None or unit in _HORIZONS or \
                _spent_before(text, unit, [n for n in numbers if n is not number]) or \
                _bounded_together(f, set(together), number.value) or \
                any(bounds_alone(f, v, number.value) for v in together):
            continue
        name, k = f"total_{unit}", 2
        while name in taken:
            name, k = f"total_{unit}_{k}", k + 1
        taken.add(name)
        new = f"{' + '.join(v for v in variables if v in together)} <= {number.value:g}"
        out.append(Check(
            code="missing_total", severity="warning", where=f"constraint '{name}'",
            names=[name], fix={"constraints": {name: new}},
            message=(f"The text states {number.value:g} {unit}s once for "
                     f"{', '.join(together)} together (\"{sentence.strip()[:120]}\"), but no "
                     f"constraint bounds their sum: {new}.")))
    return out
