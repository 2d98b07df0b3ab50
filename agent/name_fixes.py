"""Constraint names used as quantities, and the exact substitution that repairs them.

A small model often names a constraint after the quantity it limits and then uses that name
as if it were the quantity: ``"people": "4*kayaks + 5*boats <= 550"`` and, later,
``"kayak_share": "4*kayaks >= 0.75*people"``. The name is unknown to the model, so the
formulation does not build; what was meant is the constrained side of the named constraint,
``4*kayaks >= 0.75*(4*kayaks + 5*boats)``. Told so, the model often writes the same line
again; the substitution is mechanical, so the autofix node applies it, together with the
bare bounds of ``bare_bounds``. Three more shapes that never build are read the same way: a
bare number under a name that stands for no variable (``"apples_available": "10"``) is a
named number, and an expression in the variables alone (``"total_carts": "golf_carts +
pull_carts"``) a definition, each written into the lines that use it (one that no line uses
is kept as the unfinished constraint it is); a sentence written as a constraint is a note,
dropped. Before them, a variable declared without an index and used with fixed subscripts
(``warehouse[0]``) becomes variables of their own (``subscripted_scalars``).
"""

from __future__ import annotations

import re

from optiform.agent.bare_bounds import (
    IDENTIFIER,
    bare_bound_fixes,
    named_variable,
    number_value,
    parses,
    total_members,
)
from optiform.agent.check_model import Check
from optiform.agent.subscripted_scalars import subscripted_scalars
from optiform.solvers.formulation import ConstraintDef, Formulation, VarDef

_COMPARISON = re.compile(r"<=|>=|==|<|>")


def constrained_side(expression: str, variables: set[str]) -> str | None:
    """The side of a two-sided comparison that holds variables, when exactly one does."""
    sides = _COMPARISON.split(expression)
    if len(sides) != 2:
        return None
    with_variables = [s.strip() for s in sides if set(IDENTIFIER.findall(s)) & variables]
    return with_variables[0] if len(with_variables) == 1 else None


def is_prose(expression: str) -> bool:
    """A 'constraint' that is a sentence (a note the model wrote into the model): it does not
    parse, holds no comparison and has at least five words."""
    return not parses(expression) and not _COMPARISON.search(expression) and \
        len(re.findall(r"[A-Za-z]{2,}", expression)) >= 5


def _definition(name: str, expression: str, variables: set[str]) -> bool:
    """Whether a constraint is a definition: no comparison, only variables ('total_carts':
    'golf_carts + pull_carts'), under a name that is no bound on one variable (for
    'horses_max': 'camels' see ``bare_bounds``)."""
    names = set(IDENTIFIER.findall(expression))
    return not _COMPARISON.search(expression) and parses(expression) and bool(names) and \
        names <= variables and named_variable(name, sorted(variables)) is None


def _total_definition(name: str, expression: str, variables: set[str]) -> bool:
    """'total_carts': 'golf_carts + pull_carts': the sum a total's name stands for, which
    states nothing."""
    members = total_members(name, sorted(variables))
    return bool(members) and \
        re.sub(r"\s+", "", expression) in {"+".join(members), "+".join(reversed(members))}


def substitutions(f: Formulation) -> dict[str, dict[str, str]]:
    """``{"constraints": {name: new expression}, "objective": {"expression": ...}}`` for every
    expression that uses a constraint's name as a quantity (a name that is not also a
    variable, parameter or set); a constraint's own name is left alone. A "constraint" that is
    a bare number under a name that stands for no variable is a named number, and one that
    is an expression in the variables alone is a definition: each is written into the
    expressions that use it and dropped (``"drop": {name: why}``); a named number or a
    definition nothing uses is kept (it is an unfinished constraint: "demand1": "200", whose
    drop would lose the demand) unless it is the sum its total's name says.
    Empty when none."""
    declared = {v.name for v in f.variables} | {p.name for p in f.parameters} | \
        {s.name for s in f.sets}
    variables = {v.name for v in f.variables}
    quantities = {}
    constants = []  # "apples_available": "10" is a named number, not a constraint
    notes = [c.name for c in f.constraints if is_prose(c.expression)]
    definitions = []  # "total_carts": "golf_carts + pull_carts" names a quantity
    for c in f.constraints:
        if c.name in declared or c.for_each or c.name in notes:
            continue
        if number_value(c.expression) is not None and \
                named_variable(c.name, list(variables)) is None and \
                not total_members(c.name, sorted(variables)):  # 'total_kegs' is a bound
            quantities[c.name] = c.expression.strip()
            constants.append(c.name)
            continue
        side = constrained_side(c.expression, variables)
        if side is not None:
            quantities[c.name] = side
        elif _definition(c.name, c.expression, variables):
            quantities[c.name] = c.expression.strip()
            definitions.append(c.name)

    def substitute(text: str, own: str | None) -> str:
        if not parses(text):  # prose or broken syntax: no name in it is a quantity
            return text
        return IDENTIFIER.sub(lambda m: f"({quantities[m.group(0)]})"
                         if m.group(0) in quantities and m.group(0) != own else m.group(0), text)

    out: dict[str, dict[str, str]] = {}
    used = {n for text in [f.objective.expression, *(c.expression for c in f.constraints)]
            if parses(text) for n in IDENTIFIER.findall(text)}
    drop = {name: "a named number, written into the expressions that use it"
            for name in constants if name in used}
    drop.update(dict.fromkeys(notes, "a sentence, not a constraint"))
    drop.update({name: "a definition, written into the expressions that use it"
                 for name in definitions
                 if name in used or _total_definition(name, quantities[name], variables)})
    if drop:
        out["drop"] = drop
    if not quantities:
        return out
    objective = substitute(f.objective.expression, None)
    if objective != f.objective.expression:
        out["objective"] = {"expression": objective}
    for c in f.constraints:
        if c.name in drop:
            continue
        new = substitute(c.expression, c.name)
        if new != c.expression:
            out.setdefault("constraints", {})[c.name] = new
    return out


