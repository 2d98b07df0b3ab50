"""Plans over several periods (months, weeks): stock that carries over, and a capacity per
period. A small model writes each period on its own: for "chairs made in a month can be kept
in stock for later months" the embedded 1.5B model wrote ``chairs3 == 150`` for a month whose
demand is 150 and charged the holding cost on what is made, and for "at most 120 chairs a
month" it wrote one limit on the four months together. Both make the plan infeasible or
wrong, and production is never moved to a cheaper month.

``carried_stock`` reads the text for several periods (the next 4 months, months 1 to 4, two
or more month names, or a set of the model named for periods) and for stock that carries
over (kept, held or stored for later, inventory, a holding or storage cost, carried over),
then looks for what links the periods in the model: a variable named for stock (stock,
inventory, storage, carry, left over, ...) or an index that steps back or forward
(``[t-1]``). Where there is neither, it warns with the balance to write in the model's own
names. Where the model is one variable per period (chairs1 .. chairs4) and each is held to
one number (its demand), and the text gives no starting stock, the balance is sure and is
applied: stock variables, and each demand line becomes that period's balance; where the
holding cost goes in the objective is left to the repair.

``period_pools`` finds one limit over every period's variable (``chairs1 + ... + chairs4 <=
120``) where the text states that number per period ("120 chairs a month") and splits it into
one limit per period.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.bound_targets import sum_terms
from optiform.agent.check_model import Check
from optiform.agent.comparison import comparison, constant
from optiform.solvers.formulation import Formulation

_PERIOD = r"(?:months|weeks|quarters|periods|days|years|seasons|shifts)"
_COUNT = r"(?:[2-9]|[1-9]\d|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_SEVERAL = re.compile(
    rf"\b(?:next|following|coming|upcoming|over|for|during|of)\s+(?:the\s+)?(?:next\s+)?"
    rf"{_COUNT}\s+{_PERIOD}\b"
    rf"|\b{_COUNT}[- ](?:month|week|quarter|period|day|year|season)\b"
    r"|\b(?:months|weeks|quarters|periods|days|years)\s+(?:1|one)\s*(?:to|through|-|–|and)\s*"
    r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
    r"|\b(?:each|every)\s+of\s+the\s+(?:next\s+)?" + _COUNT + r"?\s*" + _PERIOD + r"\b")
_NUMBERED = re.compile(r"\b(month|week|quarter|period|day|year)\s+(\d{1,2})\b")
_MONTH_NAMES = re.compile(r"\b(january|february|march|april|may|june|july|august|september|"
                          r"october|november|december)\b")
_CARRY = re.compile(
    r"\binventor(?:y|ies)\b"
    r"|\b(?:holding|storage|carrying|storing|inventory)\s+(?:cost|costs|charge|fee)s?\b"
    r"|\bcarr(?:y|ies|ied)\s+(?:\w+\s+){0,3}?over\b|\bcarry-?over\b"
    r"|\b(?:kept|keep|held|hold|stored|store|saved|left)\s+(?:\w+\s+){0,4}?"
    r"(?:in\s+(?:stock|storage|inventory|a\s+warehouse|the\s+warehouse)"
    r"|for\s+(?:later|future|the\s+next|the\s+following|a\s+later|subsequent|use\s+in)"
    r"|until\s+(?:a\s+)?(?:later|next|the\s+next|the\s+following)"
    r"|to\s+(?:the\s+)?(?:next|following|later))"
    r"|\bin\s+stock\s+(?:for|until)\s+(?:a\s+)?(?:later|future|the\s+next|the\s+following)")
# the model's own words for what carries over, in a variable's name
_STOCK_NAME = re.compile(r"stock|inv|storage|stor(?:e|ed)|carr|held|hold|left|leftover|surplus|"
                         r"excess|backlog|keep|kept|remain|balance|end(?:ing)?_|_end|begin|"
                         r"opening|closing|carry")
# an index that steps: x[t-1], x[t + 1], x[m - 1, p]
_STEP = re.compile(r"\[[^\]]*\b[A-Za-z_]\w*\s*[-+]\s*\d+[^\]]*\]")
_PERIOD_SET = re.compile(r"^(?:t|T|months?|Months?|weeks?|Weeks?|periods?|Periods?|quarters?|"
                         r"Quarters?|days?|Days?|years?|Years?|time|Time|horizon|Horizon)$")


def _several_periods(low: str, f: Formulation) -> bool:
    if _SEVERAL.search(low):
        return True
    if len({m.group(2) for m in _NUMBERED.finditer(low)}) >= 2:
        return True
    if len(set(_MONTH_NAMES.findall(low))) >= 2:
        return True
    return any(_PERIOD_SET.match(s.name) and len(s.elements) >= 2 for s in f.sets)


_COUNTS_PERIODS = re.compile(rf"^\s*{_PERIOD}\b|^\s*-(?:month|week|quarter|period|day|year)\b")
_LAST_PERIOD = re.compile(r"\b(?:months|weeks|quarters|periods|days|years)\s+(?:1|one)\s*"
                          r"(?:to|through|-|–|and)\s*$")


def counts_the_periods(text: str, start: int, end: int, value: float, f: Formulation) -> bool:
    """'over the next 4 months', 'months 1 to 4': a number that counts the periods, used by a
    model with that many periods (chairs1 .. chairs4, or a set of 4 elements)."""
    if value != int(value) or value < 2:
        return False
    low = text.lower()
    if not (_COUNTS_PERIODS.match(low[end:end + 12]) or _LAST_PERIOD.search(low[:start])):
        return False
    family = _family(f)
    sizes = {len(s.elements) for s in f.sets} | ({len(family[1])} if family else set())
    return int(value) in sizes


def _linked(f: Formulation) -> bool:
    if any(_STOCK_NAME.search(v.name.lower()) for v in f.variables):
        return True
    texts = [f.objective.expression, *(c.expression for c in f.constraints),
             *(c.for_each or "" for c in f.constraints)]
    return any(_STEP.search(t) for t in texts)


_FAMILY = re.compile(r"^(?P<base>[A-Za-z_]\w*?)_?(?P<k>\d{1,2})$")
_BOUND = re.compile(r"^\s*(?P<name>\w+)\s*(?:>=|==)\s*(?P<num>\d+(?:\.\d+)?)\s*$"
                    r"|^\s*(?P<num2>\d+(?:\.\d+)?)\s*(?:<=|==)\s*(?P<name2>\w+)\s*$")
_DEMAND_PARAM = re.compile(r"demand|require|need|order|sale|deliver", re.I)


def _family(f: Formulation) -> tuple[str, list[str]] | None:
    """Scalar variables of one base numbered by period (chairs1 .. chairs4), in order."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for v in f.variables:
        m = _FAMILY.match(v.name)
        if m and not v.index:
            groups.setdefault(m.group("base"), []).append((int(m.group("k")), v.name))
    if not groups:
        return None
    base, members = max(groups.items(), key=lambda kv: len(kv[1]))
    if len(members) < 2:
        return None
    return base, [name for _, name in sorted(members)]


