"""What a problem text says about a plan over several periods (months, weeks): how many
periods and of what kind, whether stock carries over and what holding it costs, what else it
says of the stock (a starting or closing amount, a limit, a shelf life, backorders), its
demand numbers, and whether a number is stated per period ("120 chairs a month"). Pure
functions over strings, read by agent/period_plans.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from optiform.agent import textcues

_WORDS = textcues.NUMBER_WORDS
_COUNT = r"(?P<n>[2-9]|[1-9]\d|" + "|".join(_WORDS) + ")"
_UNIT = r"(?P<unit>month|week|quarter|period|day|year|season|shift)"
_ANY_UNIT = r"(?:month|week|quarter|period|day|year|season|shift)"
# the phrases that plan over several periods, each with the count (where it gives one)
_PLANS = [re.compile(p, re.I) for p in (
    rf"\b(?:next|following|coming|upcoming|over|for|during|of)\s+(?:the\s+)?(?:next\s+)?"
    rf"{_COUNT}\s+{_UNIT}s\b",                                   # the next 4 months
    rf"\b{_COUNT}[- ]{_UNIT}\b",                                 # a 4-month plan
    rf"\b{_UNIT}s\s+(?:1|one)\s*(?:to|through|-|–|and)\s*{_COUNT}\b",  # months 1 to 4
    rf"\b(?:each|every)\s+of\s+the\s+(?:next\s+)?(?:{_COUNT}\s+)?{_UNIT}s\b")]
_NUMBERED = re.compile(r"\b(?P<unit>month|week|quarter|period|day|year)\s+(?P<n>\d{1,2})\b",
                       re.I)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
# capitalised only: 'may' is a verb far more often than a month
_MONTH_NAME = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b")
_MONTH_RANGE = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s*(?:to|through|until|-|–)\s*("
                          + "|".join(_MONTHS) + r")\b")


@dataclass(frozen=True)
class Periods:
    """The periods a text plans over. count and unit are None where the text does not say
    them, or says two that disagree; count_starts are where the text writes the count."""
    count: int | None
    unit: str | None
    count_starts: frozenset[int]


def _number(word: str) -> int:
    return _WORDS[word.lower()] if word.lower() in _WORDS else int(word)


def plan_periods(text: str) -> Periods | None:
    """The periods the text plans over (the next 4 months, months 1 to 4, a 3-week plan,
    month 1 .. month 3, January to March); None where it plans no more than one."""
    counts: set[int] = set()
    units: set[str] = set()
    starts: set[int] = set()
    for pattern in _PLANS:
        for m in pattern.finditer(text):
            units.add(m.group("unit").lower())
            if m.group("n"):
                counts.add(_number(m.group("n")))
                starts.add(m.start("n"))
    least: set[int] = set()  # counts the text implies at least: month 3 is one of 3 or more
    numbered: dict[str, set[int]] = {}
    for m in _NUMBERED.finditer(text):
        numbered.setdefault(m.group("unit").lower(), set()).add(int(m.group("n")))
    for unit, ks in numbered.items():
        if len(ks) >= 2:
            units.add(unit)
            least.add(max(ks))
    names = {m.group(1) for m in _MONTH_NAME.finditer(text)}
    if len(names) >= 2:
        units.add("month")
        ranges = {_MONTHS.index(m.group(2)) - _MONTHS.index(m.group(1)) + 1
                  for m in _MONTH_RANGE.finditer(text)}
        least.add(max(ranges | {len(names)}))
    if not units:
        return None
    if not counts:
        counts = least if len(least) == 1 else set()
    count = next(iter(counts)) if len(counts) == 1 else None
    if count is not None and any(k > count for k in least):
        count = None
    return Periods(count, next(iter(units)) if len(units) == 1 else None, frozenset(starts))


_CARRY = re.compile(
    r"\binventor(?:y|ies)\b"
    r"|\b(?:holding|storage|carrying|storing|inventory)\s+(?:cost|costs|charge|fee)s?\b"
    r"|\bcarr(?:y|ies|ied)\s+(?:\w+\s+){0,3}?over\b|\bcarry-?over\b"
    r"|\b(?:kept|keep|held|hold|stored|store|saved|left)\s+(?:\w+\s+){0,4}?"
    r"(?:in\s+(?:stock|storage|inventory|a\s+warehouse|the\s+warehouse)"
    r"|for\s+(?:later|future|the\s+next|the\s+following|a\s+later|subsequent|use\s+in)"
    r"|until\s+(?:a\s+)?(?:later|next|the\s+next|the\s+following)"
    r"|to\s+(?:the\s+)?(?:next|following|later))"
    r"|\bin\s+stock\s+(?:for|until)\s+(?:a\s+)?(?:later|future|the\s+next|the\s+following)"
    r"|\b(?:holding|storing|keeping)\s+(?:a|an|one|each|every|any)\s+\w+"
    r"|\bto\s+(?:hold|store|keep)\s+(?:a|an|one|each|every|any)\s+\w+\s+(?:\w+\s+){0,3}?for\b"
    # 'unsold chairs are stored at a cost of $3 each per month': a charge per period held
    rf"|\b(?:stored|kept|held)\s+(?:\S+\s+){{0,3}}?at\s+(?:a\s+)?(?:cost|charge|price)\b"
    rf"(?:\s+\S+){{0,6}}?\s+(?:per|a|each|every)\s+{_ANY_UNIT}\b")
_NEGATED = re.compile(
    r"\b(?:cannot|can't|can not|could not|may not|must not|should not|will not|won't|not be|"
    r"never|nor)\b|\bnot\s+(?:be\s+)?(?:kept|carried|held|stored|saved)\b"
    r"|\bno\s+(?:\w+\s+){0,2}?(?:is|are|can|may|will|gets?)\s+(?:be\s+)?"
    r"(?:kept|carried|held|stored|saved)\b")


def carries_over(text: str) -> bool:
    """Stock may be kept for later periods: kept or stored for later, inventory, a holding
    or storage cost, carried over; not in a sentence that says it may not ('cannot be kept
    for later months', 'no stock is carried over')."""
    return any(_CARRY.search(s) and not _NEGATED.search(s)
               for s in (s.lower() for s in _sentences(text)))


def _sentences(text: str) -> list[str]:
    return [" ".join(s.split()) for s in re.split(r"(?<=[.;!?])\s+", text) if s.strip()]


_PERIOD_NUMBER = re.compile(rf"\b\d{{1,2}}[- ]?{_ANY_UNIT}s?\b|\b{_ANY_UNIT}s?\s+\d{{1,2}}\b"
                            rf"|\b{_ANY_UNIT}s\s+\d{{1,2}}\s*(?:to|through|-|–|and)\s*\d{{1,2}}\b",
                            re.I)


def _amounts(sentence: str) -> set[float]:
    """The sentence's numbers that are not periods (month 3, 2 months, months 1 to 4)."""
    spans = [m.span() for m in _PERIOD_NUMBER.finditer(sentence)]
    return {n.value for n in textcues.numbers_in_text(sentence)
            if not any(a <= n.start < b for a, b in spans)}


_STOCKISH = re.compile(r"\b(?:stock|inventor(?:y|ies)|storage|stored|storing|warehouse|kept|"
                       r"keep|keeping|held|hold|holding|carr(?:y|ies|ied|ying)|left over|"
                       r"leftover|unsold)\b")
_MONEY = re.compile(r"[$€£]|\b(?:costs?|costing|charged?|fees?|dollars?|euros?|pounds?|pay|"
                    r"paid|expense)\b")


def holding_cost(text: str) -> float | None:
    """The cost of holding one unit for one period: the one amount of the sentences that
    let stock carry over or price holding it; 0.0 where they name no cost. None where it is
    not clear: two amounts, a percentage, an amount without a cost word or a cost without
    an amount."""
    found: set[float] = set()
    for sentence in _sentences(text):
        low = sentence.lower()
        money = _MONEY.search(low) is not None
        if not (_CARRY.search(low) or (money and _STOCKISH.search(low))):
            continue
        amounts = _amounts(sentence)
        if "%" in sentence or "percent" in low or money != bool(amounts):
            return None
        found |= amounts
    if len(found) > 1:
        return None
    return found.pop() if found else 0.0


_START = re.compile(r"\b(?:initial(?:ly)?|start(?:s|ing)?|beginning|opening|currently|"
                    r"already|on hand)\b")
_CLOSE = re.compile(r"\b(?:end|ending|final|last|closing|remain(?:s|ing)?)\b")
_STOCK_WORD = re.compile(r"\b(?:stock|inventor(?:y|ies)|storage|warehouse|stored|kept|held|"
                         r"carried|left over)\b")
_BOUNDED = re.compile(r"\b(?:at most|at least|up to|more than|longer than|no less than|"
                      r"maximum|minimum|capacity|limit|limited|exceed|fewer than|less than|"
                      r"only|safety)\b")
_SHELF = re.compile(rf"\b(?:shelf[- ]life|spoils?|perish(?:es|able)?|expires?|go(?:es)? bad)\b"
                    rf"|\bwithin\s+(?:\d+|one|two|three|a|an)\s+{_ANY_UNIT}s?\b")
_SHORT = re.compile(r"\b(?:backlog(?:s|ged)?|back-?orders?|back-?ordered|shortages?|short|"
                    r"unmet|unfilled|unsatisfied|not (?:be )?met|need not|lost sales?|late|"
                    r"delay(?:ed)?|postponed?|penalty)\b")


def stock_caveats(text: str) -> list[str]:
    """What the text says of the stock beyond a balance with stock >= 0 from none at the
    start: each a phrase for a message ('a starting stock', 'a limit on the stock')."""
    out: list[str] = []
    for sentence in _sentences(text):
        low = sentence.lower()
        stock = _STOCK_WORD.search(low) is not None
        amount = any(a != 0 for a in _amounts(sentence)) and not _MONEY.search(low)
        alone = amount and (stock or not _DEMAND.search(low))  # 'starts with 30 chairs'
        for found, caveat in (
                (alone and _START.search(low), "a starting stock"),
                (alone and _CLOSE.search(low), "a stock to hold at the end"),
                (stock and _BOUNDED.search(low), "a limit on the stock"),
                (_SHELF.search(low), "a shelf life"),
                (_SHORT.search(low), "demand that may be left unmet or met late")):
            if found and caveat not in out:
                out.append(caveat)
    return out


_DEMAND = re.compile(r"\b(?:demands?|orders?|ordered|needs?|needed|requires?|required|"
                     r"requirements?|deliver(?:y|ies|ed)?|sells?|sold|sales?|customers?|"
                     r"must be met|supply|ship(?:ped|ments?)?|wants?|wanted)\b")


_NOUN_AFTER = re.compile(r"[\d.,]*\s*([a-z][a-z-]*)")
_NOT_NOUNS = textcues.wordset("and or in on for at by to of from each per a an the during over "
                              "every is are was were respectively")


def demands_stated(text: str, values: set[float]) -> bool:
    """Each value is a number of a sentence that speaks of demand (demand, orders, needed,
    sold), and the words right after them name one thing at most ('80, 110 and 150 chairs',
    not '100 laptops, 50 phones and 30 tablets', which are products' numbers)."""
    found: set[float] = set()
    nouns: set[str] = set()
    for sentence in _sentences(text):
        if not _DEMAND.search(sentence.lower()):
            continue
        for n in textcues.numbers_in_text(sentence):
            if n.value in values:
                found.add(n.value)
                m = _NOUN_AFTER.match(sentence[n.start:].lower())
                if m and m.group(1) not in _NOT_NOUNS:
                    nouns.add(textcues.stem(m.group(1)))
    return values <= found and len(nouns) <= 1


_KINDS = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|[2-9])\s+(?:different\s+)?"
    r"(?:kinds\s+of\s+|types\s+of\s+)?(?:products|items|types|kinds|models|goods|grades|"
    r"varieties|sizes|styles|parts|components|flavou?rs|brands)\b", re.I)
