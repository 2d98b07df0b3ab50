"""A sum whose loop reuses the name of an outer loop: when that is surely a mistake.

Inside ``sum(x[p] for p in P)`` written for each p, the sum's p hides the row's, as in Python.
That is right where the row's p also picks a decision variable outside the sum:
``x[p] <= sum(x[p] for p in P) / 2`` (each share at most half of the total). Where outside
the sum(s) that rebind it the outer p picks only data or stands for a number
(``sum(units[p] for p in plants) <= capacity[p]``), the rows for the different p hold the same
sum of variables and differ only in their numbers: the sum was meant per element. Where the
outer p is used nowhere else, those rows are all the same. Both are refused, with a hint for
each reading. The outer loop is a constraint's ``for_each`` or an enclosing sum (min, max).
Pure functions of the checked trees.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass

from optiform.solvers.expr import target_names
from optiform.solvers.pyomo_names import mentions_variable
from optiform.solvers.script_expr import unparse

Comprehension = ast.GeneratorExp | ast.ListComp
MAX_EXAMPLE_CHARS = 120


@dataclass(frozen=True)
class _Loop:
    """Where a loop name is bound: generator ``index`` of ``comp``, or of the for_each."""

    gens: list[ast.comprehension]
    index: int
    comp: Comprehension | None  # None for the for_each


@dataclass(frozen=True)
class _Rebinding:
    name: str
    outer: _Loop
    inner: _Loop


def rebound_loop_error(for_each: list[ast.comprehension], body: ast.expr,
                       variables: dict[str, int]) -> tuple[str, str, str] | None:
    """(message, token, hint) for the first sum in ``body`` that rebinds an outer loop's name
    where the outer name picks no decision variable outside it; None when there is none.
    ``variables``: the names of the model's decision variables."""
    for r in _rebindings(for_each, body):
        uses = list(_outer_uses(r, body, variables))
        if not any(picks for picks, _ in uses):
            return _explain(r, [shown for _, shown in uses], for_each, body)
    return None


def per_row_rewrite(for_each: list[ast.comprehension], body: ast.expr,
                    variables: dict[str, int]) -> str | None:
    """The body with the sum's loop over the for_each's name dropped, where that is the one
    sensible reading: the first rebinding is of the for_each's name, the outer name appears
    nowhere else (so every row is the same) and the sum loops over other sets as well
    (``sum(x[p, t] for p in P for t in T) == 1`` for each p: one row per p,
    ``sum(x[p, t] for t in T) == 1``). A for_each written with the sum says the rows were
    meant; None in every other case."""
    for r in _rebindings(for_each, body):
        uses = list(_outer_uses(r, body, variables))
        if any(picks for picks, _ in uses):
            continue
        if r.outer.comp is not None or uses or r.inner.comp is None or \
                len(r.inner.comp.generators) < 2 or \
                isinstance(r.inner.comp.generators[r.inner.index].target, ast.Tuple):
            return None
        memo: dict[int, object] = {}
        rewritten = copy.deepcopy(body, memo)
        comp = memo[id(r.inner.comp)]
        assert isinstance(comp, Comprehension)
        del comp.generators[r.inner.index]
        return unparse(rewritten)
    return None


def _rebindings(for_each: list[ast.comprehension], body: ast.expr) -> list[_Rebinding]:
    env = {n: _Loop(for_each, k, None)
           for k, g in enumerate(for_each) for n in target_names(g.target)}
    out: list[_Rebinding] = []
    _find(body, env, out)
    return out


def _find(node: ast.AST, env: dict[str, _Loop], out: list[_Rebinding]) -> None:
    if not isinstance(node, Comprehension):
        for child in ast.iter_child_nodes(node):
            _find(child, env, out)
        return
    inner = dict(env)
    for k, g in enumerate(node.generators):
        _find(g.iter, inner, out)
        for n in target_names(g.target):
            if n in inner:
                out.append(_Rebinding(n, inner[n], _Loop(node.generators, k, node)))
            inner[n] = _Loop(node.generators, k, node)
        for cond in g.ifs:
            _find(cond, inner, out)
    _find(node.elt, inner, out)


def _outer_uses(r: _Rebinding, body: ast.expr, variables: dict[str, int]
                ) -> Iterator[tuple[bool, ast.AST]]:
    """Each use of the outer loop's name where it is visible (outside the sums that rebind
    it): whether it picks a decision variable, and the part to show for it."""
    if r.outer.comp is None:
        yield from _uses(body, r.name, variables, False, None)
        return
    comp = r.outer.comp
    over_variables = mentions_variable(comp.elt, variables)
    for part in _visible_parts(comp, r.name, after=r.outer.index):
        inside = part is not comp.elt
        yield from _uses(part, r.name, variables, inside and over_variables,
                         part if inside else None)