def _demands(f: Formulation, names: list[str]) -> dict[str, tuple[str, str]]:
    """The constraint and number each period's variable is held to (chairs3 >= 150,
    chairs3 == 150), when it is held to one."""
    out: dict[str, tuple[str, str]] = {}
    seen: dict[str, int] = {}
    for c in f.constraints:
        m = _BOUND.match(c.expression)
        if m and not c.for_each:
            name, num = m.group("name") or m.group("name2"), m.group("num") or m.group("num2")
            if name in names:
                seen[name] = seen.get(name, 0) + 1
                out.setdefault(name, (c.name, num))
    return {n: found for n, found in out.items() if seen[n] == 1}


_START_STOCK = re.compile(r"\b(?:initial(?:ly)?|start(?:s|ing)?|beginning|opening|currently|"
                          r"already|on hand)\b")


def _start_stock_given(text: str) -> bool:
    """A sentence on the stock at the start that holds a number other than 0."""
    for sentence in re.split(r"(?<=[.;!?])\s+", text):
        low = sentence.lower()
        if _START_STOCK.search(low) and re.search(r"\b(?:stock|inventory|inventories)\b", low) \
                and re.search(r"(?<![\w.])(?:[1-9]\d*(?:\.\d+)?|0\.\d*[1-9]\d*)\b", low):
            return True
    return False


@dataclass(frozen=True)
class _Balance:
    message: str
    fix: dict[str, dict[str, str]] | None


