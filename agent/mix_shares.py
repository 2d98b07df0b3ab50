"""A blend's share written as an amount: 'corn holds 10% protein and soy 40%; the mix must
contain at least 20% protein' came back from the embedded 1.5B model as
``0.1*corn + 0.4*soy >= 0.2``: 0.2 kg of protein in a 100 kg mix, so the model was
infeasible with the fat limit written the same way (50 is right).

The check reads each constraint ``sum(a_i*x_i) op p`` over two or more decisions whose
coefficients are all percentages the text states (as fractions, or all as whole numbers) and
whose bound is another of them, in the same form: the share of the mix, which is
``sum(a_i*x_i) op p*(x_1 + ... + x_n)``. The mix is the decisions of a constraint that fixes
or bounds their plain sum and holds all of them (an ingredient with none of the nutrient
counts in the mix too); with no such constraint, the decisions of the constraint itself when
they are all the model's decisions. Where the decisions are shares that sum to 1 (or 100),
the constraint is right as written and the check stays silent; where the mix cannot be told,
it warns and fixes nothing.
"""

from __future__ import annotations

import ast

from optiform.agent import textcues
from optiform.agent.check_model import Check, close
from optiform.agent.comparison import comparisons, constant
from optiform.agent.share_check import Linear, linear_expression
from optiform.solvers.formulation import Formulation


def _linear(node: ast.expr) -> Linear | None:
    return linear_expression(ast.unparse(node))


def _plain_sums(f: Formulation) -> list[tuple[set[str], str, float]]:
    """(decisions, op, number) of each constraint that bounds or fixes a plain sum."""
    out = []
    for _, (left, op, right) in comparisons(f):
        lhs, rhs = _linear(left), constant(right)
        if lhs is None or rhs is None or lhs.get("", 0.0) or \
                not all(close(v, 1.0) for k, v in lhs.items() if k):
            continue
        out.append(({k for k in lhs if k}, op, rhs))
    return out


def _same_form(values: list[float], percents: list[float]) -> str | None:
    """'fraction' when every value is a stated percentage as a fraction, 'whole' when every
    one is a stated percentage as written; else None."""
    if all(any(close(v, p / 100) for p in percents) for v in values):
        return "fraction"
    if all(any(close(v, p) for p in percents) for v in values):
        return "whole"
    return None


def mix_shares(text: str, f: Formulation) -> list[Check]:
    percents = [n.value for n in textcues.numbers_in_text(text)
                if n.percent and 0 < n.value < 100]
    if len(percents) < 3:
        return []
    scalars = {v.name for v in f.variables if not v.index}
    sums = _plain_sums(f)
    out = []
    for c, (left, op, right) in comparisons(f):
        lhs, p = _linear(left), constant(right)
        if lhs is None or p is None or lhs.get("", 0.0) or op == "==":
            continue
        names = [k for k in lhs if k]
        if len(names) < 2 or not set(names) <= scalars or \
                any(v <= 0 for k, v in lhs.items() if k):
            continue
        form = _same_form([lhs[k] for k in names], percents)
        if form is None or _same_form([p], percents) != form:
            continue
        if any(set(names) <= members and op2 == "==" and close(total, 1.0)
               for members, op2, total in sums):
            continue  # shares of a whole that sums to 1: right as written
        mix = next((members for members, _, _ in sums if set(names) <= members), None)
        if mix is None and set(names) == scalars:
            mix = set(names)
        share = f"{p:g}"
        if mix is None:
            out.append(Check(
                code="mix_share", severity="warning", where=f"constraint '{c.name}'",
                names=[c.name],
                message=(f"Constraint '{c.name}' ({c.expression}) bounds an amount by {share}, "
                         f"a share the text states as a percentage: a share of the mix is "
                         f"{share} times the mix's total, not {share} itself.")))
            continue
        total = " + ".join([*names, *sorted(mix - set(names))])
        new = f"{ast.unparse(left)} {op} {share}*({total})"
        out.append(Check(
            code="mix_share", severity="warning", where=f"constraint '{c.name}'",
            names=[c.name], fix={"constraints": {c.name: new}},
            message=(f"Constraint '{c.name}' ({c.expression}) bounds an amount by {share}, a "
                     f"share the text states as a percentage: the share is of the whole mix, "
                     f"{new}.")))
    return out

