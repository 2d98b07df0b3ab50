"""Checks that read the words around the problem's numbers: the direction of a bound, the side
of a ratio, a share of the total, percentages written as whole numbers, "the fewest" things.
Several carry an exact fix the autofix node applies (see ``agent/autofix.py``).
"""

from __future__ import annotations

import ast
import re

from optiform.agent import (
    bound_cues,
    bound_targets,
    item_amounts,
    item_totals,
    ratio_cues,
    respective_lists,
    share_check,
    textcues,
)
from optiform.agent.check_model import (
    Check,
    close,
    constants,
    formulation_numbers,
    parse_tree,
    used_variables,
)
from optiform.solvers.formulation import Formulation


def constraint_fix(code: str, name: str, fixed: str | None, message: str) -> Check:
    """A warning about constraint ``name`` whose exact correction is ``fixed`` (None: the
    LLM is told, nothing is applied)."""
    return Check(code=code, severity="warning", where=f"constraint '{name}'", names=[name],
                 fix={"constraints": {name: fixed}} if fixed else None, message=message)


def share_of_total(text: str, f: Formulation) -> list[Check]:
    """'At most 40% of the concerts are R&B' written against the wrong base, or missing."""
    out = []
    for fix in share_check.share_fixes(text, f):
        out.append(constraint_fix(
            "share_of_total", fix.constraint, fix.expression,
            f"The text says \"{fix.cue.sentence[:140]}\": that is {fix.expression}, a share "
            "of the total of all of them."))
    return out


def percents_as_whole_numbers(text: str, f: Formulation) -> Check | None:
    """'35 percent' written as 35 instead of 0.35 (and 0.35 nowhere in the model)."""
    used = formulation_numbers(f)
    flagged = []
    for n in textcues.numbers_in_text(text):
        if not n.percent or n.value in (0.0, 100.0):
            continue
        as_fraction = [n.value / 100.0, 1.0 - n.value / 100.0]
        if any(close(n.value, u) for u in used) and \
                not any(close(x, u) for x in as_fraction for u in used):
            flagged.append(n)
    if not flagged:
        return None
    first = flagged[0]
    return Check(code="percent_as_whole", severity="warning",
                 names=[n.text.strip() for n in flagged], message=(
                     f"The text says {first.text.strip()}, but the model writes "
                     f"{first.value:g}: a percentage is a fraction. \"At most {first.value:g}% of "
                     f"the items are x\" is x <= {first.value / 100:g}*(x + y)."))


_COUNT_GOAL = re.compile(
    r"\b(?:minimi[sz]e|reduce|decrease|lower|minimum|fewest)\b[^.?!]{0,25}?\b(?:total\s+)?"
    r"number\s+of\s+(?P<noun>[a-z-]+(?:\s+[a-z-]+)?)")
_MOST_GOAL = re.compile(
    r"\b(?:maximi[sz]e|increase|most|maximum|largest)\b[^.?!]{0,25}?\b(?:total\s+)?"
    r"number\s+of\s+(?P<noun>[a-z-]+(?:\s+[a-z-]+)?)")
_UNITS = frozenset(textcues.stem(w) for w in re.findall(r"\w+", (
    "hours minutes days dollars calories grams units kg tons liters gallons miles km pounds")))
_MEASURES = frozenset(textcues.stem(w) for w in re.findall(r"\w+", (
    "people person customers patients hours minutes days dollars calories grams units kg tons "
    "liters gallons miles km pounds trips visits")))


def _weighted(expression: str) -> bool:
    tree = parse_tree(expression)
    return tree is not None and any(
        isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and any(
            isinstance(s, ast.Constant) and isinstance(s.value, (int, float))
            and s.value not in (0, 1) for s in (n.left, n.right))
        for n in ast.walk(tree))


def _measures_noun(text: str, f: Formulation, noun: str) -> bool:
    """Whether the objective's coefficients are amounts of ``noun`` ("2 units of filler"
    for "the total number of filler"): then it weighs rightly, it is no count of decisions."""
    tree = parse_tree(f.objective.expression)
    coefficients = (constants(tree) if tree is not None else set()) - {0.0, 1.0}
    head = textcues.stem(noun.split()[0])
    for n in textcues.numbers_in_text(text):
        if any(close(n.value, k) for k in coefficients):
            tail = text[n.stop:][:40]
            if head in [textcues.stem(w) for w in textcues.words(tail)[:4]]:
                return True
    return False