def _scalar_balance(text: str, f: Formulation, base: str, names: list[str]) -> _Balance:
    demands = _demands(f, names)
    taken = {v.name for v in f.variables} | {c.name for c in f.constraints}
    stock = next(n for n in ("stock", "left", "stock_left", "carried") if not any(
        f"{n}{k}" in taken for k in range(1, len(names) + 1)))
    rows, previous = [], None
    for k, name in enumerate(names, 1):
        need = demands[name][1] if name in demands else f"(the demand of period {k})"
        left = f"{stock}{k}"
        rows.append(f"{left} == {name} - {need}" if previous is None
                    else f"{left} == {previous} + {name} - {need}")
        previous = left
    replaced = ("These replace " + ", ".join(
        f"{demands[n][0]} ({n} >= {demands[n][1]})" for n in names if n in demands)
        if demands else "These replace the demand constraint of each period")
    message = (f"Add variables {stock}1 .. {stock}{len(names)} (>= 0, what is left at the end "
               f"of each period) and balance each period: " + "; ".join(rows) + " (for the "
               f"first period, add the starting stock if the text gives one). {replaced}; keep "
               f"the capacity limit on each of {names[0]} .. {names[-1]}, and charge the "
               f"holding cost on {stock}1 .. {stock}{len(names)}, not on what is made.")
    fix: dict[str, dict[str, str]] | None = None
    if len(demands) == len(names) and len({c for c, _ in demands.values()}) == len(names) \
            and not _start_stock_given(text):
        domain = next(v.domain for v in f.variables if v.name == names[0])
        fix = {"constraints": {demands[n][0]: row for n, row in zip(names, rows, strict=True)},
               "variables": {f"{stock}{k}": domain for k in range(1, len(names) + 1)}}
        objective = _holding_objective(text, f, names, [f"{stock}{k}"
                                                        for k in range(1, len(names) + 1)])
        if objective is not None:
            fix["objective"] = {"expression": objective}
    return _Balance(message, fix)


def _holding_cost(text: str) -> float | None:
    """The one number of the sentence that lets stock carry over (at 3 dollars per chair
    per month), when it has one."""
    for sentence in re.split(r"(?<=[.;!?])\s+", text):
        low = " ".join(sentence.lower().split())
        if _CARRY.search(low):
            found = {float(n.value) for n in textcues.numbers_in_text(sentence)}
            if len(found) == 1:
                return found.pop()
    return None


def _holding_objective(text: str, f: Formulation, made: list[str],
                       stock: list[str]) -> str | None:
    """The objective with the holding cost on the stock: moved from what is made (3*chairs1
    .. 3*chairs4 besides the cost of making them) or, where the objective leaves it out,
    added. None where the objective is not a plain sum of terms or the cost is unclear."""
    h = _holding_cost(text)
    if h is None or f.objective.sense != "minimize":
        return None
    try:
        tree = ast.parse(f.objective.expression, mode="eval")
    except SyntaxError:
        return None
    terms = sum_terms(tree.body, {v.name for v in f.variables})
    if terms is None:
        return None
    held = [(k, v, node) for k, v, node in terms if v in made and abs(k - h) < 1e-9]
    if sorted(v for _, v, _ in held) == sorted(made) and all(
            sum(1 for _, v, _ in terms if v == name) >= 2 for name in made):
        rename = dict(zip(made, stock, strict=True))
        for _, v, node in held:
            for leaf in ast.walk(node):
                if isinstance(leaf, ast.Name) and leaf.id == v:
                    leaf.id = rename[v]
        return ast.unparse(tree.body)
    if not any(abs(k - h) < 1e-9 for k, _, _ in terms):
        return f.objective.expression + "".join(f" + {h:g}*{s}" for s in stock)
    return None


def _string_periods(f: Formulation) -> str | None:
    for s in f.sets:
        if _PERIOD_SET.match(s.name) and s.elements and not all(
                isinstance(e, int) for e in s.elements):
            return s.name
    return None