def _visible_parts(comp: Comprehension, name: str, after: int | None) -> Iterator[ast.expr]:
    """The parts of ``comp`` that see an outer ``name``: up to the generator that rebinds it
    (its iterable still sees the outer one). With ``after``, those behind that generator's
    target (which binds ``name``)."""
    for k, g in enumerate(comp.generators):
        if after is not None and k < after:
            continue
        if after is None or k > after:
            yield g.iter
            if name in target_names(g.target):
                return
        yield from g.ifs
    yield comp.elt


def _uses(node: ast.AST, name: str, variables: dict[str, int], picks: bool,
          shown: ast.AST | None) -> Iterator[tuple[bool, ast.AST]]:
    """Free uses of ``name`` in ``node``. A use picks a variable inside a decision variable's
    subscript, or in the iterable or filter of a sum over variables (it decides which terms
    the sum holds); inside a parameter's subscript or as a number it picks data."""
    if isinstance(node, ast.Name):
        if node.id == name:
            yield picks, shown or node
        return
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        yield from _uses(node.slice, name, variables, picks or node.value.id in variables,
                         shown or node)
        return
    if isinstance(node, Comprehension):
        over_variables = mentions_variable(node.elt, variables)
        for part in _visible_parts(node, name, after=None):
            inside = part is not node.elt
            yield from _uses(part, name, variables, picks or (inside and over_variables),
                             shown or (part if inside else None))
        return
    for child in ast.iter_child_nodes(node):
        yield from _uses(child, name, variables, picks, shown)


def _explain(r: _Rebinding, shown: list[ast.AST], for_each: list[ast.comprehension],
             body: ast.expr) -> tuple[str, str, str]:
    name = r.name
    over = ast.unparse(r.inner.gens[r.inner.index].iter)
    if r.outer.comp is None:
        by, parts = "the for_each", "rows"
    else:
        by, parts = f"an enclosing '{_head(r.outer)}'", "terms of that sum"
    msg = (f"loop variable '{name}' of '{_head(r.inner)}' is already bound by {by}: inside "
           f"the sum the outer '{name}' is hidden")
    if shown:
        msg += (f", and elsewhere it only picks data or is a number ({unparse(shown[0])}), so"
                f" the {parts} for the different {name} hold the same sum and differ only in "
                "their numbers")
    else:
        msg += (f" and it appears nowhere else, so the {parts} for the different {name} "
                "are all the same")
    taken = {n.id for n in ast.walk(body) if isinstance(n, ast.Name)}
    other = next(c for c in ("q", "r", "s", "k", "m", "n", f"{name}2", f"{name}_2")
                 if c not in taken)
    hints = [_per_element_hint(r, body, other)]
    if r.outer.comp is None:
        whole = len(for_each) == 1 and len(target_names(r.outer.gens[0].target)) == 1
        drop = "drop the for_each" if whole else f"take '{name}' out of the for_each"
        hints.append(f"for one total, {drop}" if not shown
                     else f"for one total, {drop} and write the limit without '{name}'")
    hints.append(f"to sum over other elements, use another name ('for {other} in {over}')")
    return msg, name, "; ".join(hints)


def _per_element_hint(r: _Rebinding, body: ast.expr, other: str) -> str:
    """The reading with one row (term) per outer element, shown on the whole expression where
    it is short enough: without the sum, or without its loop over the name; where that loop
    unpacks a tuple, the sum keeps the elements whose part is the outer one."""
    memo: dict[int, object] = {}
    rewritten = copy.deepcopy(body, memo)
    comp = memo[id(r.inner.comp)]
    assert isinstance(comp, Comprehension)
    gen = comp.generators[r.inner.index]
    if isinstance(gen.target, ast.Tuple):
        for e in gen.target.elts:
            if isinstance(e, ast.Name) and e.id == r.name:
                e.id = other
        gen.ifs.append(ast.Compare(ast.Name(other), [ast.Eq()], [ast.Name(r.name)]))
        what = f"sum only the elements with that {r.name}"
    elif len(comp.generators) > 1:
        del comp.generators[r.inner.index]
        what = f"drop '{_head(r.inner)}' from the sum"
    else:
        rewritten = _Replace(comp).visit(rewritten)
        what = "drop the sum"
    text = unparse(rewritten)
    example = f": '{text}'" if len(text) <= MAX_EXAMPLE_CHARS else ""
    each = "row" if r.outer.comp is None else "term"
    return f"for one {each} per {r.name}, {what}{example}"


def _head(loop: _Loop) -> str:
    g = loop.gens[loop.index]
    return f"for {ast.unparse(g.target)} in {ast.unparse(g.iter)}"


class _Replace(ast.NodeTransformer):
    """Put the element of a one-loop sum (min, max) in place of the call."""

    def __init__(self, comp: Comprehension) -> None:
        self.comp = comp

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if node.args and node.args[0] is self.comp:
            return self.visit(self.comp.elt)
        return self.generic_visit(node)
