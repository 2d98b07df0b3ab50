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
import re

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
    numbers = textcues.numbers_in_text(text)
    percents = [n.value for n in numbers if n.percent and 0 < n.value < 100]
    if len(percents) < 3:
        return []
    # a number the text also states as no percentage ('10 hours', '90 hours') may be that
    plain = [n.value for n in numbers if not n.percent]
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
        if any(close(v, q) for v in [*(lhs[k] for k in names), p] for q in plain):
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



_BLEND = re.compile(r"\b(?:blend\w*|mix\w*|average\w*|ratings?|grades?|content|concentrations?|"
                    r"quality|octane|purity|strength)\b", re.I)


def average_totals(text: str, f: Formulation) -> list[Check]:
    """'The gasoline must have an octane rating of at least 88, and 1,000 barrels are needed'
    came back as ``80*crude1 + 95*crude2 >= 88*1000`` beside ``crude1 + crude2 >= 1000``:
    88 octane over the 1,000 barrels needed, so a blend of more barrels meets it with more of
    the cheap crude (998 and 86 barrels). A constraint ``sum(q_i*x_i) op R`` over two or more
    decisions whose coefficients are numbers of the text, where another constraint bounds
    their plain sum below or above by T (not fixes it: then the two agree), R is T times a
    number Q of the text and Q lies strictly between the least and the greatest q_i (an
    average of them), and R is no number of the text (then it is an amount), is the average
    over the blend as it is: ``sum(q_i*x_i) op Q*(x_1 + ... + x_n)``. Only where the text
    speaks of a blend or an average: '2 hours a chair and 10 a table, 50 workers of 8 hours
    each' is ``2*chairs + 10*tables <= 50*8``, hours, however many items are made."""
    if not _BLEND.search(text):
        return []
    stated = [n.value for n in textcues.numbers_in_text(text)]
    scalars = {v.name for v in f.variables if not v.index}
    sums = [(members, total) for members, op, total in _plain_sums(f) if op in ("<=", ">=")]
    out = []
    for c, (left, op, right) in comparisons(f):
        lhs, rhs = _linear(left), _linear(right)  # the bound may be written 88*1000
        r = rhs.get("") if rhs is not None and set(rhs) <= {""} else None
        if lhs is None or r is None or lhs.get("", 0.0) or op not in ("<=", ">=") or \
                any(close(r, q) for q in stated):  # an amount the text states: no average
            continue
        names = [k for k in lhs if k]
        grades = [lhs[k] for k in names]
        if len(names) < 2 or not set(names) <= scalars or min(grades) <= 0 or \
                not all(any(close(g, q) for q in stated) for g in grades):
            continue
        for members, total in sums:
            average = r / total if total > 0 else None
            if average is None or members != set(names) or \
                    not any(close(average, q) for q in stated) or \
                    not min(grades) < average < max(grades):
                continue
            written = ast.unparse(left).replace(" * ", "*")
            new = f"{written} {op} {average:g}*({' + '.join(names)})"
            out.append(Check(
                code="average_total", severity="warning", where=f"constraint '{c.name}'",
                names=[c.name], fix={"constraints": {c.name: new}},
                message=(f"Constraint '{c.name}' ({c.expression}) holds the average {average:g} "
                         f"over {total:g} units, but the blend's total is only bounded by "
                         f"{total:g}, so a larger blend meets it with more of the poorer "
                         f"part: the average is over the blend as made, {new}.")))
            break
    return out


def shares_of_one(text: str, f: Formulation) -> list[Check]:
    """'At least 60% of the drink must be orange juice' came back with its share stated twice,
    ``orange >= 0.6*(orange + apple)`` and ``0.4*(orange + apple) <= 1``: the second reads
    the rest of the drink (1 - 60%) as an amount no more than 1, which with 500 liters in all
    cannot hold. A constraint ``c*(x_1 + ... + x_n) <= 1`` over two or more decisions, with c
    a stated percentage or its rest to 100%, where another constraint over those decisions
    already holds that share, is dropped by the fix: the share is stated there."""
    percents = [n.value / 100 for n in textcues.numbers_in_text(text)
                if n.percent and 0 < n.value < 100]
    if not percents:
        return []
    out = []
    for c, (left, op, right) in comparisons(f):
        lhs = _linear(left)
        if lhs is None or op != "<=" or constant(right) != 1.0 or lhs.get("", 0.0):
            continue
        names = [k for k in lhs if k]
        rates = {lhs[k] for k in names}
        if len(names) < 2 or len(rates) != 1:
            continue
        rate = rates.pop()
        share = next((p for p in percents if close(rate, p) or close(rate, 1 - p)), None)
        if share is None:
            continue
        held = [other.name for other, (ol, _, orr) in comparisons(f) if other.name != c.name
                and set(names) >= _names_in(ol, orr)
                and any(close(v, share) or close(v, 1 - share) for v in _numbers(ol, orr))]
        if not held:
            continue
        out.append(Check(
            code="share_of_one", severity="warning", where=f"constraint '{c.name}'",
            names=[c.name], fix={"drop": {c.name: "a share compared with 1, stated in "
                                                  f"'{held[0]}'"}},
            message=(f"Constraint '{c.name}' ({c.expression}) compares a share of the total "
                     f"with 1, as if it were an amount; the share the text states is "
                     f"constraint '{held[0]}' already: leave '{c.name}' out.")))
    return out


def _names_in(*nodes: ast.expr) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def _numbers(*nodes: ast.expr) -> list[float]:
    return [v for node in nodes for n in ast.walk(node) if (v := constant(n)) is not None]