def _indexed_balance(f: Formulation) -> str:
    made = next((v for v in f.variables if len(v.index) == 1), None)
    period = made.index[0] if made else "T"
    name = made.name if made else "make"
    demand = next((p.name for p in f.parameters
                   if p.index == [period] and _DEMAND_PARAM.search(p.name)), "demand")
    t = "t" if name != "t" and demand != "t" else "p"
    text = (f"Add a variable stock[{period}] (>= 0, what is left at the end of each period) and "
            f"balance each period: stock[{t}] == stock[{t}-1] + {name}[{t}] - {demand}[{t}] "
            f"for_each \"{t} in {period} if {t} >= 2\", and stock[1] == {name}[1] - "
            f"{demand}[1] plus the starting stock if the text gives one. This balance replaces "
            f"{name}[{t}] >= {demand}[{t}]; keep the capacity limit on {name}, and charge the "
            f"holding cost on stock, not on {name}.")
    named = _string_periods(f)
    if named is not None:
        text += (f" The periods of set {named} are names, so {t}-1 has no meaning there: number "
                 f"them 1, 2, ... in order and key the data by those numbers.")
    return text


def carried_stock(text: str, f: Formulation) -> list[Check]:
    low = " ".join(text.lower().split())
    if not _CARRY.search(low) or not _several_periods(low, f) or _linked(f):
        return []
    family = _family(f)
    balance = _scalar_balance(text, f, *family) if family else _Balance(_indexed_balance(f),
                                                                          None)
    message = ("The text plans several periods and lets stock carry over to later ones, but "
               "nothing in the model holds that stock, so each period must cover its own "
               "demand and nothing made early can be used later. " + balance.message)
    return [Check(code="carried_stock", severity="warning", where="constraints",
                  message=message, fix=balance.fix)]


_PER_PERIOD = (r"(?:a|per|each|every|in\s+(?:a|any|each|every))\s+(?:single\s+)?"
               r"(?:month|week|day|quarter|year|period|shift|season)\b")
_MONTHLY = r"\b(?:monthly|weekly|daily|quarterly|yearly|annual)\b"


def _stated_per_period(low: str, bound: float) -> bool:
    """'at most 120 chairs a month', 'a monthly capacity of 120', '120 per week'."""
    for m in re.finditer(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", low):
        if abs(float(m.group(1)) - bound) > 1e-9:
            continue
        after = low[m.end():m.end() + 60]
        before = low[max(0, m.start() - 60):m.start()]
        per = re.match(rf"[^.;:]*?\b{_PER_PERIOD}", after) and not re.match(
            r"[^.;:]*?\b(?:in\s+total|altogether|overall|combined)\b", after)
        if per or re.search(rf"{_MONTHLY}[^.;:]*$", before):
            return True
    return False


def period_pools(text: str, f: Formulation) -> list[Check]:
    low = " ".join(text.lower().split())
    family = _family(f)
    if family is None or not _several_periods(low, f):
        return []
    names = family[1]
    out: list[Check] = []
    done: dict[tuple[float, float], Check] = {}
    for c in f.constraints:
        parts = None if c.for_each else comparison(c.expression)
        if parts is None or parts[1] != "<=":
            continue
        bound = constant(parts[2])
        terms = sum_terms(parts[0], set(names))
        if bound is None or not terms or sorted(v for _, v, _ in terms) != sorted(names) or \
                len({k for k, _, _ in terms}) != 1 or not _stated_per_period(low, bound):
            continue
        k = terms[0][0]
        if (k, bound) in done:  # the same limit written again: dropped with the first
            first_check = done[(k, bound)]
            assert first_check.fix is not None
            first_check.fix["drop"][c.name] = ""
            first_check.names.append(c.name)
            continue
        coef = "" if k == 1 else f"{k:g}*"
        taken = {x.name for x in f.constraints}
        split = {}
        for i, name in enumerate(names, 1):
            new = f"{c.name}_{i}"
            while new in taken:
                new += "_"
            split[new] = f"{coef}{name} <= {bound:g}"
        first = next(iter(split))
        done[(k, bound)] = Check(
            code="period_pool", severity="warning", where=f"constraint '{c.name}'",
            names=[c.name], fix={"constraints": split, "drop": {c.name: ""}},
            message=(f"Constraint '{c.name}' limits all periods together to {bound:g}, but the "
                     f"text states {bound:g} for each period: one limit per period, "
                     f"{'; '.join(split.values())} (e.g. {first})."))
        out.append(done[(k, bound)])
    return out
