"""Plans over several periods (months, weeks): stock that carries over. A small model writes
each period on its own: for "chairs made in a month can be kept in stock for later months"
the embedded 1.5B model wrote ``chairs3 == 150`` for a month whose demand is 150 and charged
the holding cost on what is made. That makes the plan infeasible or wrong, and production is
never moved to a cheaper month.

``carried_stock`` reads the text for several periods and for stock that carries over
(agent/period_text.py), then looks for what links the periods in the model: a variable named
for stock (stock, inventory, storage, carry, left over, ...), an index that steps back or
forward (``[t-1]``), or a constraint over two periods' variables other than a limit on their
sum. Where there is none, it warns with the balance to write. The balance is in the model's
names where the model is one family of variables numbered by period (chairs1 .. chairs4), the
only one, as many as the text's periods, weighed evenly in every constraint, and the text
numbers no products; else in words. It is applied (autofix) only
where it is sure: the objective is minimized, each period's variable is held to one demand
number of the text, the text says nothing more of the stock (a starting or closing amount, a
limit, a shelf life, backorders), and the holding cost is clear (then moved from what is made
to the stock, or added).

The other half, a capacity per period written over all periods, is agent/period_pools.py.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.bound_targets import sum_terms
from optiform.agent.check_model import Check, numbered_names
from optiform.agent.collapsed_plans import collapsed_plan
from optiform.agent.comparison import comparison, comparisons, constant
from optiform.agent.period_text import (
    Periods,
    carries_over,
    demands_stated,
    holding_cost,
    period_demands,
    plan_periods,
    several_kinds,
    stock_caveats,
)
from optiform.solvers.formulation import Formulation

_PERIOD_SET = re.compile(r"^(?:t|T|months?|Months?|weeks?|Weeks?|periods?|Periods?|quarters?|"
                         r"Quarters?|days?|Days?|years?|Years?|time|Time|horizon|Horizon)$")
# the model's own words for what carries over, in a variable's name
_STOCK_NAME = re.compile(r"stock|inv(?!est|it|oic)|storage|stor(?:e|ed)|carr|held|hold|left|"
                         r"leftover|surplus|excess|backlog|keep|kept|remain|balance|end(?:ing)?_|_end|begin|"
                         r"opening|closing|carry")
# an index that steps: x[t-1], x[t + 1], x[m - 1, p]
_STEP = re.compile(r"\[[^\]]*\b[A-Za-z_]\w*\s*[-+]\s*\d+[^\]]*\]")
_FAMILY = re.compile(r"^(?P<base>[A-Za-z_]\w*?)_?(?P<k>\d{1,2})$")
_BOUND = re.compile(r"^\s*(?P<name>\w+)\s*(?:>=|==)\s*(?P<num>\d+(?:\.\d+)?)\s*$"
                    r"|^\s*(?P<num2>\d+(?:\.\d+)?)\s*(?:<=|==)\s*(?P<name2>\w+)\s*$")
# a family named for what is sold or delivered holds sales, not what is made
_SOLD = re.compile(r"sell|sale|sold|demand|deliver|ship", re.I)
_DEMAND_PARAM = re.compile(r"demand|require|need|order|sale|deliver", re.I)


def stock_named(name: str) -> bool:
    """Whether a variable's name is the model's word for stock that carries over."""
    return _STOCK_NAME.search(name.lower()) is not None


def _has_period_set(f: Formulation) -> bool:
    """The model has a set named for periods (T, months) of two or more."""
    return any(_PERIOD_SET.match(s.name) and len(s.elements) >= 2 for s in f.sets)


def period_families(f: Formulation) -> list[list[str]]:
    """Scalar variables of one base numbered 1 .. n or 0 .. n-1 without gaps (chairs1 ..
    chairs4), each family in order; not x11 .. x22, which number two things at once."""
    groups: dict[str, dict[int, str]] = {}
    for v in f.variables:
        m = _FAMILY.match(v.name)
        if m and not v.index:
            groups.setdefault(m.group("base"), {})[int(m.group("k"))] = v.name
    out = []
    for members in groups.values():
        ks = sorted(members)
        if len(ks) >= 2 and ks[0] in (0, 1) and ks == list(range(ks[0], ks[0] + len(ks))):
            out.append([members[k] for k in ks])
    return out


def period_count_starts(text: str, f: Formulation) -> frozenset[int]:
    """Where the text's numbers that count the plan's periods start ('over the next 4 months',
    'months 1 to 4'), each a count a model with that many uses (chairs1 .. chairs4, or a set
    of 4). The text is read once for all its numbers."""
    periods = plan_periods(text)
    if periods is None or not periods.count_starts:
        return frozenset()
    sizes = {len(s.elements) for s in f.sets} | {len(family) for family in period_families(f)}
    return frozenset(n.start for n in textcues.numbers_in_text(text)
                     if n.start in periods.count_starts and n.value in sizes)


def _links_periods(f: Formulation, skip: frozenset[str] = frozenset()) -> bool:
    """A constraint over the numbered variables of two periods (stock2 == stock1 + make2 -
    110, make1 + make2 >= 190), other than a limit on them ('make1 + make2 <= 120'); not one
    that uses a variable of ``skip``."""
    numbered = {v.name: m.group("k") for v in f.variables
                if not v.index and (m := _FAMILY.match(v.name))}
    for _, parts in comparisons(f):
        left, op, right = parts
        names = {n.id for side in (left, right) for n in ast.walk(side)
                 if isinstance(n, ast.Name)}
        periods = {numbered[n] for n in names if n in numbered}
        limit = (op == "<=" and constant(right) is not None) or \
            (op == ">=" and constant(left) is not None)
        if len(periods) >= 2 and not limit and not names & skip:
            return True
    return False


def _lone_stock(f: Formulation, periods: Periods | None) -> list[str]:
    """The scalar variables named for stock where they are fewer than a plan of the text's
    periods needs (one for the end of each period but the last): 'stock' alone for three
    months holds no month's stock. Empty where there are none, enough, an indexed one, one
    numbered for a period (stock1, stock2 hold a period's stock each, where the count read
    may be of something else: 'quarters 1 to 3 of a 12-month contract'), or the count of
    periods is not known."""
    stock = [v for v in f.variables if _STOCK_NAME.search(v.name.lower())]
    if not stock or periods is None or periods.count is None or \
            any(v.index or _FAMILY.match(v.name) for v in stock) or \
            len(stock) >= periods.count - 1:
        return []
    return [v.name for v in stock]


def _linked(f: Formulation, lone: list[str]) -> bool:
    """Something in the model links the periods: a variable named for stock (other than too
    few of them, ``lone``), an index that steps, or a constraint over two periods (other than
    one that uses the lone stock)."""
    if not lone and any(_STOCK_NAME.search(v.name.lower()) for v in f.variables):
        return True
    skip = frozenset(lone)
    texts = [f.objective.expression,
             *(c.expression for c in f.constraints if not _uses(c.expression, skip)),
             *(c.for_each or "" for c in f.constraints)]
    return any(_STEP.search(t) for t in texts) or _links_periods(f, skip)


def _uses(expression: str, names: frozenset[str]) -> bool:
    return any(re.search(rf"\b{re.escape(n)}\b", expression) for n in names)


@dataclass(frozen=True)
class _Demand:
    constraint: str
    expression: str
    number: str


def _bound_lines(f: Formulation, names: list[str]) -> dict[str, list[_Demand]]:
    """The lines that hold each period's variable to a positive number (chairs3 >= 150,
    chairs3 == 150)."""
    found: dict[str, list[_Demand]] = {}
    for c in f.constraints:
        m = None if c.for_each else _BOUND.match(c.expression)
        if m is None:
            continue
        name, number = m.group("name") or m.group("name2"), m.group("num") or m.group("num2")
        if name in names and float(number) > 0:
            found.setdefault(name, []).append(_Demand(c.name, c.expression, number))
    return found


def _held_below(f: Formulation, names: list[str]) -> bool:
    """A period's variable alone on one side of a line that holds it from below, by anything
    (make1 >= d1, make2 == demand2): a demand the balance would have to replace."""
    for _, (left, op, right) in comparisons(f):
        if op in (">=", "==") and isinstance(left, ast.Name) and left.id in names:
            return True
        if op in ("<=", "==") and isinstance(right, ast.Name) and right.id in names:
            return True
    return False


def _demand_lines(f: Formulation, names: list[str]) -> dict[str, _Demand]:
    """The line each period's variable is held to one positive number by, where it is held
    by one only."""
    return {name: lines[0] for name, lines in _bound_lines(f, names).items() if len(lines) == 1}


def _stock_names(f: Formulation, count: int) -> list[str]:
    taken = {v.name for v in f.variables} | {c.name for c in f.constraints}
    base = next((n for n in ("stock", "left", "carried")
                 if not any(f"{n}{k}" in taken for k in range(1, count + 1))), "stock_")
    return numbered_names(taken, base, count)


@dataclass(frozen=True)
class _Balance:
    message: str
    fix: dict[str, dict[str, str]] | None


def _caveat_note(caveats: list[str]) -> str:
    if not caveats:
        return ""
    return (f" The text also gives {' and '.join(caveats)}: write "
            f"{'it' if len(caveats) == 1 else 'them'} into the model too.")


def _scalar_balance(text: str, f: Formulation, names: list[str], lone: list[str]) -> _Balance:
    """The balance in the model's names. Each period's demand is the number its variable is
    held to, or, where the model holds none of them to a number, the one the text pairs with
    that period (agent/period_text.py); ``lone`` is a stock the model wrote for all periods at
    once, which the balance replaces."""
    lines = _demand_lines(f, names)
    stated = None if _bound_lines(f, names) or _held_below(f, names) else \
        period_demands(text, len(names))
    stock = _stock_names(f, len(names))
    keys = [lines[n].constraint for n in names if n in lines] if lines else \
        numbered_names({v.name for v in f.variables} | {c.name for c in f.constraints},
                       "balance", len(names))
    rows, previous = [], None
    for k, (name, left) in enumerate(zip(names, stock, strict=True), 1):
        need = lines[name].number if name in lines else \
            f"{stated[k - 1]:g}" if stated else f"(the demand of period {k})"
        rows.append(f"{left} == {name} - {need}" if previous is None
                    else f"{left} == {previous} + {name} - {need}")
        previous = left
    replaced = ("These replace " + ", ".join(
        f"{lines[n].constraint} ({lines[n].expression.strip()})" for n in names if n in lines)
        if lines else "These replace the demand constraint of each period")
    gone = [c.name for c in f.constraints if _uses(c.expression, frozenset(lone))]
    removed = (f" Remove {' and '.join(lone)}, one stock for all periods, and the constraints "
               f"that use {'it' if len(lone) == 1 else 'them'}"
               + (f" ({', '.join(gone)})" if gone else "") + "." if lone else "")
    caveats = stock_caveats(text)
    message = (f"Add variables {stock[0]} .. {stock[-1]} (>= 0, what is left at the end of "
               f"each period) and balance each period: " + "; ".join(rows) + " (for the first "
               f"period, add the starting stock if the text gives one). {replaced}; keep the "
               f"capacity limit on each of {names[0]} .. {names[-1]}, and charge the holding "
               f"cost on {stock[0]} .. {stock[-1]}, not on what is made." + removed
               + _caveat_note(caveats))
    from_lines = len(lines) == len(names) and \
        len({d.constraint for d in lines.values()}) == len(names) and \
        demands_stated(text, {float(d.number) for d in lines.values()})
    sure = not caveats and (from_lines or stated is not None)
    fix = _fix(text, f, names, stock, dict(zip(keys, rows, strict=True)), lone, gone) \
        if sure else None
    return _Balance(message, fix)


def _fix(text: str, f: Formulation, made: list[str], stock: list[str],
         rows: dict[str, str], lone: list[str], gone: list[str]
         ) -> dict[str, dict[str, str]] | None:
    """The balance as a fix, where what is made is clear and so is the holding cost: the
    objective is minimized (a profit counts what is sold, which the balance moves away from
    what is made), the variables are not binary nor named for sales. ``rows`` are the
    balance by constraint name; the lone stock goes with the constraints that use it
    (``gone``), and its holding cost to the stock of each period."""
    domain = next(v.domain for v in f.variables if v.name == made[0])
    cost = holding_cost(text)
    if f.objective.sense != "minimize" or domain == "binary" or _SOLD.search(made[0]) or \
            cost is None:
        return None
    expression = _without_lone(f, lone, cost)
    objective = None if expression is None else _holding_objective(f, expression, made, stock,
                                                                   cost)
    if objective is None:
        return None
    fix: dict[str, dict[str, str]] = {"constraints": rows,
                                      "variables": dict.fromkeys(stock, domain)}
    if objective != f.objective.expression:
        fix["objective"] = {"expression": objective}
    if gone:
        fix["drop"] = dict.fromkeys(gone, "one stock for all periods, replaced by the balance")
    if lone:
        fix["drop_variables"] = dict.fromkeys(lone, "replaced by one stock per period")
    return fix


def _without_lone(f: Formulation, lone: list[str], cost: float) -> str | None:
    """The objective without the lone stock's holding cost (2*stock, where holding costs
    2), which the stock of each period takes over; None where it has the lone stock in
    another way."""
    if not _uses(f.objective.expression, frozenset(lone)):
        return f.objective.expression
    try:
        tree = ast.parse(f.objective.expression, mode="eval")
    except SyntaxError:
        return None
    terms = sum_terms(tree.body, {v.name for v in f.variables})
    if terms is None or any(v in lone and abs(k - cost) > 1e-9 for k, v, _ in terms):
        return None
    kept = [ast.unparse(node) for _, v, node in terms if v not in lone]
    return " + ".join(kept).replace(" * ", "*") if kept else None


def _holding_objective(f: Formulation, expression: str, made: list[str], stock: list[str],
                       cost: float) -> str | None:
    """The objective with the holding cost on the stock: as it is where holding costs
    nothing; moved from what is made (3*chairs1 .. 3*chairs4 besides the cost of making
    them); or, where the objective leaves it out, added. None where the objective is not a
    plain sum of terms, or a term has the cost but not as a holding cost of every period.
    ``expression`` is the objective's, less a lone stock's holding cost."""
    if cost == 0:
        return expression
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return None
    terms = sum_terms(tree.body, {v.name for v in f.variables})
    if terms is None:
        return None
    held = [(v, node) for k, v, node in terms if v in made and abs(k - cost) < 1e-9]
    if sorted(v for v, _ in held) == sorted(made) and all(
            sum(1 for _, v, _ in terms if v == name) >= 2 for name in made):
        rename = dict(zip(made, stock, strict=True))
        for v, node in held:
            for leaf in ast.walk(node):
                if isinstance(leaf, ast.Name) and leaf.id == v:
                    leaf.id = rename[v]
        return ast.unparse(tree.body).replace(" * ", "*")  # written as the model writes terms
    if not any(abs(k - cost) < 1e-9 for k, _, _ in terms):
        return expression + "".join(f" + {cost:g}*{s}" for s in stock)
    return None


def _any_balance(text: str, f: Formulation) -> str:
    """The balance in words, for a model whose variables are not sure to be one per period
    (a count other than the text's, several families, products numbered in the text)."""
    products = len(period_families(f)) >= 2 or several_kinds(text)
    return ("Add one stock variable for each period (>= 0, what is left at its end) and "
            "balance each period: its stock == the stock of the period before (the starting "
            "stock, in the first) + what is made in it - its demand. These balances replace "
            "the demand constraints; keep the capacity limit on what is made in each period, "
            "and charge the holding cost on the stock, not on what is made."
            + (" With several products, write one stock and one balance for each product and "
               "period." if products else "") + _caveat_note(stock_caveats(text)))


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


def _uneven(f: Formulation, family: list[str]) -> bool:
    """A constraint weighs the family's variables unevenly ('2*x1 + 3*x2 + x3 <= 100'), as
    a mix of products is weighed, not a run of periods."""
    variables = {v.name for v in f.variables}
    for c in f.constraints:
        parts = comparison(c.expression)
        for side in (parts[0], parts[2]) if parts else ():
            terms = sum_terms(side, variables) or []
            if len({k for k, v, _ in terms if v in family}) >= 2:
                return True
    return False


def _period_family(text: str, f: Formulation, periods: Periods | None) -> list[str] | None:
    """The model's one family of variables numbered by period, where it is sure to be the
    periods (the text's, ``periods``): the only family, as many as the text's periods,
    weighed evenly, and the text numbers no products (else x1, x2 may be two products)."""
    families = period_families(f)
    if len(families) != 1 or periods is None or periods.count != len(families[0]) or \
            several_kinds(text) or _uneven(f, families[0]):
        return None
    return families[0]


def carried_stock(text: str, f: Formulation) -> list[Check]:
    """A warning where the text plans several periods and lets stock carry over, and nothing
    in the model holds stock; with the balance as a fix where it is sure (module docstring)."""
    if not carries_over(text):
        return []
    periods = plan_periods(text)
    lone = _lone_stock(f, periods)
    if _linked(f, lone) or (periods is None and not _has_period_set(f)):
        return []
    if any(v.index for v in f.variables):
        balance = _Balance(_indexed_balance(f), None)
    else:
        names = _period_family(text, f, periods)
        balance = _scalar_balance(text, f, names, lone) if names else _Balance(
            _any_balance(text, f), None if period_families(f) else
            collapsed_plan(text, f, periods, lone))
    message = ("The text plans several periods and lets stock carry over to later ones, but "
               "nothing in the model holds that stock, so each period must cover its own "
               "demand and nothing made early can be used later. " + balance.message)
    return [Check(code="carried_stock", severity="warning", where="constraints",
                  message=message, fix=balance.fix)]
