"""Checks: what went wrong, or looks wrong, with one attempt, as feedback an LLM can act on.

Each check is a pure function of the problem text, the Formulation and/or the SolveResult.
Errors (the model does not build or does not solve) always trigger a repair; warnings are
heuristics (a number never used, an integer cue on a continuous variable...) and trigger one
repair at most each, with the instruction to keep the model when a warning does not apply.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from optiform.agent import bound_cues, textcues
from optiform.agent.assignment_sides import assignment_sides, assignment_totals
from optiform.agent.bin_packing import bin_counts
from optiform.agent.bound_rates import bound_rates
from optiform.agent.check_model import (
    Check,
    Severity,
    close,
    constants,
    errors,
    expressions,
    feedback_text,
    formulation_numbers,
    parse_tree,
    used_variables,
    value_at,
    walk_numbers,
    warnings,
)
from optiform.agent.comparison import comparison, constant
from optiform.agent.conditional_minimums import conditional_minimums
from optiform.agent.cost_signs import cost_signs
from optiform.agent.fence_prices import fence_prices
from optiform.agent.fence_sides import fence_sides
from optiform.agent.fixed_charges import unlinked_choices, unlinked_indexed_choices
from optiform.agent.forced_zero import forced_zero
from optiform.agent.implications import implications
from optiform.agent.loop_terms import loop_free_terms
from optiform.agent.makespans import makespan_sums
from optiform.agent.mix_shares import average_totals, mix_shares, shares_of_one
from optiform.agent.network_flows import node_variables
from optiform.agent.open_top import open_top
from optiform.agent.order_quantities import order_costs
from optiform.agent.per_item_limits import per_item_limit
from optiform.agent.period_plans import carried_stock, period_count_starts, stock_named
from optiform.agent.period_pools import period_pools
from optiform.agent.portfolio_risk import covariance_terms
from optiform.agent.project_schedules import project_lengths
from optiform.agent.revenue_objectives import revenue_objectives
from optiform.agent.rounded_pi import rounded_pi
from optiform.agent.scaled_units import scaled_units
from optiform.agent.set_covers import area_number_starts, coverage_lines
from optiform.agent.shared_totals import missing_totals, shared_totals
from optiform.agent.shift_starts import roster_number_starts, shift_starts
from optiform.agent.shortest_paths import route_lengths
from optiform.agent.stated_costs import cost_formulas
from optiform.agent.stated_formulas import stated_formula_checks
from optiform.agent.time_units import time_bounds, time_units
from optiform.agent.tours import tour_lengths
from optiform.agent.unused_parameters import unused_parameters
from optiform.agent.wording_checks import (
    bound_directions,
    count_objective,
    item_objective,
    missing_counts,
    per_item_totals,
    percents_as_whole_numbers,
    pooled_bounds,
    ratio_directions,
    scaled_counts,
    share_of_total,
    split_totals,
    time_objective,
)
from optiform.errors import FormulationError, OptiformError
from optiform.solvers.formulation import Formulation
from optiform.solvers.number_side import signed_terms
from optiform.solvers.result import SolveResult, Status

# -- errors: the attempt did not build or did not solve ----------------------------------


def error_check(exc: BaseException) -> Check:
    """A parse, validation or output error, with where it is when the error knows."""
    if isinstance(exc, FormulationError):
        rows = exc.details.get("per_row")
        name = exc.where[len("constraint '"):-1] if exc.where and \
            exc.where.startswith("constraint '") and exc.where.endswith("'") else None
        # a sum that hides its for_each's name and is the same in every row: the rows were
        # meant (solvers.rebound_loops.per_row_rewrite), and autofix writes them
        fix = {"constraints": {name: rows}} if rows and name else None
        return Check(code="invalid", severity="error", message=str(exc), where=exc.where,
                     fix=fix)
    if isinstance(exc, OptiformError):
        code = "bad_output" if type(exc).__name__ == "LLMOutputError" else "error"
        return Check(code=code, severity="error", message=str(exc))
    return Check(code="error", severity="error", message=f"{type(exc).__name__}: {exc}")


def _bounds_note(result: SolveResult, f: Formulation | None) -> tuple[str, bool]:
    """' with the bounds of variables a, b (binary: 0 or 1)' for an IIS that holds variable
    bounds, and whether a binary variable is among them."""
    if not result.conflict_bounds:
        return "", False
    domains = {v.name: v.domain for v in f.variables} if f is not None else {}
    names = result.conflict_bounds
    binary = [n for n in names if domains.get(n.split("[", 1)[0]) == "binary"]
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    note = f" with the bounds of variables {shown}"
    if binary:
        note += " (binary: 0 or 1)" if len(binary) == len(names) else \
            f" ({', '.join(binary[:8])} binary: 0 or 1)"
    return note, bool(binary)


def status_checks(result: SolveResult, f: Formulation | None = None) -> list[Check]:
    s = result.status
    if s is Status.INFEASIBLE:
        bounds, binary = _bounds_note(result, f)
        if result.conflict:
            names = ", ".join(result.conflict)
            verb = "cannot hold" if len(result.conflict) == 1 else "cannot all hold together"
            msg = (f"The model is infeasible: the constraint{'s' * (len(result.conflict) > 1)} "
                   f"{names} {verb}{bounds} (an irreducible infeasible subset). ")
            if binary:
                msg += ("Is a count variable declared binary instead of integer? A binary "
                        "variable is only 0 or 1; declare counts (how many) as \"integer\". ")
            msg += ("Check each against the text: a reversed inequality (<= vs >=), a wrong "
                    "number, or a limit read as a requirement.")
        else:
            msg = ("The model is infeasible: no point satisfies every constraint. Look for a "
                   "reversed inequality, a wrong number, or an equality that should be <= or >=.")
        return [Check(code="infeasible", severity="error", message=msg,
                      names=[*result.conflict, *result.conflict_bounds])]
    if s is Status.UNBOUNDED:
        return [Check(code="unbounded", severity="error", message=(
            "The objective improves without limit: a limit from the text is missing (resources, "
            "demand, budget), an inequality is reversed, or the objective's sense is wrong."))]
    if s is Status.INFEASIBLE_OR_UNBOUNDED:
        return [Check(code="infeasible_or_unbounded", severity="error", message=(
            "The model is infeasible or unbounded: check every inequality's direction and that "
            "every limit in the text is a constraint."))]
    if s is Status.ERROR:
        return [Check(code="solver_error", severity="error",
                      message=f"The solver failed: {result.message or 'no message'}")]
    out = []
    if s is Status.TIME_LIMIT:
        out.append(Check(code="time_limit", severity="info",
                         message="The solver stopped at the time limit; the answer may not be "
                                 "optimal."))
    out.extend(Check(code="solver_warning", severity="info", message=w) for w in result.warnings)
    return out


# -- warnings: the attempt solved but looks wrong ----------------------------------------


def unused_numbers(text: str, f: Formulation) -> Check | None:
    """Numbers stated in the text that the formulation never uses (0 and 1 are left out)."""
    used = formulation_numbers(f)
    missing: list[str] = []
    periods = period_count_starts(text, f) | area_number_starts(text) | \
        roster_number_starts(text)
    for n in textcues.numbers_in_text(text):
        if n.value in (0.0, 1.0) or n.start in periods:
            continue
        # a percentage may be written as a fraction or its complement; other numbers not
        # (else 'at least 100 pills' counted as used by any coefficient 1)
        forms = [n.value, n.value / 100.0, 1.0 - n.value / 100.0] if n.percent else [n.value]
        if not any(close(form, u) for form in forms for u in used) and \
                n.text.strip() not in missing:
            missing.append(n.text.strip())
    if not missing:
        return None
    return Check(code="unused_numbers", severity="warning", names=missing, message=(
        f"The text states {', '.join(missing)}, which the model never uses. If a number is "
        "data, add the missing constraint or coefficient."))


def _var_words(v: Any) -> set[str]:
    return {textcues.stem(w) for w in textcues.words(v.name) + textcues.words(v.description)
            if len(w) > 2}


def integer_cues(text: str, f: Formulation) -> Check | None:
    """Continuous variables that count things the text counts in whole numbers."""
    things = textcues.counted_things(text)
    if not things:
        return None
    flagged = [v.name for v in f.variables
               if v.domain == "continuous" and _var_words(v) & things]
    if not flagged:
        return None
    return Check(code="integer_cue", severity="warning", names=flagged, where=flagged[0],
                 message=(f"The variables {', '.join(flagged)} count whole things (trucks, "
                          "people, units...), but are continuous: make them \"integer\" if "
                          "fractions make no sense."))


_MEASURE_QUESTION = re.compile(
    r"\bhow many\s+(?P<unit>minutes|hours|seconds|kilograms|kg|grams|liters|litres|gallons|"
    r"tons|tonnes|pounds|ounces|acres|square (?:feet|foot|meters|metres)|ml|milliliters)\b")


_PER_MEASURE = re.compile(
    r"\b(?:per|each|every)\s+(?P<unit>kilograms?|kg|grams?|liters?|litres?|gallons?|pounds?|lbs?|tons?|"
    r"tonnes?|ounces?|ml|milliliters?)\b")


def measure_integers(text: str, f: Formulation) -> Check | None:
    """Every decision integer while the question asks for an amount of a measure ("how many
    minutes should each machine run") or the text prices and describes the goods per unit of
    mass or volume ("Feed A costs $100 per kilogram", "each kg of corn costs $0.30"): such
    amounts need not be whole."""
    lowered = text.lower()
    asked = _MEASURE_QUESTION.search(lowered)
    cue = asked or _PER_MEASURE.search(lowered)
    if cue is None or not f.variables or \
            any(v.domain != "integer" or v.index for v in f.variables):
        return None
    names = [v.name for v in f.variables]
    why = ("asks how many " if asked else "measures the goods per ") + cue.group("unit")
    return Check(code="measure_integer", severity="warning", names=names, where=names[0],
                 fix={"domains": dict.fromkeys(names, "continuous")}, message=(
                     f"The text {why}, an amount that need not be whole, but "
                     f"{', '.join(names)} are integer: make them \"continuous\"."))


_FRACTION = re.compile(r"\b(?:fractions?|proportions?|percentages?|shares?|portions?|weights?)\b")
_ONE_PICKED = re.compile(r"\b(?:exactly|at most|only|just|precisely)\s+one\b|\bone\s+of\b|"
                         r"\ba single\b|\bpick\b")


def _sums_to_one(expression: str, names: set[str]) -> bool:
    """'a + b == 1' or '1 >= a + b + c': the decisions named, each once, summed against 1."""
    parts = comparison(expression)
    if parts is None:
        return False
    left, op, right = parts
    if constant(right) is None:
        left, right = right, left
    if op not in ("==", "<=", ">=") or constant(right) != 1.0:
        return False
    terms = signed_terms(left)
    return len(terms) == len(names) >= 2 and all(
        sign == 1.0 and isinstance(t, ast.Name) for sign, t in terms) and \
        {t.id for _, t in terms if isinstance(t, ast.Name)} == names


def fraction_domains(text: str, f: Formulation) -> Check | None:
    """Whole-number decisions that are fractions: the text speaks of fractions, proportions or
    shares, the model sums its decisions to 1, and every decision is binary or integer, with no
    yes/no wording ('the fractions invested must add up to 1' written with binary stock_A and
    stock_B, which puts everything in one stock). Not where the text picks one thing ('exactly
    one of three towns', 'at most one tent', 'a single site'): then the sum to 1 is that pick,
    and a share or weight the text names is a property of the things picked."""
    low = text.lower()
    decisions = [v for v in f.variables if v.name in used_variables(f)]
    if not _FRACTION.search(low) or _YES_NO.search(low) or _ONE_PICKED.search(low) or \
            not decisions or \
            any(v.domain == "continuous" or v.index for v in decisions):
        return None
    names = {v.name for v in decisions}
    if not any(_sums_to_one(c.expression, names) for c in f.constraints if not c.for_each):
        return None
    flagged = sorted(names)
    return Check(code="fraction_domain", severity="warning", names=flagged, where=flagged[0],
                 fix={"domains": dict.fromkeys(flagged, "continuous")}, message=(
                     f"The text asks for fractions that add up to 1, but {', '.join(flagged)} "
                     f"are whole numbers, so one of them takes everything: make them "
                     f"\"continuous\"."))


_YES_NO = re.compile(r"\b(?:whether|or not|which (?:of|one)|either|select|choose|decide to|"
                     r"open|yes|if (?:it|they|the)\b)")
_HOW_MANY = re.compile(r"\b(?:how many|number of)\b")


def _binary_bound(expression: str, names: set[str]) -> bool:
    """Whether the constraint only bounds one of ``names`` by 0 and 1 ('0 <= x <= 1',
    'x <= 1'), as a binary domain does."""
    body = parse_tree(expression)
    if isinstance(body, ast.Expression):
        body = body.body
    if not isinstance(body, ast.Compare):
        return False
    operands = [body.left, *body.comparators]
    variables = [o for o in operands if isinstance(o, ast.Name)]
    numbers = [o.value for o in operands if isinstance(o, ast.Constant)]
    if len(variables) != 1 or variables[0].id not in names or \
            len(numbers) != len(operands) - 1 or not set(numbers) <= {0, 1} or \
            not all(isinstance(op, (ast.LtE, ast.Lt, ast.GtE, ast.Gt)) for op in body.ops):
        return False
    return 1 in numbers


def binary_counts(text: str, f: Formulation) -> Check | None:
    """Binary variables that count things: their words name what the text counts ('number of
    trucks') and no whole-number variable counts it already (a fixed-charge model's yes/no
    'build_trucks' beside an integer 'trucks' is fine), or every variable is binary and the
    text asks how many without any yes/no wording."""
    binary = [v for v in f.variables if v.domain == "binary"]
    if not binary:
        return None
    things = textcues.counted_things(text)
    counted_elsewhere: set[str] = set()
    for v in f.variables:
        if v.domain != "binary":
            counted_elsewhere |= _var_words(v)
    flagged = [v.name for v in binary if (_var_words(v) & things) - counted_elsewhere]
    low = text.lower()
    used = used_variables(f)
    decisions = [v for v in f.variables if v.name in used] or f.variables
    if not flagged and all(v.domain == "binary" for v in decisions) and \
            _HOW_MANY.search(low) and not _YES_NO.search(low):
        flagged = [v.name for v in binary]
    if not flagged:
        return None
    fix: dict[str, dict[str, str]] = {"domains": dict.fromkeys(flagged, "integer")}
    restated = [c.name for c in f.constraints if _binary_bound(c.expression, set(flagged))]
    if restated:  # '0 <= catalyst <= 1' only restates the binary domain: it goes with it
        fix["drop"] = dict.fromkeys(restated, "")
    return Check(code="binary_count", severity="warning", names=flagged, where=flagged[0],
                 fix=fix, message=(
                     f"The variables {', '.join(flagged)} are binary (only 0 or 1), but the text "
                     "asks how many: declare counts as \"integer\", not \"binary\"; keep "
                     "binary only for yes/no decisions."))


def objective_sense(text: str, f: Formulation) -> Check | None:
    wanted = textcues.goal_sense(text)
    if wanted is None or wanted == f.objective.sense:
        return None
    return Check(code="objective_sense", severity="warning", where="objective",
                 fix={"objective": {"sense": wanted}}, message=(
        f"The text asks to {wanted}, but the objective is set to {f.objective.sense}."))


def _clause(low: str, at: int) -> str:
    """The clause of the sentence ``low`` around position ``at``: between commas or
    semicolons."""
    begin = max(low.rfind(",", 0, at), low.rfind(";", 0, at)) + 1
    ends = [i for i in (low.find(",", at), low.find(";", at)) if i >= 0]
    return low[begin:min(ends) if ends else len(low)]


def limit_equalities(text: str, f: Formulation) -> list[Check]:
    """Equalities on quantities the text describes as limits or availabilities."""
    out = []
    said = textcues.sentences(text)
    pinned = {name for name, *_ in bound_cues.pinned_bounds(text, f)}  # fixed by bound checks
    for c in f.constraints:
        if c.name in pinned:
            continue
        tree = parse_tree(c.expression)
        if not isinstance(tree, ast.Compare) or not any(isinstance(o, ast.Eq) for o in tree.ops):
            continue
        if any(stock_named(n) for n in _names(tree)) and len(_names(tree)) >= 3:
            continue  # a stock balance: its number is a period's demand, not a limit
        consts = constants(tree) - {0.0, 1.0}
        name_words = {textcues.stem(w) for w in textcues.words(c.name) if len(w) > 3}
        for sentence in said:
            found = [n for n in textcues.numbers_in_text(sentence) if n.value in consts]
            words = {textcues.stem(w) for w in textcues.words(sentence)}
            if not (found or (not consts and name_words and name_words <= words)):
                continue
            low = sentence.lower()
            # the clause of the number: 'must weigh 100 kg, contain at least 20% protein'
            # says nothing of a limit on the 100
            where = " ".join(_clause(low, n.start) for n in found) if found else low
            limit = textcues.LIMIT_PHRASES.search(where)
            if limit and not textcues.EXACT_PHRASES.search(low):
                op = ">=" if any(k in limit.group(0) for k in ("least", "less", "minimum")) \
                    else "<="
                out.append(Check(code="limit_equality", severity="warning",
                                 where=f"constraint '{c.name}'", names=[c.name], message=(
                                     f"Constraint '{c.name}' is an equality, but the text says "
                                     f"\"{limit.group(0)}\" (\"{sentence[:120]}\"): use {op} "
                                     "unless the amount must be met exactly.")))
                break
    return out


def _names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def strict_inequalities(f: Formulation) -> list[Check]:
    """Strict < or > on whole-number variables: the solver reads 'x < 10' as 'x <= 9', which
    is wrong when the text meant 'at most 10'. (On continuous variables a strict inequality
    is solved as non-strict, which changes nothing, so it is only noted.)"""
    whole = {v.name for v in f.variables if v.domain != "continuous"}
    out = []
    for c in f.constraints:
        tree = parse_tree(c.expression)
        if not (isinstance(tree, ast.Compare) and any(isinstance(o, (ast.Lt, ast.Gt))
                                                       for o in tree.ops)):
            continue
        if _names(tree) & whole:
            out.append(Check(code="strict_inequality", severity="warning",
                             where=f"constraint '{c.name}'", names=[c.name], message=(
                                 f"Constraint '{c.name}' uses a strict < or > on whole numbers, "
                                 "read as 'x < 10' -> 'x <= 9'. Write <= or >= as the text "
                                 "means it: 'at most 10' is <= 10, 'fewer than 10' is <= 9.")))
        else:
            out.append(Check(code="strict_inequality", severity="info",
                             where=f"constraint '{c.name}'", names=[c.name], message=(
                                 f"Constraint '{c.name}' uses a strict < or >, solved as <= or "
                                 ">= (continuous models have no strict bounds).")))
    return out


_POINTS = (0.0, 1.0, 2.718281828, 7.389056099)  # distinct values for the variables, per point


def vacuous_constraints(f: Formulation) -> list[Check]:
    """Constraints whose two sides are the same quantity ('3*a <= 3*a', '45*rye == 45*rye'):
    they hold whatever the decisions, so the limit the line was meant to state is missing. A
    small model writes them when asked for a line it cannot read from the text."""
    names = [v.name for v in f.variables if not v.index]
    out = []
    for c in f.constraints:
        tree = parse_tree(c.expression)
        if c.for_each or not (isinstance(tree, ast.Compare) and len(tree.ops) == 1):
            continue
        if not _names(tree) or not _names(tree) <= set(names):
            continue
        same = True
        for k, base in enumerate(_POINTS):
            point = {n: base + (i + 1) * (k + 1) * 0.618 for i, n in enumerate(names)}
            left, right = value_at(tree.left, point), value_at(tree.comparators[0], point)
            if left is None or right is None or \
                    abs(left - right) > 1e-9 * (1.0 + abs(left) + abs(right)):
                same = False
                break
        if same:
            out.append(Check(code="vacuous", severity="warning", where=f"constraint '{c.name}'",
                             names=[c.name], message=(
                                 f"Constraint '{c.name}' ({c.expression}) compares a quantity "
                                 "with itself, so it always holds and limits nothing. Write the "
                                 "limit the text states, or remove the line if it states "
                                 "none.")))
    return out


def _mentioned(text: str, names: set[str]) -> set[str]:
    tree = parse_tree(text)
    return set() if tree is None else _names(tree) & names


def detached_constraints(f: Formulation) -> Check | None:
    """Constraints over variables the objective cannot feel: none of them is in the objective,
    nor tied to one of its variables through a chain of constraints. Such a constraint cannot
    change the optimum (only make the model infeasible), so the limit it was meant to put on
    the decisions is missing. A small model writes one when it names a new quantity ('oven
    minutes of loaves') instead of writing it in the decisions it has (10*loaves)."""
    names = {v.name for v in f.variables}
    reached = _mentioned(f.objective.expression, names)
    if not reached:  # a feasibility model, or an objective of parameters alone: no verdict
        return None
    rows = [(c, _mentioned(c.expression, names)) for c in f.constraints]
    grew = True
    while grew:  # the variables tied to the objective's through the constraints
        grew = False
        for _, used in rows:
            if used & reached and not used <= reached:
                reached |= used
                grew = True
    detached = [c.name for c, used in rows if used and not used & reached]
    if not detached:
        return None
    loose = sorted({n for c, used in rows if c.name in detached for n in used})
    tied = sorted(_mentioned(f.objective.expression, names))
    return Check(code="detached", severity="warning", names=detached,
                 where=f"constraint '{detached[0]}'", message=(
                     f"Constraint(s) {', '.join(repr(n) for n in detached)} use only "
                     f"{', '.join(loose)}, which the objective neither uses nor is tied to "
                     "through any constraint, so they limit nothing the objective depends on. "
                     f"Write the limit in the decisions the objective uses ({', '.join(tied)}), "
                     "or remove the extra variables."))


def constant_objective(text: str, f: Formulation) -> Check | None:
    """An objective that uses no decision variable (``max(7, 5, 4, 6)`` for a makespan): every
    feasible choice scores the same, so the answer's decisions are arbitrary and its
    objective a number the model computed by hand. A constant 0 is a feasibility model, unless
    the text asks to minimize or maximize something."""
    names = {v.name for v in f.variables}
    tree = parse_tree(f.objective.expression)
    if tree is None or _names(tree) & names:
        return None
    if constants(tree) <= {0.0} and textcues.goal_sense(text) is None:
        return None
    return Check(code="constant_objective", severity="warning", where="objective", message=(
        f"The objective ({f.objective.expression}) uses no decision variable, so every "
        "choice scores the same and the decisions are not optimized. Write the quantity the "
        f"text asks to {f.objective.sense} in the variables ({', '.join(sorted(names)[:6])}), "
        "with a variable and constraints for a largest or smallest value where it asks for "
        "one."))


def trivial_solution(f: Formulation, result: SolveResult) -> Check | None:
    """All decisions zero with objective zero: usually a requirement is missing or reversed."""
    if not result.ok or abs(result.objective or 0.0) > 1e-9 or not result.values:
        return None
    flat: list[float] = []
    walk_numbers(result.values, flat)
    if any(abs(x) > 1e-9 for x in flat):
        return None
    return Check(code="all_zero", severity="warning", message=(
        "Every decision is zero and so is the objective: a requirement from the text (a demand, "
        "a minimum) is probably missing, or an inequality is reversed."))


def model_replacements(text: str, f: Formulation,
                       result: SolveResult | None = None) -> list[Check]:
    """The checks whose fix writes the whole model from the text alone (a shortest route, a bin
    packing, a shift roster, a project schedule, a tour): they apply to a model that did not
    build (no result) as well."""
    return [*route_lengths(text, f, result), *bin_counts(text, f, result),
            *shift_starts(text, f, result), *project_lengths(text, f, result),
            *tour_lengths(text, f, result)]


def solution_checks(text: str, f: Formulation, result: SolveResult | None) -> list[Check]:
    """Every check of an attempt that produced a formulation (and maybe a result)."""
    out: list[Check] = [*strict_inequalities(f), *vacuous_constraints(f)]
    detached = detached_constraints(f)
    if detached is not None:
        out.append(detached)
    fixed = constant_objective(text, f)
    if fixed is not None:
        out.append(fixed)
    if result is not None:
        out.extend(status_checks(result, f))
        trivial = trivial_solution(f, result)
        if trivial:
            out.append(trivial)
    out.extend(model_replacements(text, f, result))
    for check in (objective_sense(text, f), integer_cues(text, f), binary_counts(text, f),
                  measure_integers(text, f), fraction_domains(text, f),
                  unused_numbers(text, f), percents_as_whole_numbers(text, f),
                  count_objective(text, f), time_objective(text, f), item_objective(text, f)):
        if check is not None:
            out.append(check)
    out.extend(limit_equalities(text, f))
    out.extend(scaled_counts(text, f))
    out.extend(missing_counts(text, f))
    out.extend(bound_directions(text, f))
    out.extend(split_totals(text, f))
    out.extend(shared_totals(text, f))
    out.extend(missing_totals(text, f))
    out.extend(unlinked_choices(text, f))
    out.extend(unlinked_indexed_choices(text, f))
    out.extend(loop_free_terms(f))
    out.extend(assignment_sides(text, f))
    out.extend(assignment_totals(text, f))
    out.extend(time_units(text, f))
    out.extend(time_bounds(text, f))
    out.extend(forced_zero(text, f))
    out.extend(per_item_totals(text, f))
    out.extend(per_item_limit(text, f))
    out.extend(pooled_bounds(text, f))
    out.extend(ratio_directions(text, f))
    out.extend(share_of_total(text, f))
    out.extend(fence_sides(text, f))
    out.extend(fence_prices(text, f))
    out.extend(carried_stock(text, f))
    out.extend(period_pools(text, f))
    out.extend(rounded_pi(text, f))
    out.extend(cost_signs(text, f))
    out.extend(bound_rates(text, f))
    out.extend(open_top(text, f))
    out.extend(mix_shares(text, f))
    out.extend(shares_of_one(text, f))
    out.extend(average_totals(text, f))
    out.extend(stated_formula_checks(text, f))
    out.extend(conditional_minimums(text, f))
    out.extend(covariance_terms(text, f))
    out.extend(scaled_units(text, f))
    out.extend(node_variables(text, f))
    out.extend(revenue_objectives(text, f))
    out.extend(coverage_lines(text, f))
    out.extend(makespan_sums(text, f))
    out.extend(order_costs(text, f))
    out.extend(implications(text, f))
    out.extend(cost_formulas(text, f))
    out.extend(unused_parameters(f))
    return out


__all__ = [
    "Check",
    "Severity",
    "assignment_sides",
    "assignment_totals",
    "average_totals",
    "bin_counts",
    "binary_counts",
    "bound_directions",
    "bound_rates",
    "carried_stock",
    "close",
    "conditional_minimums",
    "constant_objective",
    "constants",
    "cost_formulas",
    "cost_signs",
    "count_objective",
    "covariance_terms",
    "coverage_lines",
    "detached_constraints",
    "error_check",
    "errors",
    "expressions",
    "feedback_text",
    "fence_prices",
    "fence_sides",
    "forced_zero",
    "formulation_numbers",
    "fraction_domains",
    "implications",
    "integer_cues",
    "item_objective",
    "limit_equalities",
    "loop_free_terms",
    "makespan_sums",
    "measure_integers",
    "missing_counts",
    "missing_totals",
    "mix_shares",
    "model_replacements",
    "node_variables",
    "objective_sense",
    "open_top",
    "order_costs",
    "parse_tree",
    "per_item_limit",
    "per_item_totals",
    "percents_as_whole_numbers",
    "period_pools",
    "pooled_bounds",
    "project_lengths",
    "ratio_directions",
    "revenue_objectives",
    "rounded_pi",
    "route_lengths",
    "scaled_counts",
    "scaled_units",
    "share_of_total",
    "shared_totals",
    "shares_of_one",
    "shift_starts",
    "solution_checks",
    "split_totals",
    "stated_formula_checks",
    "status_checks",
    "strict_inequalities",
    "time_bounds",
    "time_objective",
    "time_units",
    "tour_lengths",
    "trivial_solution",
    "unlinked_choices",
    "unlinked_indexed_choices",
    "unused_numbers",
    "unused_parameters",
    "walk_numbers",
    "warnings",
]
