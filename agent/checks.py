"""Checks: what went wrong, or looks wrong, with one attempt, as feedback an LLM can act on.

Each check is a pure function of the problem text, the Formulation and/or the SolveResult.
Errors (the model does not build or does not solve) always trigger a repair; warnings are
heuristics (a number never used, an integer cue on a continuous variable...) and trigger one
repair at most each, with the instruction to keep the model when a warning does not apply.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from optiform.agent import bound_cues, ratio_cues, share_check, textcues
from optiform.errors import FormulationError, OptiformError
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult, Status

Severity = Literal["error", "warning", "info"]


class Check(BaseModel):
    code: str
    severity: Severity
    message: str
    where: str | None = None
    names: list[str] = Field(default_factory=list)
    # an exact correction the check is sure of, applied by the autofix node:
    # {"constraints": {name: new expression}, "domains": {variable: new domain}}
    fix: dict[str, dict[str, str]] | None = None

    @property
    def key(self) -> str:
        return f"{self.code}:{self.where or ''}"


# -- errors: the attempt did not build or did not solve ----------------------------------


def error_check(exc: BaseException) -> Check:
    """A parse, validation or output error, with where it is when the error knows."""
    if isinstance(exc, FormulationError):
        return Check(code="invalid", severity="error", message=str(exc), where=exc.where)
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


def _expressions(f: Formulation) -> list[tuple[str, str]]:
    out = [("objective", f.objective.expression)]
    for c in f.constraints:
        out.append((f"constraint '{c.name}'", c.expression))
        if c.for_each:
            out.append((f"constraint '{c.name}'", c.for_each))
    return out


def _tree(text: str) -> ast.AST | None:
    from optiform.solvers.expr import parse

    try:
        return parse(text)
    except FormulationError:
        return None


def _walk_numbers(value: Any, out: list[float]) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        out.append(float(value))
    elif isinstance(value, dict):
        for v in value.values():
            _walk_numbers(v, out)
    elif isinstance(value, list):
        for v in value:
            _walk_numbers(v, out)


def formulation_numbers(f: Formulation) -> list[float]:
    """Every number written in a formulation: constants, parameter values, bounds, elements."""
    out: list[float] = []
    for _, text in _expressions(f):
        tree = _tree(text)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
                out.append(float(node.value))
    for p in f.parameters:
        _walk_numbers(p.value, out)
        _walk_numbers(p.values, out)
    for v in f.variables:
        _walk_numbers([v.lb, v.ub], out)
    for s in f.sets:
        _walk_numbers(s.elements, out)
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * (1.0 + abs(a))


def unused_numbers(text: str, f: Formulation) -> Check | None:
    """Numbers stated in the text that the formulation never uses (0 and 1 are left out)."""
    used = formulation_numbers(f)
    missing: list[str] = []
    for n in textcues.numbers_in_text(text):
        if n.value in (0.0, 1.0):
            continue
        forms = [n.value, n.value / 100.0, 1.0 - n.value / 100.0]
        if not any(_close(form, u) for form in forms for u in used) and \
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


_YES_NO = re.compile(r"\b(?:whether|or not|which (?:of|one)|either|select|choose|decide to|"
                     r"open|yes|if (?:it|they|the)\b)")
_HOW_MANY = re.compile(r"\b(?:how many|number of)\b")


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
    if not flagged and len(binary) == len(f.variables) and _HOW_MANY.search(low) and \
            not _YES_NO.search(low):
        flagged = [v.name for v in binary]
    if not flagged:
        return None
    return Check(code="binary_count", severity="warning", names=flagged, where=flagged[0],
                 fix={"domains": dict.fromkeys(flagged, "integer")}, message=(
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


def _constants(tree: ast.AST) -> set[float]:
    return {float(n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, (int, float))
            and not isinstance(n.value, bool)}


def limit_equalities(text: str, f: Formulation) -> list[Check]:
    """Equalities on quantities the text describes as limits or availabilities."""
    out = []
    said = textcues.sentences(text)
    for c in f.constraints:
        tree = _tree(c.expression)
        if not isinstance(tree, ast.Compare) or not any(isinstance(o, ast.Eq) for o in tree.ops):
            continue
        consts = _constants(tree) - {0.0, 1.0}
        name_words = {textcues.stem(w) for w in textcues.words(c.name) if len(w) > 3}
        for sentence in said:
            nums = {n.value for n in textcues.numbers_in_text(sentence)}
            words = {textcues.stem(w) for w in textcues.words(sentence)}
            if not (consts & nums or (not consts and name_words and name_words <= words)):
                continue
            low = sentence.lower()
            limit = textcues.LIMIT_PHRASES.search(low)
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
        tree = _tree(c.expression)
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


def trivial_solution(f: Formulation, result: SolveResult) -> Check | None:
    """All decisions zero with objective zero: usually a requirement is missing or reversed."""
    if not result.ok or abs(result.objective or 0.0) > 1e-9 or not result.values:
        return None
    flat: list[float] = []
    _walk_numbers(result.values, flat)
    if any(abs(x) > 1e-9 for x in flat):
        return None
    return Check(code="all_zero", severity="warning", message=(
        "Every decision is zero and so is the objective: a requirement from the text (a demand, "
        "a minimum) is probably missing, or an inequality is reversed."))


def share_of_total(text: str, f: Formulation) -> list[Check]:
    """'At most 40% of the concerts are R&B' written against the wrong base, or missing."""
    out = []
    for fix in share_check.share_fixes(text, f):
        out.append(Check(code="share_of_total", severity="warning",
                         where=f"constraint '{fix.constraint}'", names=[fix.constraint],
                         fix={"constraints": {fix.constraint: fix.expression}}, message=(
                             f"The text says \"{fix.cue.sentence[:140]}\": that is "
                             f"{fix.expression}, a share of the total of all of them.")))
    return out


def percents_as_whole_numbers(text: str, f: Formulation) -> Check | None:
    """'35 percent' written as 35 instead of 0.35 (and 0.35 nowhere in the model)."""
    used = formulation_numbers(f)
    flagged = []
    for n in textcues.numbers_in_text(text):
        if not n.percent or n.value in (0.0, 100.0):
            continue
        as_fraction = [n.value / 100.0, 1.0 - n.value / 100.0]
        if any(_close(n.value, u) for u in used) and \
                not any(_close(x, u) for x in as_fraction for u in used):
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
    r"\b(?:minimi[sz]e|reduce|minimum|fewest)\b[^.?!]{0,25}?\b(?:total\s+)?number\s+of\s+"
    r"(?P<noun>[a-z-]+(?:\s+[a-z-]+)?)")
_MEASURES = frozenset(textcues.stem(w) for w in re.findall(r"\w+", (
    "people person customers patients hours minutes days dollars calories grams units kg tons "
    "liters gallons miles km pounds trips visits")))


def _weighted(expression: str) -> bool:
    tree = _tree(expression)
    return tree is not None and any(
        isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and any(
            isinstance(s, ast.Constant) and isinstance(s.value, (int, float))
            and s.value not in (0, 1) for s in (n.left, n.right))
        for n in ast.walk(tree))


def count_objective(text: str, f: Formulation) -> Check | None:
    """'Minimize the total number of workers' with a weighted (cost-like) objective."""
    m = _COUNT_GOAL.search(text.lower())
    if not m or f.objective.sense != "minimize" or not _weighted(f.objective.expression):
        return None
    noun = m.group("noun")
    if textcues.stem(noun.split()[0]) in _MEASURES:
        return None
    names = " + ".join(v.name for v in f.variables[:4])
    # when every decision is a whole-number count of a few kinds of things, "the total number"
    # is their sum: exact enough to apply; otherwise the LLM is told
    sure = len(f.variables) <= 4 and all(v.domain == "integer" and not v.index
                                         for v in f.variables)
    return Check(code="count_objective", severity="warning", where="objective",
                 fix={"objective": {"expression": names}} if sure else None, message=(
        f"The text asks for the fewest {noun} (\"{m.group(0)}\"), but the objective weighs the "
        f"decisions: if it counts the decisions themselves, the objective is their plain sum "
        f"(e.g. {names}), without costs or sizes."))


def bound_directions(text: str, f: Formulation) -> list[Check]:
    """Bounds written in the other direction than the words before their number say."""
    out = []
    expressions = {c.name: c.expression for c in f.constraints}
    for name, direction, value, cue in bound_cues.reversed_bounds(text, f):
        kind = "a requirement" if cue.direction == ">=" else "a limit"
        fixed = bound_cues.flipped(expressions[name])
        out.append(Check(code="bound_direction", severity="warning", where=f"constraint '{name}'",
                         names=[name], fix={"constraints": {name: fixed}} if fixed else None,
                         message=(
                             f"Constraint '{name}' says {direction} {value:g}, but the text says "
                             f"\"{cue.phrase}\" for {value:g} (\"{cue.sentence[:120]}\"): that "
                             f"is {kind}, {cue.direction} {value:g}.")))
    return out


def ratio_directions(text: str, f: Formulation) -> list[Check]:
    """'At least twice as many A as B' written with the factor on A (or the sign reversed)."""
    out = []
    for name, cue in ratio_cues.reversed_ratios(text, f):
        right = f"{cue.subject} {cue.direction} {cue.factor:g}*{cue.object}"
        out.append(Check(code="ratio_direction", severity="warning", where=f"constraint '{name}'",
                         names=[name], fix={"constraints": {name: right}}, message=(
                             f"Constraint '{name}' does not match the text \"{cue.sentence[:140]}"
                             f"\": that is {cue.subject} {cue.direction} {cue.factor:g}*"
                             f"{cue.object} (the factor goes with {cue.object}).")))
    return out


def solution_checks(text: str, f: Formulation, result: SolveResult | None) -> list[Check]:
    """Every check of an attempt that produced a formulation (and maybe a result)."""
    out: list[Check] = list(strict_inequalities(f))
    if result is not None:
        out.extend(status_checks(result, f))
        trivial = trivial_solution(f, result)
        if trivial:
            out.append(trivial)
    for check in (objective_sense(text, f), integer_cues(text, f), binary_counts(text, f),
                  unused_numbers(text, f), percents_as_whole_numbers(text, f),
                  count_objective(text, f)):
        if check is not None:
            out.append(check)
    out.extend(limit_equalities(text, f))
    out.extend(bound_directions(text, f))
    out.extend(ratio_directions(text, f))
    out.extend(share_of_total(text, f))
    return out


def errors(checks: list[dict[str, Any]] | list[Check]) -> list[Check]:
    return [c for c in _models(checks) if c.severity == "error"]


def warnings(checks: list[dict[str, Any]] | list[Check]) -> list[Check]:
    return [c for c in _models(checks) if c.severity == "warning"]


def _models(checks: list[dict[str, Any]] | list[Check]) -> list[Check]:
    return [c if isinstance(c, Check) else Check.model_validate(c) for c in checks]


def feedback_text(checks: list[Check]) -> str:
    """Numbered feedback lines; warnings say they may not apply."""
    lines = []
    for i, c in enumerate(checks, 1):
        tag = "error" if c.severity == "error" else "check (may not apply)"
        lines.append(f"{i}. [{tag}] {c.message}")
    return "\n".join(lines)
