"""A variable declared without an index, used with a fixed subscript: ``warehouse[Austin]``,
``units[0]``. The embedded 1.5B model writes this in the scalar shape of its reply (a
variable is a name and a domain there) for a choice among named places, and six repair
rounds told "'warehouse' is not indexed" did not mend it: it wrote the same subscripts again.
Each subscript names one decision, so each becomes a variable of its own with the declared
variable's domain (``warehouse_Austin``, ``units_0``), written the same way everywhere.
"""

from __future__ import annotations

import ast
import re

from optiform.solvers.formulation import Formulation

_IDENT = re.compile(r"[^0-9A-Za-z_]+")


def _key(node: ast.expr) -> str | None:
    """The text of a fixed subscript: a bare name, a number or a string, or a tuple of them."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, int | str) and \
            not isinstance(node.value, bool):
        return str(node.value)
    if isinstance(node, ast.Tuple) and node.elts:
        parts = [_key(e) for e in node.elts]
        return None if any(p is None for p in parts) else "_".join(p for p in parts if p)
    return None


def _uses(text: str, scalars: set[str], declared: set[str]) -> list[tuple[str, str, str]] | None:
    """(variable, key, written text) of each subscripted scalar; None when the text does
    not parse, or a subscript of a scalar is not fixed (x[i] in a sum: no sure name)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and \
                node.value.id in scalars:
            key = _key(node.slice)
            if key is None or key in declared:  # x[I], x[n]: a set or a number's name
                return None
            out.append((node.value.id, key, ast.get_source_segment(text.strip(), node) or ""))
    return out


def subscripted_scalars(f: Formulation) -> dict[str, dict[str, str]]:
    """``{"objective": ..., "constraints": {...}, "variables": {new: domain}}`` writing each
    fixed subscript of a scalar variable as a variable of its own; empty when there is none,
    or when one such use is not a fixed subscript. Loop names are no fixed subscripts:
    ``x[i]`` inside a sum over i is left alone."""
    scalars = {v.name for v in f.variables if not v.index}
    declared = {v.name for v in f.variables} | {p.name for p in f.parameters} | \
        {s.name for s in f.sets}
    loops = {n.id for text in [f.objective.expression, *(c.expression for c in f.constraints)]
             for node in _walk(text) if isinstance(node, ast.comprehension)
             for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    if any(c.for_each and re.search(rf"\b(?:{'|'.join(map(re.escape, scalars))})\s*\[",
                                    c.expression) for c in f.constraints if scalars):
        return {}  # a subscript under a for_each may be its loop name
    texts = {("objective", ""): f.objective.expression,
             **{("constraint", c.name): c.expression for c in f.constraints if not c.for_each}}
    found: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for where, text in texts.items():
        uses = _uses(text, scalars, declared)
        if uses is None:
            if any(re.search(rf"\b{re.escape(s)}\s*\[", text) for s in scalars):
                return {}
            continue
        if any(key in loops for _, key, _ in uses):
            return {}
        if uses:
            found[where] = uses
    if not found:
        return {}
    taken = set(declared)
    domains = {v.name: v.domain for v in f.variables}
    names: dict[tuple[str, str], str] = {}
    for uses in found.values():
        for var, key, _ in uses:
            if (var, key) not in names:
                name = f"{var}_{_IDENT.sub('_', key).strip('_')}"
                while name in taken:
                    name += "_"
                taken.add(name)
                names[(var, key)] = name
    out: dict[str, dict[str, str]] = {
        "variables": {name: domains[var] for (var, _), name in names.items()}}
    for (kind, name), uses in found.items():
        text = texts[(kind, name)]
        for var, key, written in sorted(uses, key=lambda u: -len(u[2])):
            text = text.replace(written, names[(var, key)])
        if kind == "objective":
            out["objective"] = {"expression": text}
        else:
            out.setdefault("constraints", {})[name] = text
    return out


def _walk(text: str) -> list[ast.AST]:
    try:
        return list(ast.walk(ast.parse(text.strip(), mode="eval")))
    except SyntaxError:
        return []
