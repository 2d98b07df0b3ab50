"""The shape of a check's finding, and the helpers every check reads a formulation with."""

from __future__ import annotations

import ast
from typing import Any, Literal

from pydantic import BaseModel, Field

from optiform.errors import FormulationError
from optiform.solvers.formulation import Formulation

Severity = Literal["error", "warning", "info"]


class Check(BaseModel):
    code: str
    severity: Severity
    message: str
    where: str | None = None
    names: list[str] = Field(default_factory=list)
    # an exact correction the check is sure of, applied by the autofix node:
    # {"constraints": {name: new expression}, "for_each": {constraint: new index head},
    #  "domains": {variable: new domain},
    #  "objective": {"sense" | "expression": new}, "drop": {constraint: why},
    #  "variables": {new variable: domain}, "parameters": {scalar parameter: new value},
    #  "drop_variables": {variable no expression uses any more: why}}
    fix: dict[str, dict[str, str]] | None = None

    @property
    def key(self) -> str:
        return f"{self.code}:{self.where or ''}"


def errors(checks: list[dict[str, Any]] | list[Check]) -> list[Check]:
    return [c for c in as_checks(checks) if c.severity == "error"]


def warnings(checks: list[dict[str, Any]] | list[Check]) -> list[Check]:
    return [c for c in as_checks(checks) if c.severity == "warning"]


def as_checks(checks: list[dict[str, Any]] | list[Check]) -> list[Check]:
    return [c if isinstance(c, Check) else Check.model_validate(c) for c in checks]


def feedback_text(checks: list[Check]) -> str:
    """Numbered feedback lines; warnings say they may not apply."""
    lines = []
    for i, c in enumerate(checks, 1):
        tag = "error" if c.severity == "error" else "check (may not apply)"
        lines.append(f"{i}. [{tag}] {c.message}")
    return "\n".join(lines)


def expressions(f: Formulation) -> list[tuple[str, str]]:
    out = [("objective", f.objective.expression)]
    for c in f.constraints:
        out.append((f"constraint '{c.name}'", c.expression))
        if c.for_each:
            out.append((f"constraint '{c.name}'", c.for_each))
    return out


def parse_tree(text: str) -> ast.AST | None:
    from optiform.solvers.expr import parse

    try:
        return parse(text)
    except FormulationError:
        return None


_ARITH = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
          ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}


def value_at(node: ast.AST, point: dict[str, float]) -> float | None:
    """An arithmetic expression of names and numbers (``**`` by a number included) at
    ``point``; None for anything else or where it is undefined there."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
            not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        return point.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = value_at(node.operand, point)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, power = value_at(node.left, point), value_at(node.right, point)
        if base is None or power is None or not isinstance(node.right, ast.Constant) or \
                (base < 0 and power != int(power)) or (base == 0 and power < 0) or \
                abs(power) > 16:
            return None
        return base ** power
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        a, b = value_at(node.left, point), value_at(node.right, point)
        if a is None or b is None or (isinstance(node.op, ast.Div) and b == 0):
            return None
        return _ARITH[type(node.op)](a, b)
    return None


def replacement(f: Formulation, constraints: dict[str, str], variables: dict[str, str],
                objective: dict[str, str], what: str) -> dict[str, dict[str, str]]:
    """A fix that writes the whole model anew (its lines, variables by domain and objective),
    for the checks that build a standard model from the text's data (a route, a packing, a
    schedule): the model's own lines and variables that the new one does not name go. A new
    line named like one of the model's over an index is renamed (a fix keeps a line's index)."""
    indexed = {c.name for c in f.constraints if c.for_each}
    lines: dict[str, str] = {}
    for name, expression in constraints.items():
        while name in indexed or name in lines:
            name += "_"
        lines[name] = expression
    return {"constraints": lines, "variables": variables, "objective": objective,
            "drop": {c.name: f"not a line of {what}" for c in f.constraints
                     if c.name not in lines},
            "drop_variables": {v.name: f"not a decision of {what}" for v in f.variables
                               if v.name not in variables}}


def numbered_names(taken: set[str], base: str, count: int) -> list[str]:
    """``base1 .. base<count>``, with ``_`` added to the base until none of them is taken."""
    while any(f"{base}{k}" in taken for k in range(1, count + 1)):
        base += "_"
    return [f"{base}{k}" for k in range(1, count + 1)]


def used_variables(f: Formulation) -> set[str]:
    """The variables the objective or a constraint mentions (a declared variable no expression
    uses decides nothing)."""
    names = {v.name for v in f.variables}
    used: set[str] = set()
    for _, text in expressions(f):
        tree = parse_tree(text)
        if tree is not None:
            used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in names}
    return used


def walk_numbers(value: Any, out: list[float]) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        out.append(float(value))
    elif isinstance(value, dict):
        for v in value.values():
            walk_numbers(v, out)
    elif isinstance(value, list):
        for v in value:
            walk_numbers(v, out)


def formulation_numbers(f: Formulation) -> list[float]:
    """Every number written in a formulation: constants, parameter values, bounds, elements."""
    out: list[float] = []
    for _, text in expressions(f):
        parsed = parse_tree(text)
        if parsed is None:
            continue
        for node in ast.walk(parsed):
            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
                out.append(float(node.value))
    for p in f.parameters:
        walk_numbers(p.value, out)
        walk_numbers(p.values, out)
    for v in f.variables:
        walk_numbers([v.lb, v.ub], out)
    for s in f.sets:
        walk_numbers(s.elements, out)
    return out


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * (1.0 + abs(a))


def constants(tree: ast.AST) -> set[float]:
    return {float(n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, (int, float))
            and not isinstance(n.value, bool)}
