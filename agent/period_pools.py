"""A capacity per period written over all periods: for "at most 120 chairs a month" over 4
months the embedded 1.5B model wrote ``chairs1 + chairs2 + chairs3 + chairs4 <= 120``.
``period_pools`` finds one limit over every variable of one family numbered by period
(agent/period_plans.py), as many as the text's periods, where the text states that number
per period of the plan's kind ("120 chairs a month", "a monthly capacity of 120"; not "in
total", "twice a day" or "120 a week" in a plan of months) and numbers no products, and
splits it into one limit per period.
"""

from __future__ import annotations

from optiform.agent.bound_targets import sum_terms
from optiform.agent.check_model import Check
from optiform.agent.comparison import comparison, constant
from optiform.agent.period_plans import period_families
from optiform.agent.period_text import plan_periods, several_kinds, stated_per_period
from optiform.solvers.formulation import Formulation


def _pool(expression: str, families: list[list[str]]) -> tuple[tuple[str, ...], float,
                                                                 float] | None:
    """(the family, its coefficient, the bound) for 'k*x1 + ... + k*xn <= bound' (or 'bound
    >= ...') over every variable of one family."""
    parts = comparison(expression)
    if parts is not None and parts[1] == ">=" and constant(parts[0]) is not None:
        parts = (parts[2], "<=", parts[0])  # '120 >= chairs1 + ... + chairs4'
    if parts is None or parts[1] != "<=":
        return None
    bound = constant(parts[2])
    for family in families:
        terms = sum_terms(parts[0], set(family))
        if bound is not None and terms and sorted(v for _, v, _ in terms) == sorted(family) \
                and len({k for k, _, _ in terms}) == 1:
            return tuple(family), terms[0][0], bound
    return None


def period_pools(text: str, f: Formulation) -> list[Check]:
    """One warning for each limit over all periods that the text states per period, with
    its split into one limit per period as the fix."""
    periods = plan_periods(text)
    if periods is None or periods.count is None or several_kinds(text):
        return []
    families = [family for family in period_families(f) if len(family) == periods.count]
    pools: dict[tuple[tuple[str, ...], float, float], list[str]] = {}
    for c in f.constraints:
        pool = None if c.for_each else _pool(c.expression, families)
        if pool is not None and stated_per_period(text, pool[2], periods.unit):
            pools.setdefault(pool, []).append(c.name)  # the same limit again goes with it
    taken = {c.name for c in f.constraints}
    out = []
    for (family, k, bound), names in pools.items():
        coef = "" if k == 1 else f"{k:g}*"
        split = {}
        for i, name in enumerate(family, 1):
            new = f"{names[0]}_{i}"
            while new in taken:
                new += "_"
            split[new] = f"{coef}{name} <= {bound:g}"
        out.append(Check(
            code="period_pool", severity="warning", where=f"constraint '{names[0]}'",
            names=names, fix={"constraints": split, "drop": dict.fromkeys(names, "")},
            message=(f"Constraint '{names[0]}' limits all periods together to {bound:g}, but "
                     f"the text states {bound:g} for each period: one limit per period, "
                     f"{'; '.join(split.values())} (e.g. {next(iter(split))}).")))
    return out