_AND = re.compile(r"\s+and\s+|\s*&&?\s*|\s*;\s*")


def _joined_parts(expression: str) -> list[str]:
    """The pieces of an expression joined by 'and', '&', ';' or a comma outside brackets
    ('a >= 30, b >= 40' is two comparisons; 'min(a, b) <= 3' is one)."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(expression):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            pieces.append(expression[start:i])
            start = i + 1
    pieces.append(expression[start:])
    return [p.strip() for piece in pieces for p in _AND.split(piece) if p.strip()]


def conjunctions(f: Formulation) -> dict[str, str]:
    """``{name: first, name_2: second, ...}`` for each constraint written as comparisons
    joined by 'and' or commas ('regular <= 8 and premium <= 6', 'a + b >= 30, c >= 40'):
    one constraint each."""
    names = {c.name for c in f.constraints}
    out: dict[str, str] = {}
    for c in f.constraints:
        if c.for_each:
            continue
        parts = _joined_parts(c.expression.strip())
        if len(parts) < 2 or not all(_COMPARISON.search(p) and parses(p) for p in parts):
            continue
        out[c.name] = parts[0]
        n = 2
        for part in parts[1:]:
            while f"{c.name}_{n}" in names or f"{c.name}_{n}" in out:
                n += 1
            out[f"{c.name}_{n}"] = part
    return out


def _updated(f: Formulation, fix: dict[str, dict[str, str]]) -> Formulation:
    """``f`` with a fix's objective, constraint changes (new names added), drops and new
    variables."""
    if not fix:
        return f
    changes, drop = fix.get("constraints", {}), fix.get("drop", {})
    known = {c.name for c in f.constraints}
    constraints = [c.model_copy(update={"expression": changes.get(c.name, c.expression)})
                   for c in f.constraints if c.name not in drop]
    constraints += [ConstraintDef(name=name, expression=expression)
                    for name, expression in changes.items() if name not in known]
    have = {v.name for v in f.variables}
    variables = [*f.variables, *(VarDef(name=name, domain=domain)
                                 for name, domain in fix.get("variables", {}).items()
                                 if name not in have)]
    return f.model_copy(update={
        "objective": f.objective.model_copy(update=fix.get("objective", {})),
        "constraints": constraints, "variables": variables})


def _share_fixes(f: Formulation, text: str) -> dict[str, str]:
    """Shares the model wrote as no comparison at all ('canoe_trips': '0.6*300' for "at
    least 60% of the trips are by canoe"), completed as the share of the total."""
    from optiform.agent.share_check import share_fixes

    broken = {c.name for c in f.constraints
              if not c.for_each and not _COMPARISON.search(c.expression)}
    if not broken or not text:
        return {}
    return {fix.constraint: fix.expression for fix in share_fixes(text, f)
            if fix.constraint in broken}


def static_fixes(f: Formulation, text: str = "") -> dict[str, dict[str, str]]:
    """Fixed subscripts of a variable declared without an index written as variables of
    their own (``subscripted_scalars``), comparisons joined by 'and' split, the substitutions
    of constraint names, then the bare bounds and the names that stand for a variable
    (``bare_bounds``), then shares written as no comparison, each step on the result of
    those before, as one fix."""
    steps: list[dict[str, dict[str, str]]] = []
    changed = f
    for find in (subscripted_scalars, lambda g: {"constraints": s} if (s := conjunctions(g))
                 else {}, substitutions, lambda g: bare_bound_fixes(g, text),
                 lambda g: {"constraints": shares} if (shares := _share_fixes(g, text)) else {}):
        fix = find(changed)
        if fix:
            steps.append(fix)
            changed = _updated(changed, fix)
    out: dict[str, dict[str, str]] = {}
    for part in ("objective", "constraints", "drop", "variables"):
        merged = {k: v for fix in steps for k, v in fix.get(part, {}).items()}
        if merged:
            out[part] = merged
    return out


def with_name_fixes(f: Formulation, found: list[Check], text: str = "") -> list[Check]:
    """The error checks of a formulation that did not build, each given the fix of the
    expression it is about (a fix no check is about becomes its own check)."""
    fixes = static_fixes(f, text)
    if not fixes:
        return found
    parts = {"objective": {"objective": fixes["objective"]}} if "objective" in fixes else {}
    for name, expression in fixes.get("constraints", {}).items():
        parts[f"constraint '{name}'"] = {"constraints": {name: expression}}
    for name, why in fixes.get("drop", {}).items():
        parts[f"constraint '{name}'"] = {"drop": {name: why}}
    if "variables" in fixes:  # the new variables go with every part that may use them
        parts = {where: {**fix, "variables": fixes["variables"]}
                 for where, fix in parts.items()}
    out = []
    for c in found:
        fix = parts.pop(c.where, None) if c.where else None
        out.append(c.model_copy(update={"fix": fix}) if fix else c)
    out += [Check(code="incomplete", severity="error", where=where, fix=fix,
                  message=f"{where} uses a name that is no variable, or is no comparison")
            for where, fix in parts.items()]
    return out
