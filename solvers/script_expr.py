"""Formulation expressions as Python source for a Pyomo script (AST transform + unparse).

``x[i]`` becomes ``m.x[i]`` for variables and indexed parameters (Pyomo Params, which accept a
tuple element whole or unpacked), sets become ``m.I``, scalar parameters stay plain numbers,
exp/log/sqrt become ``pyo.exp``..., and abs, min and max of expressions with variables become
small helpers the script defines (``pyo_abs``, ``pyo_min``, ``pyo_max``). ``sum`` stays ``sum``.
"""

from __future__ import annotations

import ast
import builtins
import copy
import keyword
from dataclasses import dataclass, field

from optiform.solvers.pyomo_names import mentions_variable

SCRIPT_GLOBALS = frozenset({
    "json", "sys", "pyo", "SolverFactory", "SolutionStatus", "UnaryFunctionExpression",
    "model", "main", "solution", "skip_trivial", "SOLVERS", "pyo_abs", "pyo_min", "pyo_max",
})


def python_names(wanted: list[str], taken: set[str]) -> dict[str, str]:
    """Identifiers for the script: a name that Python or the script uses gets a '_' suffix."""
    out: dict[str, str] = {}
    for name in wanted:
        if name in out:
            continue
        ident = name
        while (ident in taken or keyword.iskeyword(ident) or hasattr(builtins, ident)
               or ident in SCRIPT_GLOBALS):
            ident += "_"
        taken.add(ident)
        out[name] = ident
    return out


@dataclass
class ScriptNames:
    """How formulation names are spelled in the script."""

    ident: dict[str, str]  # sets, parameters and loop variables -> Python identifiers
    sets: dict[str, str]  # set -> model component
    variables: dict[str, str]  # variable -> model component
    params: dict[str, str]  # indexed parameter -> model component (a Pyomo Param)
    helpers: set[str] = field(default_factory=set)  # helper functions the script needs


class ToPyomo(ast.NodeTransformer):
    """Rewrites one checked expression tree; ``block`` names the model inside the code."""

    def __init__(self, names: ScriptNames, block: str) -> None:
        self.n = names
        self.block = block

    def _attr(self, comp: str) -> ast.expr:
        return ast.Attribute(value=ast.Name(self.block, ast.Load()), attr=comp, ctx=ast.Load())

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.n.variables:
            return self._attr(self.n.variables[node.id])
        if node.id in self.n.sets:
            return self._attr(self.n.sets[node.id])
        if node.id in self.n.params:
            return self._attr(self.n.params[node.id])
        return ast.Name(self.n.ident.get(node.id, node.id), node.ctx)

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        base = self.visit(node.value)
        return ast.Subscript(value=base, slice=self.visit(node.slice), ctx=ast.Load())

    def visit_Call(self, node: ast.Call) -> ast.expr:
        fn = node.func.id  # type: ignore[attr-defined]
        with_vars = mentions_variable(node, self.n.variables)
        args = node.args
        if fn == "sum" and len(args) == 1 and isinstance(args[0], ast.Name):
            whole = self.visit(args[0])
            values = ast.Call(ast.Attribute(whole, "values", ast.Load()), [], [])
            return ast.Call(ast.Name("sum", ast.Load()), [values], [])
        new_args = [self.visit(a) for a in args]
        if fn == "range":
            new_args = [a if isinstance(a, ast.Constant) and isinstance(a.value, int)
                        else ast.Call(ast.Name("int", ast.Load()), [a], []) for a in new_args]
            return ast.Call(ast.Name("range", ast.Load()), new_args, [])
        if fn in ("exp", "log", "sqrt"):
            return ast.Call(ast.Attribute(ast.Name("pyo", ast.Load()), fn, ast.Load()),
                            new_args, [])
        if fn in ("abs", "min", "max") and with_vars:
            helper = f"pyo_{fn}"
            self.n.helpers.add(helper)
            return ast.Call(ast.Name(helper, ast.Load()), new_args, [])
        return ast.Call(ast.Name(fn, ast.Load()), new_args, [])

    def expr(self, node: ast.AST) -> str:
        return unparse(self.visit(copy.deepcopy(node)))


class _Unparser(ast._Unparser):  # type: ignore[name-defined,misc]
    """``ast.unparse`` without the extra parentheses around a sole generator argument."""

    def visit_Call(self, node: ast.Call) -> None:
        if len(node.args) == 1 and not node.keywords and isinstance(node.args[0],
                                                                     ast.GeneratorExp):
            self.set_precedence(ast._Precedence.ATOM, node.func)  # type: ignore[attr-defined]
            self.traverse(node.func)
            self.traverse(node.args[0])
            return
        super().visit_Call(node)