def _count_goal(text: str, f: Formulation) -> tuple[re.Match[str], str] | None:
    """The goal phrase and its sense when the text asks for the fewest or the most of a
    noun that is no unit of measure ('the fewest workers', 'the most patients vaccinated')."""
    low = text.lower()
    m = _COUNT_GOAL.search(low)
    # a maximizing model only when the text's goal is to minimize ("a minimum number of
    # chairs" in a profit problem is a requirement, not the goal)
    if m and (f.objective.sense == "minimize" or textcues.goal_sense(text) == "minimize") \
            and textcues.stem(m.group("noun").split()[0]) not in _MEASURES:
        return m, "minimize"
    m = _MOST_GOAL.search(low)
    # 'maximize the number of patients' counts people too: a weight is right only when it is
    # an amount of them ("a bus carries 30 patients"), which _measures_noun reads
    if m and f.objective.sense == "maximize" and textcues.goal_sense(text) == "maximize" \
            and textcues.stem(m.group("noun").split()[0]) not in _UNITS:
        return m, "maximize"
    return None


def count_objective(text: str, f: Formulation) -> Check | None:
    """'Minimize the total number of workers' (or 'maximize the number of patients') with a
    weighted (cost- or time-like) objective."""
    if not _weighted(f.objective.expression):
        return None
    goal = _count_goal(text, f)
    if goal is None:
        return None
    m, sense = goal
    noun = m.group("noun")
    if _measures_noun(text, f, noun):
        return None
    names = " + ".join(v.name for v in f.variables[:4])
    # when every decision is a whole-number count of a few kinds of things, "the total number"
    # is their sum: exact enough to apply; otherwise the LLM is told
    sure = len(f.variables) <= 4 and all(v.domain == "integer" and not v.index
                                         for v in f.variables)
    most = "most" if sense == "maximize" else "fewest"
    return Check(code="count_objective", severity="warning", where="objective",
                 fix={"objective": {"expression": names, "sense": sense}} if sure else None,
                 message=(
        f"The text asks for the {most} {noun} (\"{m.group(0)}\"), but the objective weighs the "
        f"decisions: if it counts the decisions themselves, the objective is their plain sum "
        f"(e.g. {names}), without costs or sizes."))


_TIME_QUESTION = re.compile(r"\bhow many (?P<unit>hours|minutes|days|weeks)\b")
_TIME_GOAL = re.compile(
    r"\b(?:minimi[sz]e|reduce|decrease|lower|shortest|least|minimum)\b[^.?!]{0,25}?"
    r"\b(?:total\s+)?(?:amount\s+of\s+|number\s+of\s+)?(?:time|hours|minutes|days|weeks)\b")


def time_objective(text: str, f: Formulation) -> Check | None:
    """'How many hours should each factory run to minimize the total time?' with a weighted
    objective: the decisions are themselves amounts of time, so the total time is their plain
    sum (the weights are usually a resource each hour uses)."""
    low = text.lower()
    q, goal = _TIME_QUESTION.search(low), _TIME_GOAL.search(low)
    if q is None or goal is None or not _weighted(f.objective.expression):
        return None
    used = used_variables(f)
    decisions = [v for v in f.variables if v.name in used]
    if not decisions or len(decisions) > 4 or any(v.index for v in decisions):
        return None
    names = " + ".join(v.name for v in decisions)
    return Check(code="time_objective", severity="warning", where="objective",
                 fix={"objective": {"expression": names, "sense": "minimize"}}, message=(
                     f"The text asks how many {q.group('unit')} and to \"{goal.group(0)}\": "
                     f"the decisions are amounts of time, so the total time is their plain sum, "
                     f"{names}, without weights."))


def split_totals(text: str, f: Formulation) -> list[Check]:
    """One total of the text split into a bound per variable ('100*bus >= 1200',
    '40*car >= 1200'): merged into one constraint over the sum."""
    out = []
    for split in bound_targets.split_totals(text, f):
        first, rest = split.names[0], split.names[1:]
        out.append(Check(code="split_total", severity="warning", where=f"constraint '{first}'",
                         names=split.names, fix={"constraints": {first: split.merged},
                                                 "drop": dict.fromkeys(rest, "")},
                         message=(
                             f"Constraints {', '.join(split.names)} each hold one variable to "
                             f"{split.value:g}, but the text states {split.value:g} once, as "
                             f"one total (\"{split.sentence[:120]}\"): that is one "
                             f"constraint, {split.merged}.")))
    return out


def per_item_totals(text: str, f: Formulation) -> list[Check]:
    """'At least 260 units in total' asked of each plant ('units[p] >= demand' for each p):
    one constraint over the sum instead."""
    return [Check(code="per_item_total", severity="warning", where=f"constraint '{t.name}'",
                  names=[t.name], fix={"constraints": {t.merged_name: t.merged},
                                       "drop": {t.name: ""}},
                  message=(f"Constraint '{t.name}' asks each element for {t.value:g}, but the "
                           f"text states {t.value:g} once, as a total (\"{t.sentence[:120]}\"): "
                           f"that is one constraint over the sum, {t.merged}."))
            for t in item_totals.per_item_totals(text, f)]