_KIND_LABEL = re.compile(r"\b(?i:product|item|type|model|grade|part|brand)\s+([1-9]|[A-E])\b")


def several_kinds(text: str) -> bool:
    """The text counts or numbers several products ('two products', 'product 1 .. product
    2'): then one variable per number may be one per product, not per period."""
    return _KINDS.search(text) is not None or \
        len({m.group(1) for m in _KIND_LABEL.finditer(text)}) >= 2


_PER = rf"(?:a|per|each|every|in\s+(?:a|any|each|every))\s+(?:single\s+)?{_UNIT}\b"
_GAP = r"(?:(?!(?:once|twice|thrice|times|and|or|but)\b)[a-z'-]+\s+){0,6}?"
_AFTER = re.compile(rf"\s*{_GAP}{_PER}")
_TOTAL = re.compile(r"\b(?:in\s+total|altogether|overall|combined)\b")
_ADJECTIVE = {"monthly": "month", "weekly": "week", "daily": "day", "quarterly": "quarter",
              "yearly": "year", "annual": "year", "annually": "year"}
_BEFORE = re.compile(r"\b(" + "|".join(_ADJECTIVE) + r")\s+(?:[a-z'-]+\s+){0,4}$")


def stated_per_period(text: str, bound: float, unit: str | None) -> bool:
    """The number is stated for one period of the plan's kind: 'at most 120 chairs a month',
    '120 per week', 'a monthly capacity of 120' (not '120 in total', nor 'twice a day',
    nor a week's number in a plan of months)."""
    low = " ".join(text.lower().split())
    for m in re.finditer(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", low):
        if abs(float(m.group(1)) - bound) > 1e-9:
            continue
        after = re.split(r"[.;:,]", low[m.end():m.end() + 80])[0]
        before = re.split(r"[.;:,]", low[max(0, m.start() - 60):m.start()])[-1]
        per = _AFTER.match(after)
        adjective = _BEFORE.search(before)
        said = per.group("unit") if per and not _TOTAL.search(after[per.end():]) else \
            _ADJECTIVE[adjective.group(1)] if adjective else None
        if said is not None and unit in (None, said):
            return True
    return False


_AT_PERIOD = re.compile(rf"\s*(?:[a-z]+\s+){{0,2}}?(?:in|for|during|of)\s+(?:the\s+)?"
                        rf"(?P<unit>{_ANY_UNIT})\s+(?P<k>\d{{1,2}})\b", re.I)


_LIMIT = re.compile(r"\b(?:at most|up to|no more than|not more than|maximum|capacity|"
                    r"can (?:make|produce|build|process|ship|store|hold))\b", re.I)


def period_demands(text: str, count: int) -> list[float] | None:
    """Each period's demand, in period order, where the text pairs one number with each of
    periods 1 .. count in sentences that speak of demand ('a demand of 100 units in month 1,
    150 in month 2 and 120 in month 3'); None where a period has none or two, or a number is
    money, or a sentence that speaks of a limit ('to meet demand it can make at most 130 units
    in month 1, 140 in month 2': capacities)."""
    found: dict[int, set[float]] = {}
    for sentence in _sentences(text):
        if not _DEMAND.search(sentence.lower()) or _LIMIT.search(sentence):
            continue
        for n in textcues.numbers_in_text(sentence):
            m = _AT_PERIOD.match(sentence, n.stop)
            if m is None or n.percent or any(sign in n.text for sign in "$€£"):
                continue
            found.setdefault(int(m.group("k")), set()).add(n.value)
    if sorted(found) != list(range(1, count + 1)) or any(len(v) != 1 for v in found.values()):
        return None
    return [next(iter(found[k])) for k in range(1, count + 1)]
