"""A plan over several periods written as one period. For 'deliver 40 chairs in week 1, 60 in
week 2 and 50 in week 3; up to 50 chairs a week in regular time at $20, up to 20 more a week
in overtime at $30; chairs kept for a later week cost $3 per chair per week' the embedded
1.5B model wrote one ``chairs_regular``, one ``chairs_overtime`` and one
``chairs_inventory`` for all three weeks, with each week's delivery over the same three
variables (350, where 3030 is right).

``collapsed_plan`` writes the plan out per period where that is sure: the text gives one
demand for each of its periods (agent/period_text.py ``period_demands``) and a clear holding
cost; the model is minimized, has no variable numbered or indexed by period, and at most one
for stock; the decisions other than the stock are what the demand lines sum against a
demand (the supplies); every other line bounds one supply by a number the text states per
period ('50 chairs a week'); and the objective weighs only the supplies and the stock (at
the holding cost). Then each supply becomes one variable per period with its bounds and
costs, the stock one per period, and each period's balance replaces the demand lines:
``stock2 == stock1 + chairs_regular2 + chairs_overtime2 - 60``.
"""

from __future__ import annotations

import ast

from optiform.agent.bound_targets import sum_terms
from optiform.agent.check_model import close, numbered_names, used_variables
from optiform.agent.comparison import comparison, constant
from optiform.agent.period_text import (
    Periods,
    holding_cost,
    period_demands,
    stated_per_period,
    stock_caveats,
)
from optiform.solvers.expr import normalize
from optiform.solvers.formulation import Formulation

Fix = dict[str, dict[str, str]]


def _terms(expression: str, names: set[str]) -> list[tuple[float, str]] | None:
    try:
        tree = ast.parse(normalize(expression), mode="eval")
    except SyntaxError:
        return None
    terms = sum_terms(tree.body, names)
    return None if terms is None else [(k, v) for k, v, _ in terms]


def collapsed_plan(text: str, f: Formulation, periods: Periods | None,
                   lone: list[str]) -> Fix | None:
    """The plan written out per period as a fix, where it is sure (module docstring)."""
    if periods is None or periods.count is None or f.objective.sense != "minimize" or \
            len(lone) > 1 or any(v.index for v in f.variables) or stock_caveats(text):
        return None
    count = periods.count
    demands = period_demands(text, count)
    cost = holding_cost(text)
    if demands is None or cost is None:
        return None
    used = used_variables(f)
    names = {v.name for v in f.variables}
    supplies: list[str] = []
    bounds: list[tuple[str, str, float]] = []
    for c in f.constraints:
        if c.for_each:
            return None
        parts = comparison(c.expression)
        if parts is None:
            return None
        left, op, right = parts
        number = constant(right)
        terms = sum_terms(left, names) if number is not None else None
        if terms is None:
            return None
        variables = [v for _, v, _ in terms]
        demand = op in (">=", "==") and all(k == 1.0 for k, _, _ in terms) and \
            any(close(number, d) for d in demands)
        if demand:  # what the model sums against a period's demand is what supplies it
            supplies += [v for v in variables if v not in supplies and v not in lone]
        elif lone and lone[0] in variables:
            continue  # another line over the one stock: the balance replaces it
        elif len(terms) == 1 and op == "<=" and terms[0][0] == 1.0:
            bounds.append((variables[0], op, number))
        else:
            return None
    if not supplies or any(v not in supplies for v, _, _ in bounds) or \
            not all(stated_per_period(text, number, periods.unit) for _, _, number in bounds):
        return None
    if any(v not in supplies and v not in lone for v in used):
        return None
    objective = _terms(f.objective.expression, names)
    if objective is None or any(v in lone and not close(k, cost) for k, v in objective):
        return None
    taken = names | {c.name for c in f.constraints}
    per = {s: numbered_names(taken, s, count) for s in supplies}
    stock = numbered_names(taken | {n for ns in per.values() for n in ns}, "stock", count)
    domain = {v.name: v.domain for v in f.variables}
    constraints: dict[str, str] = {}
    taken |= {n for ns in per.values() for n in ns} | set(stock)
    balance = numbered_names(taken, "balance", count)
    limits = {s: numbered_names(taken, f"{s}_limit", count) for s, _, _ in bounds}
    for k in range(count):
        made = " + ".join(per[s][k] for s in supplies)
        before = f"{stock[k - 1]} + " if k else ""
        constraints[balance[k]] = f"{stock[k]} == {before}{made} - {demands[k]:g}"
        for s, op, number in dict.fromkeys(bounds):
            constraints[limits[s][k]] = f"{per[s][k]} {op} {number:g}"
    costs = [f"{k:g}*{per[v][t]}" for t in range(count) for k, v in objective if v in per]
    costs += [f"{cost:g}*{s}" for s in stock] if cost else []
    variables = {n: domain[s] for s in supplies for n in per[s]}
    variables |= dict.fromkeys(stock, domain[supplies[0]])
    return {"constraints": constraints, "variables": variables,
            "objective": {"expression": " + ".join(costs)},
            "drop": dict.fromkeys((c.name for c in f.constraints),
                                  "one period's line, replaced by the plan per period"),
            "drop_variables": dict.fromkeys(
                (v.name for v in f.variables), "one variable for all periods, replaced by "
                                               "one per period")}