def unparse(node: ast.AST) -> str:
    return _Unparser().visit(node)


def _terms(node: ast.expr) -> list[tuple[str, ast.expr]]:
    """A top-level chain of + and - as (sign, term) pairs."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        sign = "+" if isinstance(node.op, ast.Add) else "-"
        return [*_terms(node.left), (sign, node.right)]
    return [("", node)]


def return_lines(node: ast.expr, width: int = 92) -> list[str]:
    """``return <expr>`` as lines of source, split at + - and the comparison when long."""
    one = "return " + unparse(node)
    if len(one) <= width:
        return [one]
    if not isinstance(node, ast.Compare) and len(_terms(node)) == 1:
        return _term_lines("return ", node, width)
    lines = ["return ("]
    sides: list[tuple[str, ast.expr]] = [("", node)]
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = unparse(ast.Compare(ast.Name("a"), node.ops, [ast.Name("b")]))[2:-2]
        sides = [("", node.left), (op, node.comparators[0])]
    for op, side in sides:
        for k, (sign, term) in enumerate(_terms(side)):
            lead = op if k == 0 else sign
            if isinstance(term, ast.BinOp) and isinstance(term.op, (ast.Add, ast.Sub)) \
                    and sign == "-":
                term = ast.Call(ast.Name(""), [term], [])  # parenthesized
            lines += _term_lines(f"    {lead + ' ' if lead else ''}", term, width)
    lines.append(")")
    return lines


def _term_lines(prefix: str, term: ast.expr, width: int) -> list[str]:
    """One term; a long ``sum(... for ...)`` gets its body and loops on lines of their own."""
    text = prefix + unparse(term)
    gen = term.args[0] if isinstance(term, ast.Call) and len(term.args) == 1 else None
    if len(text) <= width or not isinstance(gen, ast.GeneratorExp):
        return [text]
    loops = unparse(ast.GeneratorExp(ast.Name("_"), gen.generators))[3:-1]
    pad = " " * (len(prefix) - len(prefix.lstrip()) + 4) if prefix.startswith(" ") else " " * 4
    return [f"{prefix}{unparse(term.func)}(", f"{pad}{unparse(gen.elt)}", f"{pad}{loops}",
            f"{pad[:-4]})"]


STRICT_TO_WEAK: dict[type[ast.cmpop], type[ast.cmpop]] = {ast.Lt: ast.LtE, ast.Gt: ast.GtE}


def _step(shift: float) -> ast.Constant:
    return ast.Constant(int(shift) if float(shift).is_integer() else shift)


def shifted(node: ast.expr, op: ast.cmpop, side: str, shift: float) -> ast.expr:
    """``rhs - step`` / ``rhs + step`` for a strict comparison whose rows move in steps (1 for
    integer rows, 1/D for rational coefficients), else ``node``."""
    if not shift or not isinstance(op, (ast.Lt, ast.Gt)):
        return node
    down = isinstance(op, ast.Lt) == (side == "right")
    return ast.BinOp(node, ast.Sub() if down else ast.Add(), _step(shift))


def relation(t: ToPyomo, left: ast.expr, op: ast.cmpop, right: ast.expr, shift: float
             ) -> ast.expr:
    """One comparison as Pyomo source (strict ones made non-strict, shifted when integral)."""
    weak = STRICT_TO_WEAK.get(type(op), type(op))()
    return ast.Compare(t.visit(copy.deepcopy(left)), [weak],
                       [shifted(t.visit(copy.deepcopy(right)), op, "right", shift)])


def ranged(t: ToPyomo, body: ast.Compare, shift: float) -> ast.expr:
    """``lo <= e <= hi`` (or the reverse) as ``pyo.inequality(lo, e, hi)``."""
    lo, mid, hi = (t.visit(copy.deepcopy(n)) for n in (body.left, *body.comparators))
    op = body.ops[0]
    if isinstance(op, (ast.Gt, ast.GtE)):
        lo, hi = hi, lo
    if shift and isinstance(op, (ast.Lt, ast.Gt)):
        lo = ast.BinOp(lo, ast.Add(), _step(shift))
        hi = ast.BinOp(hi, ast.Sub(), _step(shift))
    return ast.Call(ast.Attribute(ast.Name("pyo", ast.Load()), "inequality", ast.Load()),
                    [lo, mid, hi], [])