def item_objective(text: str, f: Formulation) -> Check | None:
    """'Minimize his sodium intake' where the text lists each item's sodium: the objective
    is their amounts times the decisions ('80*eggs' for salmon 80 and eggs 20 is not)."""
    found = item_amounts.item_objective(text, f)
    if found is None:
        return None
    listed = ", ".join(f"{v} {a:g}" for v, a in found.amounts.items())
    return Check(code="item_objective", severity="warning", where="objective",
                 fix={"objective": {"expression": found.expression}},
                 message=(f"The goal is the total {found.attribute}, and the text lists each "
                          f"item's amount ({listed}): the objective is {found.expression}."))


def pooled_bounds(text: str, f: Formulation) -> list[Check]:
    """'North and South hold 70 and 50 units' written as one bound over every shipment by a
    number the text never states: one bound per name, with its own number."""
    out = []
    for pooled in respective_lists.pooled_bounds(text, f):
        listed = pooled.respective
        pairs = ", ".join(f"{n} {v:g}" for n, v in zip(listed.names, listed.values,
                                                       strict=True))
        out.append(Check(
            code="pooled_bound", severity="warning", where=f"constraint '{pooled.name}'",
            names=[pooled.name], fix={"constraints": pooled.split},
            message=(f"Constraint '{pooled.name}' bounds everything by one number, but the "
                     f"text gives each its own (\"{listed.sentence[:120]}\": {pairs}): one "
                     f"constraint each, {'; '.join(pooled.split.values())}.")))
    return out


def scaled_counts(text: str, f: Formulation) -> list[Check]:
    """'At most 100 large bottles' written as '20*large_bottles <= 100' or 'at most 8
    large-truck trips' as 'small_trucks + large_trucks <= 8': the number bounds that count."""
    out = []
    for scaled in bound_targets.scaled_counts(text, f):
        out.append(constraint_fix(
            "scaled_count", scaled.name, scaled.fixed,
            f"Constraint '{scaled.name}' bounds more than the count the text names "
            f"(\"{scaled.sentence[:120]}\"): that is {scaled.fixed}."))
    return out


def missing_counts(text: str, f: Formulation) -> list[Check]:
    """'At least 100 large pills' nowhere in the model, or its number used as a coefficient
    ('100*large_pill <= 500'): the bound is added, or replaces that constraint."""
    return [Check(code="missing_count", severity="warning", where=f"constraint '{m.name}'",
                  names=[m.name], fix={"constraints": {m.name: m.expression}},
                  message=(f"The text says \"{m.sentence[:140]}\", which "
                           + (f"constraint '{m.name}' misreads (its number is no coefficient)"
                              f": write {m.expression}." if m.replaces
                              else f"no constraint states: add {m.expression}.")))
            for m in bound_targets.missing_counts(text, f)]


def bound_directions(text: str, f: Formulation) -> list[Check]:
    """Bounds written in the other direction than the words before their number say."""
    out = []
    expressions = {c.name: c.expression for c in f.constraints}
    for name, direction, value, cue in bound_cues.reversed_bounds(text, f):
        kind = "a requirement" if cue.direction == ">=" else "a limit"
        fixed = bound_cues.flipped(expressions[name])
        out.append(constraint_fix(
            "bound_direction", name, fixed,
            f"Constraint '{name}' says {direction} {value:g}, but the text says "
            f"\"{cue.phrase}\" for {value:g} (\"{cue.sentence[:120]}\"): that is {kind}, "
            f"{cue.direction} {value:g}."))
    for name, fixed, value, cue in bound_cues.pinned_bounds(text, f):
        kind = "a requirement" if cue.direction == ">=" else "a limit"
        out.append(constraint_fix(
            "pinned_bound", name, fixed,
            f"Constraint '{name}' pins {value:g} exactly, but the text says \"{cue.phrase}\" "
            f"for {value:g} (\"{cue.sentence[:120]}\"): that is {kind}, {fixed}."))
    return out


def ratio_directions(text: str, f: Formulation) -> list[Check]:
    """'At least twice as many A as B' written with the factor on A (or the sign reversed)."""
    out = []
    for name, cue in ratio_cues.reversed_ratios(text, f):
        right = f"{cue.subject} {cue.direction} {cue.factor:g}*{cue.object}"
        out.append(constraint_fix(
            "ratio_direction", name, right,
            f"Constraint '{name}' does not match the text \"{cue.sentence[:140]}\": that is "
            f"{right} (the factor goes with {cue.object})."))
    return out
