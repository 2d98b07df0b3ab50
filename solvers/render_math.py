"""Checked expression trees as LaTeX math: ``\\sum_{i \\in I}``, ``\\cdot``, ``\\frac``, ``\\le``.

Used by the Markdown and LaTeX renderings of a formulation (``render.py``). Precedence decides
the parentheses, so the output reads like hand-written math.
"""

from __future__ import annotations

import ast
import re

from optiform.solvers.expr import target_names

_CMP = 0
_OR, _AND, _NOT = 1, 2, 3
_ADD, _MUL, _UNARY, _POW, _ATOM = 4, 5, 6, 7, 8

_GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
})
_OPS = {ast.Lt: "<", ast.LtE: r"\le", ast.Gt: ">", ast.GtE: r"\ge", ast.Eq: "=",
        ast.NotEq: r"\ne"}
_TEX_SPECIAL = re.compile(r"([\\{}_^#$%&~])")


def escape(text: str) -> str:
    """Plain text for LaTeX (outside math)."""
    def sub(m: re.Match[str]) -> str:
        c = m.group(1)
        return {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}"}.get(c, "\\" + c)

    return _TEX_SPECIAL.sub(sub, text)


def symbol(name: str) -> str:
    """A name as a math symbol: ``x`` -> x, ``alpha`` -> \\alpha, ``cost`` -> \\mathit{cost}."""
    if len(name) == 1:
        return name
    if name in _GREEK:
        return "\\" + name
    return r"\mathit{" + name.replace("_", r"\_") + "}"


def number(v: float | int) -> str:
    f = float(v)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    text = f"{f:.6g}"
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


class Latex:
    """Renders one expression tree."""

    def __call__(self, node: ast.AST) -> str:
        return self.render(node)[0]

    def wrap(self, node: ast.AST, prec: int) -> str:
        text, p = self.render(node)
        return rf"\left({text}\right)" if p < prec else text

    def render(self, node: ast.AST) -> tuple[str, int]:
        match node:
            case ast.Constant(value=str() as s):
                return r"\text{" + escape(s) + "}", _ATOM
            case ast.Constant(value=v):
                return number(v), _ATOM
            case ast.Name(id=name):
                return symbol(name), _ATOM
            case ast.Subscript(value=base, slice=sl):
                parts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
                sub = ",".join(self(p) for p in parts)
                return f"{self(base)}_{{{sub}}}", _ATOM
            case ast.Tuple(elts=elts):
                return "(" + ", ".join(self(e) for e in elts) + ")", _ATOM
            case ast.BinOp():
                return self._binop(node)
            case ast.UnaryOp(op=ast.Not(), operand=a):
                return r"\lnot " + self.wrap(a, _NOT), _NOT
            case ast.UnaryOp(op=op, operand=a):
                sign = "-" if isinstance(op, ast.USub) else "+"
                return sign + self.wrap(a, _POW), _UNARY
            case ast.BoolOp(op=op, values=vals):
                prec = _AND if isinstance(op, ast.And) else _OR
                joiner = r" \land " if prec == _AND else r" \lor "
                return joiner.join(self.wrap(v, prec + 1) for v in vals), prec
            case ast.Compare(left=left, ops=ops, comparators=rest):
                out = [self.wrap(left, _ADD)]
                for op, r in zip(ops, rest, strict=True):
                    out += [_OPS[type(op)], self.wrap(r, _ADD)]
                return " ".join(out), _CMP
            case ast.Call():
                return self._call(node)
        return r"\text{" + escape(ast.unparse(node)) + "}", _ATOM

    def _binop(self, node: ast.BinOp) -> tuple[str, int]:
        a, b, op = node.left, node.right, node.op
        if isinstance(op, ast.Add):
            return f"{self.wrap(a, _ADD)} + {self.wrap(b, _ADD)}", _ADD
        if isinstance(op, ast.Sub):
            return f"{self.wrap(a, _ADD)} - {self.wrap(b, _MUL)}", _ADD
        if isinstance(op, ast.Mult):
            left = self.wrap(a, _MUL)
            right = self.wrap(b, _UNARY)
            if isinstance(a, ast.Constant) and isinstance(b, (ast.Name, ast.Subscript)):
                return rf"{left}\,{right}", _MUL
            return rf"{left} \cdot {right}", _MUL
        if isinstance(op, ast.Div):
            return rf"\frac{{{self(a)}}}{{{self(b)}}}", _ATOM
        return f"{{{self.wrap(a, _ATOM)}}}^{{{self(b)}}}", _POW

    def _call(self, node: ast.Call) -> tuple[str, int]:
        fn = node.func.id  # type: ignore[attr-defined]
        args = node.args
        if fn == "len":
            return rf"\left|{self(args[0])}\right|", _ATOM
        if fn == "sum" and len(args) == 1 and isinstance(args[0], ast.Name):
            return rf"\sum {self(args[0])}", _ADD
        if len(args) == 1 and isinstance(args[0], (ast.GeneratorExp, ast.ListComp)):
            gen = args[0]
            head = {"sum": r"\sum", "min": r"\min", "max": r"\max"}[fn]
            return f"{head}_{{{self.generators(list(gen.generators))}}} " \
                   f"{self.wrap(gen.elt, _MUL)}", _ADD
        if fn in ("min", "max"):
            return rf"\{fn}\left\{{{', '.join(self(a) for a in args)}\right\}}", _ATOM
        arg = self(args[0])
        if fn == "sqrt":
            return rf"\sqrt{{{arg}}}", _ATOM
        if fn == "abs":
            return rf"\left|{arg}\right|", _ATOM
        if fn == "log":
            return rf"\ln\left({arg}\right)", _ATOM
        return rf"\exp\left({arg}\right)", _ATOM

    def generators(self, gens: list[ast.comprehension], *, stack: bool = True) -> str:
        """``i \\in I, j \\in J`` with conditions (stacked below for sums)."""
        heads, conds = [], []
        for g in gens:
            names = target_names(g.target)
            target = names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"
            heads.append(f"{target} \\in {self.domain(g.iter)}")
            conds += [self(c) for c in g.ifs]
        head = r",\, ".join(heads)
        if not conds:
            return head
        if stack:
            return r"\substack{" + head + r" \\ " + r",\, ".join(conds) + "}"
        return head + " : " + r",\, ".join(conds)

    def domain(self, node: ast.expr) -> str:
        if isinstance(node, ast.Name):
            return symbol(node.id)
        args = node.args  # type: ignore[attr-defined]
        lo, hi = (args[0], args[1]) if len(args) == 2 else (ast.Constant(0), args[0])
        return rf"\{{{self(lo)}, \ldots, {self(_minus_one(hi))}\}}"


def _minus_one(node: ast.expr) -> ast.expr:
    """``b - 1`` simplified: a constant or ``X + 1`` loses the one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return ast.Constant(node.value - 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) \
            and isinstance(node.right, ast.Constant) and node.right.value == 1:
        return node.left
    return ast.BinOp(node, ast.Sub(), ast.Constant(1))


def for_all(gens: list[ast.comprehension]) -> str:
    """The ``\\forall`` head of a constraint ('' when it has no for_each)."""
    if not gens:
        return ""
    return r"\forall " + Latex().generators(gens, stack=False)
