"""Pyomo component names for a formulation's sets, variables, objective and constraints.

A formulation name becomes the Pyomo component of the same name unless Pyomo's Block already
uses it (``name``, ``display``, ``component``...) or another component took it; then an
underscore is appended. The backend and the exported script share this map, so constraint
names in an IIS and keys of values line up with the formulation.
"""

from __future__ import annotations

import ast
import keyword
from dataclasses import dataclass, field
from typing import Any

from optiform.solvers.formulation import Formulation


def block_attributes() -> frozenset[str]:
    """Attribute names a Pyomo ConcreteModel already has (components must not take them)."""
    import pyomo.environ as pyo

    return frozenset(dir(pyo.ConcreteModel()))


@dataclass
class ComponentNames:
    """Formulation name -> Pyomo component name, plus the names of split constraint pieces."""

    sets: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # indexed parameters (scripts)
    variables: dict[str, str] = field(default_factory=dict)
    constraints: dict[str, list[str]] = field(default_factory=dict)  # one per piece
    objective: str = "objective"
    zero: str = "optiform_zero"
    formulation_of: dict[str, str] = field(default_factory=dict)  # component -> formulation


def component_names(f: Formulation, pieces: dict[str, int] | None = None,
                    taken: frozenset[str] | None = None) -> ComponentNames:
    """Allocate component names; ``pieces`` says how many components a constraint needs."""
    used: set[str] = set(taken if taken is not None else block_attributes())
    out = ComponentNames()

    def alloc(wanted: str, *, indexed: bool) -> str:
        name = wanted
        while name in used or keyword.iskeyword(name) or (indexed and f"{name}_index" in used):
            name += "_"
        used.add(name)
        if indexed:
            used.add(f"{name}_index")
        return name

    for s in f.sets:
        out.sets[s.name] = alloc(s.name, indexed=False)
    for p in f.parameters:
        if p.index:
            out.params[p.name] = alloc(p.name, indexed=len(p.index) > 1)
    for v in f.variables:
        out.variables[v.name] = alloc(v.name, indexed=bool(v.index))
        out.formulation_of[out.variables[v.name]] = v.name
    for c in f.constraints:
        count = (pieces or {}).get(c.name, 1)
        names = [alloc(c.name if k == 0 else f"{c.name}_{k + 1}", indexed=True)
                 for k in range(count)]
        out.constraints[c.name] = names
        for n in names:
            out.formulation_of[n] = c.name
    out.objective = alloc("objective", indexed=False)
    out.zero = alloc("optiform_zero", indexed=False)
    return out


def mentions_variable(node: ast.AST, variables: dict[str, int] | set[str]) -> bool:
    """True when the expression tree refers to a decision variable."""
    return any(isinstance(n, ast.Name) and n.id in variables for n in ast.walk(node))


def constraint_pieces(body: ast.Compare, variables: dict[str, int] | set[str]
                      ) -> list[tuple[ast.expr, ast.cmpop, ast.expr]] | None:
    """Split a chained comparison into pairwise pieces; None when it is a ranged constraint.

    ``lo <= e <= hi`` (the same operator twice, no variables at either end) stays one ranged
    constraint; any other chain, ``lo <= e < hi`` too (its ends differ in strictness), becomes
    one piece per comparison operator.
    """
    ops = body.ops
    nodes = [body.left, *body.comparators]
    if (len(ops) == 2 and type(ops[0]) is type(ops[1]) and _direction(ops[0]) != 0
            and not mentions_variable(nodes[0], variables)
            and not mentions_variable(nodes[2], variables)):
        return None
    return [(nodes[k], ops[k], nodes[k + 1]) for k in range(len(ops))]


def _direction(op: ast.cmpop) -> int:
    if isinstance(op, (ast.Lt, ast.LtE)):
        return -1
    if isinstance(op, (ast.Gt, ast.GtE)):
        return 1
    return 0


def piece_counts(parsed: Any) -> dict[str, int]:
    """How many Pyomo constraint components each parsed constraint needs."""
    out = {}
    for pc in parsed.constraints:
        pieces = constraint_pieces(pc.body, parsed.scope.variables)
        out[pc.name] = 1 if pieces is None else len(pieces)
    return out


def index_key(index: Any) -> str:
    """A Pyomo index as a values key: elements joined by ',' (one holding a comma quoted)."""
    from optiform.solvers.values import element_text

    return element_text(index)
